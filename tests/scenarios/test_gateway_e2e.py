"""A fleet under ``up`` with ``fleet.gateway``, real processes on the simulator: the bots
trade, the gateway is started first and answers their market data, and the simulator
sees fewer candle requests than the bots made (with redundancy 2 both producers of a pair
ask for the same candles at every close)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.ports import free_ports
from freqfleet.run.demo import DemoOptions, bot_trades, demo_config
from freqfleet.run.status import gateway_status
from freqfleet.sim import running_simulator
from tests.kit.cli import log_tail as tail
from tests.kit.cli import run_freqfleet as freqfleet

KLINES = "/api/v3/klines"


@pytest.mark.slow
@pytest.mark.timeout(720)
def test_fleet_trades_through_the_gateway(tmp_path: Path) -> None:
    plan_dir = tmp_path / "fleet"
    options = DemoOptions(producers=2, pairs=8, max_open_trades=4)
    with running_simulator(pairs=options.pairs, seed=11) as sim:
        # Candles over REST at every close (websockets off): what the gateway shares. With
        # websockets on, bots take each close from the simulator's streams, not through it.
        config = demo_config(sim.exchange_config(sim.pairs, websocket=False), options)
        config["fleet"]["gateway"] = {"listen_port": free_ports(1)[0]}
        # Every pair analysed by both producers (fleet.redundancy 2): each candle is asked
        # by two bots within milliseconds, with start times of their own clocks.
        config["fleet"]["redundancy"] = 2
        manifest = write_plan(config, validate_fleet_config(config), plan_dir)
        up = freqfleet("up", str(plan_dir), "--detach", "--no-dashboard")  # not under test
        assert up.returncode == 0, up.stdout + up.stderr
        try:
            started = time.monotonic()
            deadline = started + 480
            trades: list[dict] = []
            # Trades, and two candle closes seen by every bot (their refreshes).
            while (not trades or time.monotonic() < started + 130) and (
                time.monotonic() < deadline
            ):
                time.sleep(5)
                trades = bot_trades(manifest.consumer)
            log = tail(plan_dir / "run" / "gateway.console.log")
            assert trades, f"the consumer made no trade through the gateway\n{log}"
            stats = gateway_status(manifest)
            status = freqfleet("status", str(plan_dir), "--json")
            sim_stats = sim.stats()
        finally:
            down = freqfleet("down", str(plan_dir))
        assert down.returncode == 0, down.stdout + down.stderr

    assert stats is not None and stats["state"] == "running"
    asked = stats["requests"][KLINES]
    fetched = sim_stats["requests"][KLINES]
    print(
        f"\ngateway: {asked} candle requests asked, {fetched} fetched, {stats['hits']} cache "
        f"hits, {stats['coalesced']} joined an identical request in flight, "
        f"{stats['series_waits']} waited for another bot's fetch of the series"
    )
    assert fetched < asked, (fetched, asked, stats)
    assert stats["hits"] > 0
    assert stats["refused"] == 0  # no bot sent a private request to the gateway
    assert sim_stats["not_simulated"] == {}
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["gateway"]["state"] == "running"
