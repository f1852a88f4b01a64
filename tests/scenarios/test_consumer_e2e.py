"""A planned fleet of real ``freqtrade trade`` processes on the simulator: the consumer
trades on the producers' analysed data (FleetSampleStrategy in every bot)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.sim.launcher import running_simulator
from tests.kit.bots import bot_env
from tests.kit.ports import free_ports
from tests.kit.user_config import user_config
from tests.kit.waiting import wait_until


def _state(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_consumer_trades_on_producer_data(tmp_path: Path) -> None:
    ports = free_ports(3)
    fleet = {
        "producers": [{"name": "a", "port": ports[0]}, {"name": "b", "port": ports[1]}],
        "consumer_port": ports[2],
    }
    with running_simulator(pairs=4, seed=11) as sim:
        config = user_config(fleet=fleet, timeframe="1m", strategy="FleetSampleStrategy")
        config.pop("telegram")
        config["exchange"] = sim.exchange_config(sim.pairs)
        out = tmp_path / "plan"
        manifest = write_plan(config, validate_fleet_config(config), out, config_dir=tmp_path)
        processes: list[subprocess.Popen] = []
        state_file = out / "user_data" / "fleet-state.json"
        try:
            for bot in manifest.bots:
                log = (tmp_path / f"{bot.name}.out").open("wb")
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "freqtrade", *manifest.freqtrade_args(bot)],
                        cwd=out,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        env=bot_env(),
                    )
                )

            def routed() -> bool:
                state = _state(state_file)
                return bool(
                    state
                    and all(p["newest_candle"] for p in state["producers"].values())
                    and sum(p["pairs"] for p in state["producers"].values()) == len(sim.pairs)
                    and not state["stale_pairs"]
                )

            assert wait_until(routed, 200, interval=1), (
                f"{_state(state_file)}\n" + (tmp_path / "consumer.out").read_text()[-3000:]
            )
            state = _state(state_file)
            assert state["role"] == "consumer" and state["timeframe"] == "1m"
            assert state["unrouted_pairs"] == []

            consumer = manifest.consumer
            candles = httpx.get(
                f"{consumer.api_url}/api/v1/pair_candles",
                params={"pair": sim.pairs[0], "timeframe": "1m"},
                auth=(consumer.username, consumer.password),
                timeout=10,
            ).json()
            columns = candles["columns"]
            assert {"ema_fast", "ema_slow", "momentum", "enter_long"} <= set(columns)
            newest = candles["data"][-1]
            assert newest[columns.index("ema_fast")] is not None
            # freqtrade's console wraps lines at 80 columns when it is not a terminal.
            log = " ".join((tmp_path / "consumer.out").read_text().split())
            assert "Fleet consumer of a, b" in log
            assert "Traceback" not in log
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
