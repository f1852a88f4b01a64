"""``fleet.kubernetes``: names, images and quantities Kubernetes accepts, refused when the
config is read, one line each."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from freqfleet import __version__
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.problems import problems_from


def problems(settings: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        KubernetesSpec.model_validate(settings)
    return problems_from(raised.value, KubernetesSpec, "fleet.kubernetes")


def test_defaults() -> None:
    spec = KubernetesSpec()
    assert spec.namespace == "freqfleet"
    assert spec.image == f"freqfleet:{__version__}"
    assert (spec.spread, spec.consumer_access_mode) == ("preferred", "ReadWriteOncePod")
    assert (spec.producer_volume, spec.consumer_volume) == ("1Gi", "5Gi")
    assert spec.resources.producer.requests.cpu is None


@pytest.mark.parametrize(
    "image",
    [
        "freqfleet:0.1.0",
        "registry.example.com/team/freqfleet:latest",
        "localhost:5000/freqfleet",
        "registry:5000/freqfleet:1",
        "[::1]:5000/freqfleet",
        "freqfleet@sha256:" + "a" * 64,
    ],
)
def test_image_references_kubernetes_pulls(image: str) -> None:
    assert KubernetesSpec(image=image).image == image


@pytest.mark.parametrize("image", ["Freqfleet:latest", "freqfleet:", "-freqfleet", "a b"])
def test_image_names_kubernetes_refuses(image: str) -> None:
    assert problems({"image": image})[0].startswith(
        f"fleet.kubernetes.image: {image!r} is not an image name; use the image you built"
    )


@pytest.mark.parametrize("namespace", ["My_Fleet", "-fleet", "fleet-", "x" * 64, ""])
def test_namespaces_must_be_dns_labels(namespace: str) -> None:
    assert problems({"namespace": namespace})[0].startswith(
        f"fleet.kubernetes.namespace: {namespace!r} is not a Kubernetes namespace name; use "
    )


def test_quantities_accept_numbers_and_kubernetes_units() -> None:
    spec = KubernetesSpec.model_validate(
        {"resources": {"producer": {"requests": {"cpu": 0.5, "memory": "512Mi"}}}}
    )
    assert spec.resources.producer.requests.cpu == "0.5"
    assert spec.resources.producer.requests.memory == "512Mi"
    assert problems({"resources": {"consumer": {"limits": {"memory": "2 GB"}}}}) == [
        "fleet.kubernetes.resources.consumer.limits.memory: '2 GB' is not a Kubernetes "
        'quantity; use a Kubernetes memory quantity, e.g. "512Mi" or "2Gi"'
    ]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"node_selector": {"bad key!": "x"}}, "'bad key!' is not a node label name"),
        ({"node_selector": {"pool": "a b"}}, "'a b' (for pool) is not a node label value"),
        ({"placement": {"producer-1": "Node_1"}}, "'Node_1' (for producer-1) is not a node name"),
        ({"image_pull_secrets": ["Reg"]}, "'Reg' is not a Secret name"),
        ({"spread": "always"}, "'always' is not allowed"),
        ({"nodes": 0}, "must be >= 1, got 0"),
        ({"producer_volume": "0Gi"}, "'0Gi' is not a volume size"),
        ({"consumer_volume": "lots"}, "'lots' is not a volume size"),
        ({"storage_class": "Fast SSD"}, "'Fast SSD' is not a storage class name"),
        ({"colour": "red"}, "is not a fleet.kubernetes setting; remove it (known: namespace"),
    ],
)
def test_other_settings_are_checked_against_kubernetes_rules(
    settings: dict[str, Any], message: str
) -> None:
    (line,) = problems(settings)
    assert message in line


def test_labels_and_nodes_kubernetes_accepts() -> None:
    spec = KubernetesSpec.model_validate(
        {
            "node_selector": {"example.com/pool": "bots", "tier": ""},
            "placement": {"producer-1": "node-1.example.com"},
            "image_pull_secrets": ["registry"],
        }
    )
    assert spec.node_selector["example.com/pool"] == "bots"
