"""A planned fleet boots as real ``freqtrade trade`` processes on the simulator.

Every bot runs the stub the plan wrote (``MyStrategyFleet(FleetStrategy, MyStrategy)``):
producers serve exactly their share over their API, the consumer connects to every
producer with the planned tokens and trades the user's whole list; every bot's log file
is the private one the plan created.

The same fleet also boots from the Kubernetes export: each bot runs its container's
arguments in a folder laid out as its pod (ConfigMap files at their mount paths, an empty
``user_data`` volume), with its container's environment (secrets resolved from the
Secret manifest), the cluster's DNS names and listen address rewritten to loopback; the
consumer's dashboard sidecar runs in the consumer's pod folder and serves every bot up
at ``/metrics``.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from freqfleet.fleet.kube_addresses import service_host
from freqfleet.fleet.kube_pods import MOUNT
from freqfleet.fleet.kubernetes import K8S_DIR
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.sim.launcher import running_simulator
from freqfleet.strategy.consumer import STATE_FILE
from tests.dashboard.server import running_dashboard
from tests.kit.bots import bot_env
from tests.kit.kube_pods import LOOPBACK, lay_out_pod, load_export
from tests.kit.ports import free_ports
from tests.kit.user_config import user_config
from tests.kit.waiting import wait_until


def get(bot: BotEntry, path: str) -> httpx.Response | None:
    try:
        return httpx.get(
            f"{bot.api_url}/api/v1/{path}", auth=(bot.username, bot.password), timeout=5
        )
    except httpx.HTTPError:
        return None


def plan_launch(out: Path, manifest: FleetManifest, bot: BotEntry) -> tuple[list[str], Path, dict]:
    """How `freqfleet up` starts a bot: its arguments in the plan directory."""
    return manifest.freqtrade_args(bot), out, bot_env()


def kubernetes_launch(
    out: Path, manifest: FleetManifest, bot: BotEntry
) -> tuple[list[str], Path, dict]:
    """How the bot's pod starts it: the container's arguments and environment, files laid
    out as mounted, cluster addresses on loopback."""
    kube = KubernetesSpec()
    addresses = {service_host(other.name, kube): LOOPBACK for other in manifest.bots}
    addresses["0.0.0.0"] = LOOPBACK
    pod = lay_out_pod(load_export(out / K8S_DIR), bot.name, out / "pods" / bot.name, addresses)
    assert pod.command is None  # the image's entrypoint: freqtrade
    return pod.args, pod.root, {**bot_env(), **pod.env}


def sidecar_metrics(out: Path, manifest: FleetManifest, tmp_path: Path, pair: str) -> str:
    """``/metrics`` of the consumer pod's dashboard container, run in the consumer's pod
    folder (its ``user_data`` shared) with its own arguments, without a login: the first
    scrape (within 20 s) whose snapshot holds the consumer's report on ``pair``, else the
    last one and the dashboard's log.

    Why wait: the report counts a producer's pairs from its whitelist message, but lists a
    pair only once it holds that pair's frame; a report written between the two (every
    5 s) satisfies the caller's wait for every share and has no pair rows yet."""
    kube = KubernetesSpec()
    addresses = {service_host(other.name, kube): LOOPBACK for other in manifest.bots}
    root = out / "pods" / manifest.consumer.name
    pod = lay_out_pod(
        load_export(out / K8S_DIR), manifest.consumer.name, root, addresses, "dashboard"
    )

    def args(port: int) -> list[str]:
        translated = [str(root) if arg == MOUNT else arg for arg in pod.args]
        translated[translated.index("--port") + 1] = str(port)
        translated[translated.index("--host") + 1] = LOOPBACK
        return translated

    with running_dashboard(root, 0.5, args, tmp_path / "dashboard.out") as (url, log):
        row = f'freqfleet_pair_stale{{pair="{pair}"'
        text = ""

        def reports_the_pair() -> bool:
            nonlocal text
            text = httpx.get(f"{url}metrics", timeout=10).text
            return row in text

        if not wait_until(reports_the_pair, 20, interval=0.5):
            tail = log.read_text()[-3000:].splitlines()
            text += "".join(f"# dashboard log: {line}\n" for line in tail)
        return text


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("layout", ["plan", "kubernetes"])
def test_planned_fleet_boots_and_consumer_sees_every_share(
    user_dir: Path, tmp_path: Path, layout: str
) -> None:
    ports = free_ports(3)
    fleet: dict = {
        "producers": [{"name": "a", "port": ports[0]}, {"name": "b", "port": ports[1]}],
        "consumer_port": ports[2],
    }
    if layout == "kubernetes":
        fleet["kubernetes"] = {}
    launch = kubernetes_launch if layout == "kubernetes" else plan_launch
    with running_simulator(pairs=6, seed=5) as sim:
        config = user_config(fleet=fleet, timeframe="1m")
        config.pop("telegram")
        config["exchange"] = sim.exchange_config(sim.pairs)
        out = tmp_path / "plan"
        manifest = write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
        processes: list[subprocess.Popen] = []
        try:
            for bot in manifest.bots:
                args, cwd, env = launch(out, manifest, bot)
                log = (tmp_path / f"{bot.name}.out").open("wb")
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "freqtrade", *args],
                        cwd=cwd,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        env=env,
                    )
                )
            shares = {bot.name: bot.pairs for bot in manifest.producers}
            assert sorted(p for share in shares.values() for p in share) == sorted(sim.pairs)

            def served(bot: BotEntry) -> list[str] | None:
                response = get(bot, "whitelist")
                return response.json()["whitelist"] if response and response.is_success else None

            for bot in manifest.producers:
                assert wait_until(lambda bot=bot: served(bot) is not None, 150, interval=1), (
                    tmp_path / f"{bot.name}.out"
                ).read_text()[-3000:]
                assert sorted(served(bot)) == sorted(shares[bot.name])
                show = get(bot, "show_config").json()
                assert show["dry_run"] is True
                assert show["max_open_trades"] == -1
            consumer = manifest.consumer
            assert wait_until(
                lambda: sorted(served(consumer) or []) == sorted(sim.pairs), 150, interval=1
            ), (tmp_path / "consumer.out").read_text()[-3000:]
            assert get(consumer, "show_config").json()["max_open_trades"] == 3
            wrong = httpx.get(
                f"{consumer.api_url}/api/v1/whitelist", auth=(consumer.username, "nope"), timeout=5
            )
            assert wrong.status_code == 401

            # The consumer reached every producer with its token and got its share.
            consumer_dir = out / "pods" / consumer.name if layout == "kubernetes" else out
            state_file = consumer_dir / "user_data" / STATE_FILE

            def producers_seen() -> dict:
                try:
                    return json.loads(state_file.read_text())["producers"]
                except (OSError, ValueError, KeyError):
                    return {}

            def every_share_arrived() -> bool:
                seen = producers_seen()
                return all(
                    (seen.get(name) or {}).get("pairs") == len(share)
                    for name, share in shares.items()
                )

            assert wait_until(every_share_arrived, 150, interval=1), (
                producers_seen(),
                (tmp_path / "consumer.out").read_text()[-3000:],
            )
            assert not any("access" in entry for entry in producers_seen().values())
            if layout == "kubernetes":
                metrics = sidecar_metrics(out, manifest, tmp_path, sim.pairs[0])
                up = {
                    sample.labels["bot"]: sample.value
                    for family in text_string_to_metric_families(metrics)
                    for sample in family.samples
                    if sample.name == "freqfleet_bot_up"
                }
                assert up == {bot.name: 1.0 for bot in manifest.bots}, metrics
                assert f'freqfleet_pair_stale{{pair="{sim.pairs[0]}"' in metrics, metrics
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    if layout == "kubernetes":
        for bot in manifest.bots:  # each bot wrote into its own volume
            assert (out / "pods" / bot.name / "user_data" / "logs" / f"{bot.name}.log").is_file()
        assert (out / "pods" / "a" / "user_data" / "a.dryrun.sqlite").is_file()
        assert (out / "pods" / "consumer" / "user_data" / "consumer.dryrun.sqlite").is_file()
        return
    for bot in manifest.bots:
        log = out / "user_data" / "logs" / f"{bot.name}.log"
        assert log.stat().st_size > 0  # freqtrade appended to the file the plan created ...
        assert stat.S_IMODE(log.stat().st_mode) == 0o600  # ... and kept it private
    assert (out / "user_data" / "a.dryrun.sqlite").is_file()
