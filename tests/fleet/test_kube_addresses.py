"""Addresses in the Kubernetes export: each bot by the Service name the consumer uses, and the
pairlist feed's shares over the cluster network."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from freqfleet.fleet.kube_addresses import service_host
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.manifest import FleetManifest
from tests.kit.kube_export import (
    VOLUME,
    cluster_config,
    container_env,
    export,
    plan,
    pod_spec,
)
from tests.kit.kube_pods import (
    LOOPBACK,
    config_map_files,
    find,
    lay_out_pod,
    workload,
)


def test_services_give_each_bot_the_name_the_consumer_uses(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(cluster_config({"namespace": "ns1"}), user_dir, out)
    manifests = export(out)
    kube = KubernetesSpec(namespace="ns1")
    env = container_env(manifests, "consumer")
    producers = json.loads(env["FREQTRADE__EXTERNAL_MESSAGE_CONSUMER__PRODUCERS"])
    planned = json.loads((out / "consumer.json").read_text())["external_message_consumer"]
    assert [p["ws_token"] for p in producers] == [p["ws_token"] for p in planned["producers"]]
    for bot, entry in zip(manifest.producers, producers, strict=True):
        assert entry["host"] == service_host(bot.name, kube) == f"{bot.name}.ns1.svc"
        assert entry["port"] == bot.api_port
        service = find(manifests, "Service", bot.name)
        labels = workload(manifests, bot.name)["spec"]["template"]["metadata"]["labels"]
        assert all(labels[k] == v for k, v in service["spec"]["selector"].items())
        assert service["spec"]["ports"] == [
            {"name": "api", "port": bot.api_port, "targetPort": "api", "protocol": "TCP"}
        ]
        assert workload(manifests, bot.name)["spec"]["serviceName"] == bot.name
    text = config_map_files(find(manifests, "ConfigMap", "consumer-config"))["consumer.json"]
    api = json.loads(text)["fleet"]["producer_api"]
    assert api["producer-2"]["url"] == "http://producer-2.ns1.svc:8082"


# --- the pairlist feed on the cluster network -----------------------------------------------


@pytest.mark.timeout(180)
def test_producers_read_their_share_from_the_feed_over_the_cluster_network(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed runs from its pod's files (manifest without passwords, config, empty
    volumes) and serves the shares over HTTP; producers' and consumer's RemotePairList read
    them at the feed's cluster address (rewritten to loopback)."""
    from freqfleet.fleet.pairfeed import run_feed
    from freqfleet.sim.launcher import running_simulator
    from tests.kit.bots import whitelist_of
    from tests.kit.ports import free_port
    from tests.kit.waiting import reachable, wait_until

    with running_simulator(pairs=15, seed=3) as sim:
        config = cluster_config(pairlists=VOLUME)
        config["exchange"] = sim.exchange_config([])
        config.pop("telegram")
        out = tmp_path / "plan"
        manifest = plan(config, user_dir, out)
        manifests = export(out)
        port = free_port()
        kube = KubernetesSpec()
        addresses = {f"{service_host('pairlist-feed', kube)}:8000": f"{LOOPBACK}:{port}"}
        feed = lay_out_pod(manifests, "pairlist-feed", tmp_path / "feed", addresses)
        assert feed.command == ["freqfleet"]
        assert feed.args[:2] == ["pairlist-feed", "/fleet"]
        feed_manifest = FleetManifest.load(feed.root)
        assert all(bot.password == "" for bot in feed_manifest.bots)
        monkeypatch.chdir(feed.root)  # the container's working directory
        stop = threading.Event()
        runner = threading.Thread(
            target=run_feed,
            args=(feed.root,),
            kwargs={"stop": stop, "serve": (LOOPBACK, port)},
            daemon=True,
        )
        runner.start()
        try:
            assert wait_until(lambda: reachable(f"http://{LOOPBACK}:{port}/_fleet.json"), 60)
            summary = json.loads((feed.root / "pairlists" / "_fleet.json").read_text())
            for bot in manifest.bots:
                pod = lay_out_pod(manifests, bot.name, tmp_path / bot.name, addresses)
                (init,) = pod_spec(manifests, bot.name)["initContainers"]
                assert init["command"][-1].startswith(
                    f"http://{service_host('pairlist-feed', kube)}:8000/"
                )
                monkeypatch.chdir(pod.root)  # the container's working directory
                pairs = whitelist_of([bot.config_files[0]])
                expected = (
                    summary["shares"][bot.name] if bot.role == "producer" else summary["pairs"]
                )
                assert pairs == expected, bot.name
        finally:
            stop.set()
            runner.join(timeout=30)
    assert sorted(p for share in summary["shares"].values() for p in share) == sorted(
        summary["pairs"]
    )
    assert len(summary["pairs"]) == 12
