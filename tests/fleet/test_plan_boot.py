"""A planned fleet boots as real ``freqtrade trade`` processes on the simulator.

Every bot runs the stub the plan wrote (``MyStrategyFleet(FleetStrategy, MyStrategy)``):
producers serve exactly their share over their API, the consumer connects to every
producer with the planned tokens and trades the user's whole list; every bot's log file
is the private one the plan created.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from freqfleet.fleet.manifest import BotEntry
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.run.demo import free_ports
from freqfleet.sim.testing import running_simulator
from tests.fleet.conftest import user_config


def bot_env() -> dict[str, str]:
    """freqtrade configures its log file only outside pytest (it checks PYTEST_VERSION)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    return {**env, "PYTHONUNBUFFERED": "1"}


def get(bot: BotEntry, path: str) -> httpx.Response | None:
    try:
        return httpx.get(
            f"{bot.api_url}/api/v1/{path}", auth=(bot.username, bot.password), timeout=5
        )
    except httpx.HTTPError:
        return None


def wait_for(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(1)
    return False


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_planned_fleet_boots_and_consumer_sees_every_share(user_dir: Path, tmp_path: Path) -> None:
    ports = free_ports(3)
    fleet = {
        "producers": [{"name": "a", "port": ports[0]}, {"name": "b", "port": ports[1]}],
        "consumer_port": ports[2],
    }
    with running_simulator(pairs=6, seed=5) as sim:
        config = user_config(fleet=fleet, timeframe="1m")
        config.pop("telegram")
        config["exchange"] = sim.exchange_config(sim.pairs)
        out = tmp_path / "plan"
        manifest = write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
        processes: list[subprocess.Popen] = []
        try:
            for bot in manifest.bots:
                args = manifest.freqtrade_args(bot)
                log = (tmp_path / f"{bot.name}.out").open("wb")
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "freqtrade", *args],
                        cwd=out,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        env=bot_env(),
                    )
                )
            shares = {bot.name: bot.pairs for bot in manifest.producers}
            assert sorted(p for share in shares.values() for p in share) == sorted(sim.pairs)

            def served(bot: BotEntry) -> list[str] | None:
                response = get(bot, "whitelist")
                return response.json()["whitelist"] if response and response.is_success else None

            for bot in manifest.producers:
                assert wait_for(lambda bot=bot: served(bot) is not None, 150), (
                    tmp_path / f"{bot.name}.out"
                ).read_text()[-3000:]
                assert sorted(served(bot)) == sorted(shares[bot.name])
                show = get(bot, "show_config").json()
                assert show["dry_run"] is True
                assert show["max_open_trades"] == -1
            consumer = manifest.consumer
            assert wait_for(lambda: sorted(served(consumer) or []) == sorted(sim.pairs), 150), (
                tmp_path / "consumer.out"
            ).read_text()[-3000:]
            assert get(consumer, "show_config").json()["max_open_trades"] == 3
            wrong = httpx.get(
                f"{consumer.api_url}/api/v1/whitelist", auth=(consumer.username, "nope"), timeout=5
            )
            assert wrong.status_code == 401
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    for bot in manifest.bots:
        log = out / "user_data" / "logs" / f"{bot.name}.log"
        assert log.stat().st_size > 0  # freqtrade appended to the file the plan created ...
        assert stat.S_IMODE(log.stat().st_mode) == 0o600  # ... and kept it private
    assert (out / "user_data" / "a.dryrun.sqlite").is_file()
