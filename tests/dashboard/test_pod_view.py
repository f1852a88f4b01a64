"""``freqfleet dashboard`` as the Kubernetes export runs it beside the consumer: the
sidecar's own arguments on a folder laid out as its pod sees it (the manifest from the
consumer's Secret, the consumer's ``user_data`` read-only, no configs, no strategies),
``/metrics`` open to the pod network and the page still behind the consumer's login."""

from __future__ import annotations

import contextlib
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from freqfleet.fleet.kube_pods import MOUNT
from freqfleet.fleet.manifest import MANIFEST_NAME, FleetManifest
from tests.dashboard.fake_fleet import FakeFleet, bot_answers
from tests.dashboard.server import running_dashboard
from tests.kit.json_server import json_server
from tests.kit.kube_export import cluster_config, export, plan
from tests.kit.kube_pods import lay_out_pod


def _samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def test_the_sidecar_serves_metrics_from_the_pods_view(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(cluster_config(), user_dir, out)
    root = tmp_path / "pod"
    pod = lay_out_pod(export(out), "consumer", root, {}, "dashboard")
    assert sorted(p.name for p in root.iterdir()) == [MANIFEST_NAME, "user_data"]
    seen = FleetManifest.load(root)  # every producer at its Service, the consumer at loopback
    assert all(bot.api_host.endswith(".svc") for bot in seen.producers)
    with contextlib.ExitStack() as stack:
        # The bots answer on loopback where the cluster would answer at their Services.
        bots = []
        for bot in seen.bots:
            url, _ = stack.enter_context(json_server(bot_answers(bot.role, bot.pairs, [])))
            port = int(url.rsplit(":", 1)[1])
            bots.append(bot.model_copy(update={"api_host": "127.0.0.1", "api_port": port}))
        local = seen.model_copy(update={"bots": bots})
        (root / MANIFEST_NAME).chmod(0o600)
        local.save(root)
        (root / MANIFEST_NAME).chmod(0o400)
        shares = {bot.name: list(bot.pairs) for bot in local.producers}
        fleet = FakeFleet(root, local, {}, shares)
        first = local.producers[0].name
        fleet.write_report(
            producers={first: {"pairs": len(shares[first]), "rejected": {"stale": 7}}}
        )
        # The consumer's volume and the folder are read-only for the dashboard.
        (root / "user_data").chmod(0o555)
        root.chmod(0o555)

        def pod_args(port: int) -> list[str]:
            args = [str(root) if arg == MOUNT else arg for arg in pod.args]
            args[args.index("--port") + 1] = str(port)
            args[args.index("--host") + 1] = "127.0.0.1"
            return args

        log = tmp_path / "dashboard.log"
        try:
            with running_dashboard(root, 0.5, pod_args, log) as (url, _):
                metrics = httpx.get(f"{url}metrics")  # no login: Prometheus by annotation
                page = httpx.get(url)
                snapshot = httpx.get(f"{url}snapshot")
        finally:
            root.chmod(0o755)
            (root / "user_data").chmod(0o755)
    assert pod.command == ["freqfleet"]
    assert metrics.status_code == 200, metrics.text
    assert page.status_code == 401
    assert snapshot.status_code == 401
    up = _samples(metrics.text, "freqfleet_bot_up")
    assert {dict(labels)["bot"]: value for labels, value in up.items()} == {
        bot.name: 1.0 for bot in local.bots
    }
    rejected = _samples(metrics.text, "freqfleet_rejected_messages_total")
    assert rejected == {(("producer", first), ("reason", "stale")): 7.0}
    output = log.read_text()
    for bot in local.bots:
        assert bot.password not in output
