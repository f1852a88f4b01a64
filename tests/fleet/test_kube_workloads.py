"""The workloads of the Kubernetes export: one consumer never two, only the consumer reaches a
producer's port, the gateway one Deployment every pod reaches by its Service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freqfleet.fleet.kube_addresses import service_host
from freqfleet.fleet.kube_secrets import freqtrade_view
from freqfleet.fleet.kube_sizing import quantity
from freqfleet.fleet.kubernetes import K8S_DIR
from freqfleet.fleet.kubespec import KubernetesSpec
from tests.kit.kube_export import (
    EXCHANGE_KEY,
    GATEWAY_FLEET,
    UPSTREAM,
    VOLUME,
    cluster_config,
    container_env,
    export,
    plan,
    pod_spec,
)
from tests.kit.kube_pods import (
    all_documents,
    config_map_files,
    find,
    workload,
)

# --- one consumer, never two ---------------------------------------------------------------


@pytest.mark.parametrize("access_mode", ["ReadWriteOncePod", "ReadWriteOnce"])
def test_the_consumer_cannot_be_scaled_above_one(
    user_dir: Path, tmp_path: Path, access_mode: str
) -> None:
    out = tmp_path / "plan"
    plan(cluster_config({"consumer_access_mode": access_mode}), user_dir, out)
    manifests = export(out)
    manifests.pop("kustomization.yaml")
    kinds = {doc["kind"] for doc in all_documents(manifests)}
    # Nothing in the export scales anything.
    assert kinds <= {
        "Namespace",
        "Secret",
        "ConfigMap",
        "Service",
        "NetworkPolicy",
        "StatefulSet",
        "PersistentVolumeClaim",
        "Deployment",
    }
    consumer = workload(manifests, "consumer")
    assert consumer["kind"] == "StatefulSet"  # a Deployment would surge a second pod
    spec = consumer["spec"]
    assert spec["replicas"] == 1
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate"}  # no partition, no surge
    assert "volumeClaimTemplates" not in spec  # a second replica gets no database of its own
    volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
    claim_name = volumes["user-data"]["persistentVolumeClaim"]["claimName"]
    claim = find(manifests, "PersistentVolumeClaim", claim_name)
    assert claim["spec"]["accessModes"] == [access_mode]
    # No other workload selects the consumer's pods.
    consumer_labels = spec["template"]["metadata"]["labels"]
    for doc in all_documents(manifests):
        if doc["kind"] in ("StatefulSet", "Deployment") and doc is not consumer:
            selector = doc["spec"]["selector"]["matchLabels"]
            assert not all(consumer_labels.get(k) == v for k, v in selector.items())


def test_only_the_consumer_reaches_a_producers_port(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(cluster_config(pairlists=VOLUME), user_dir, out)
    manifests = export(out)
    pods = {
        doc["metadata"]["name"]: doc["spec"]["template"]["metadata"]["labels"]
        for doc in all_documents(manifests)
        if doc["kind"] in ("StatefulSet", "Deployment")
    }

    def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
        return all(labels.get(key) == value for key, value in selector.items())

    for bot in manifest.producers:
        (policy,) = [
            doc
            for doc in all_documents(manifests)
            if doc["kind"] == "NetworkPolicy"
            and selects(doc["spec"]["podSelector"]["matchLabels"], pods[bot.name])
        ]
        assert policy["spec"]["policyTypes"] == ["Ingress"]
        (rule,) = policy["spec"]["ingress"]
        assert rule["ports"] == [{"protocol": "TCP", "port": bot.api_port}]
        (source,) = rule["from"]
        allowed = [
            name
            for name, labels in pods.items()
            if selects(source["podSelector"]["matchLabels"], labels)
        ]
        assert allowed == ["consumer"]


def test_the_gateway_is_one_deployment_every_pod_reaches_by_its_service(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    kubernetes = {"namespace": "ns3", "resources": {"gateway": {"requests": {"cpu": "2"}}}}
    config = cluster_config(kubernetes, fleet=GATEWAY_FLEET, pairlists=VOLUME)
    manifest = plan(config, user_dir, out)
    gateway = manifest.gateway
    assert gateway is not None and gateway.url == "http://127.0.0.1:18490"
    manifests = export(out)
    (kustomization,) = manifests["kustomization.yaml"]
    assert "gateway.yaml" in kustomization["resources"]
    assert [doc["kind"] for doc in manifests["gateway.yaml"]] == [
        "Service",
        "NetworkPolicy",
        "Deployment",
    ]
    deployment = workload(manifests, "gateway")
    assert deployment["kind"] == "Deployment"
    assert deployment["spec"]["replicas"] == 1  # one request-weight budget
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # never two at once
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "gateway"
    (container,) = pod_spec(manifests, "gateway")["containers"]
    assert container["command"] == ["freqfleet"]
    expected = gateway.command_args()
    expected[expected.index("--host") + 1] = "0.0.0.0"  # the pod's address
    assert container["args"] == expected
    assert expected[expected.index("--share") + 1] == "0.25"
    assert expected[expected.index("--upstream") + 1] == UPSTREAM
    assert container["ports"] == [{"name": "api", "containerPort": 18490, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/gateway/stats", "port": "api"}
    assert container["resources"]["requests"]["cpu"] == "2"
    assert quantity(container["resources"]["limits"]["cpu"]) >= 2
    assert not any("valueFrom" in entry for entry in container["env"])  # it needs no secret
    service = find(manifests, "Service", "gateway")
    assert all(labels[k] == v for k, v in service["spec"]["selector"].items())
    assert service["spec"]["ports"][0]["port"] == 18490
    policy = find(manifests, "NetworkPolicy", "gateway-api")
    (rule,) = policy["spec"]["ingress"]
    (source,) = rule["from"]
    expressions = {e["key"]: e["values"] for e in source["podSelector"]["matchExpressions"]}
    assert expressions == {
        "app.kubernetes.io/instance": ["ns3"],
        "app.kubernetes.io/component": ["producer", "consumer", "pairlist-feed"],
    }

    url = f"http://{service_host('gateway', KubernetesSpec(namespace='ns3'))}:18490"
    assert url == "http://gateway.ns3.svc:18490"
    for name, config_file in [
        *((bot.name, bot.config_files[0]) for bot in manifest.bots),
        ("pairlist-feed", "pairlist-feed.json"),
    ]:
        text = config_map_files(find(manifests, "ConfigMap", f"{name}-config"))[config_file]
        cluster = freqtrade_view(json.loads(text), container_env(manifests, name))
        planned = json.loads((out / config_file).read_text())
        for section in ("ccxt_config", "ccxt_async_config"):
            api = cluster["exchange"][section]["urls"]["api"]
            assert api["public"] == f"{url}/api/v3", name
            planned_api = planned["exchange"][section]["urls"]["api"]
            assert planned_api["public"] == "http://127.0.0.1:18490/api/v3"
            assert {k: v for k, v in api.items() if k != "public"} == {
                k: v for k, v in planned_api.items() if k != "public"
            }, name
        # The consumer's key comes from its Secret, as planned; no other pod has one.
        assert cluster["exchange"].get("key") == (EXCHANGE_KEY if name == "consumer" else None)
        # Every pod waits for the gateway first.
        init = pod_spec(manifests, name)["initContainers"]
        assert init[0]["name"] == "wait-for-gateway"
        assert init[0]["command"][-1] == f"{url}/gateway/stats"
    script = (out / K8S_DIR / "port-forward.sh").read_text()
    assert "forward gateway 18490 &" in script  # `freqfleet status` reads its stats there
