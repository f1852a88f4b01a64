"""The pods of the Kubernetes export: producers spread over nodes, probes on the API."""

from __future__ import annotations

from pathlib import Path

from tests.kit.kube_export import (
    cluster_config,
    export,
    plan,
    pod_spec,
)
from tests.kit.kube_pods import (
    container_named,
    workload,
)


def test_producers_spread_over_nodes(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "soft"
    plan(cluster_config(), user_dir, out)
    anti = pod_spec(export(out), "producer-1")["affinity"]["podAntiAffinity"]
    (preferred,) = anti["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert preferred["podAffinityTerm"]["labelSelector"]["matchLabels"] == {
        "app.kubernetes.io/instance": "freqfleet",
        "app.kubernetes.io/component": "producer",
    }
    for name in ("producer-1", "producer-2", "producer-3"):  # every producer matches it
        labels = workload(export(out), name)["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/component"] == "producer"
    assert "affinity" not in pod_spec(export(out), "consumer")

    out = tmp_path / "hard"
    kubernetes = {
        "spread": "required",
        "node_selector": {"pool": "bots"},
        "placement": {"producer-3": "worker-7"},
    }
    plan(cluster_config(kubernetes), user_dir, out)
    manifests = export(out)
    anti = pod_spec(manifests, "producer-1")["affinity"]["podAntiAffinity"]
    assert list(anti) == ["requiredDuringSchedulingIgnoredDuringExecution"]
    assert pod_spec(manifests, "producer-3")["nodeSelector"] == {
        "pool": "bots",
        "kubernetes.io/hostname": "worker-7",
    }
    assert pod_spec(manifests, "producer-1")["nodeSelector"] == {"pool": "bots"}
    assert pod_spec(manifests, "consumer")["nodeSelector"] == {"pool": "bots"}


def test_probes_ping_the_api_and_bots_listen_on_the_pod(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(cluster_config(), user_dir, out)
    manifests = export(out)
    for bot in manifest.bots:
        container = container_named(pod_spec(manifests, bot.name))
        assert container["ports"] == [
            {"name": "api", "containerPort": bot.api_port, "protocol": "TCP"}
        ]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/api/v1/ping", "port": "api"}
        assert {"name": "FREQTRADE__API_SERVER__LISTEN_IP_ADDRESS", "value": "0.0.0.0"} in (
            container["env"]
        )
        assert container["args"] == manifest.freqtrade_args(bot)
        assert container["image"] == "freqfleet:0.1.0"
