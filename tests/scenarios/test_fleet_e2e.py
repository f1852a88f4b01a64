"""A whole fleet as real processes: simulator, two producers and a consumer under `up`.

The consumer must trade pairs of both producers with one wallet, never hold more than
`max_open_trades`, enter only on a candle its producer signalled, show a killed producer
as down until the supervisor restarts it, and `down` must leave no process behind.
"""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import freqtrade
import pandas as pd
import psutil
import pytest
from freqtrade.exchange import timeframe_to_prev_date
from freqtrade_client import FtRestClient

from freqfleet.fleet.manifest import BotEntry
from freqfleet.fleet.partition import owner
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.run.control import read_state
from freqfleet.run.demo import DemoOptions, bot_trades, demo_config, max_concurrent
from freqfleet.run.processes import local_api_url
from freqfleet.run.status import bot_status
from freqfleet.sim.launcher import running_simulator
from tests.kit.cli import log_tail as tail
from tests.kit.cli import run_freqfleet as freqfleet

MAX_OPEN_TRADES = 6
LOOP_STRADDLE = timedelta(seconds=5)
"""How long after a candle closes an order may still come from a loop that began before."""


def client(bot: BotEntry) -> FtRestClient:
    return FtRestClient(local_api_url(bot), bot.username, bot.password, timeout=10)


def plan_processes(plan_dir: Path) -> list[psutil.Process]:
    """The supervisor (it names the plan) and the bots (they run in the plan folder)."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        in_plan = process.info["cwd"] == str(plan_dir)
        with_plan = in_plan or any(str(plan_dir) in part for part in process.info["cmdline"] or [])
        if with_plan and process.pid != os.getpid():
            found.append(process)
    return found


def wait_for(check, timeout: float, what: str, every: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def signalled(producer: BotEntry, pair: str, candle: datetime) -> bool:
    """Did the producer's analysed frame carry an entry signal on ``candle``?"""
    frame = client(producer).pair_candles(pair, "1m", limit=60)
    rows = [dict(zip(frame["columns"], row, strict=False)) for row in frame["data"]]
    on_candle = [row for row in rows if pd.Timestamp(row["date"]) == pd.Timestamp(candle)]
    assert on_candle, f"{producer.name} has no analysed {pair} candle at {candle}"
    return on_candle[0].get("enter_long") == 1


@pytest.mark.slow
@pytest.mark.timeout(780)
def test_fleet_up_trades_restarts_and_goes_down(tmp_path: Path) -> None:
    plan_dir = tmp_path / "fleet"
    options = DemoOptions(producers=2, pairs=30, max_open_trades=MAX_OPEN_TRADES)
    with running_simulator(pairs=options.pairs, seed=11) as sim:
        config = demo_config(sim.exchange_config(sim.pairs), options)
        manifest = write_plan(config, validate_fleet_config(config), plan_dir)
        up = freqfleet("up", str(plan_dir), "--detach")
        assert up.returncode == 0, up.stdout + up.stderr
        try:
            consumer = manifest.consumer
            producers = {bot.name: bot for bot in manifest.producers}
            names = list(producers)

            def consumer_trades_on_both() -> list[dict] | None:
                found = bot_trades(consumer)
                owners = {owner(trade["pair"], names) for trade in found}
                assert max_concurrent(found) <= MAX_OPEN_TRADES
                return found if owners == set(names) else None

            found = wait_for(
                consumer_trades_on_both, 480, "consumer trades on both producers' pairs"
            )
            assert max_concurrent(found) <= MAX_OPEN_TRADES
            for trade in found:
                # freqtrade's REST API writes dates in UTC without an offset.
                opened = datetime.fromisoformat(trade["open_date"]).replace(tzinfo=UTC)
                signal_candle = timeframe_to_prev_date("1m", opened) - timedelta(minutes=1)
                candidates = [signal_candle]
                if opened - timeframe_to_prev_date("1m", opened) < LOOP_STRADDLE:
                    # A loop that began before the candle closed acts on the candle before.
                    candidates.append(signal_candle - timedelta(minutes=1))
                producer = producers[owner(trade["pair"], names)]
                assert any(signalled(producer, trade["pair"], c) for c in candidates), trade

            # Status in JSON: every bot running, on this freqtrade (/api/v1/version); wrong
            # credentials are reported as such.
            status = json.loads(freqfleet("status", str(plan_dir), "--json").stdout)
            assert {bot["name"]: bot["state"] for bot in status["bots"]} == {
                **{name: "running" for name in names},
                "consumer": "running",
            }
            assert status["freqtrade_versions"] == {freqtrade.__version__: [*names, "consumer"]}
            assert status["mixed_freqtrade_versions"] is False
            wrong = consumer.model_copy(update={"password": "not-the-password"})
            assert (
                bot_status(wrong, "1m", datetime.now().astimezone()).state == "credentials rejected"
            )

            # A producer that stops answering (frozen with SIGSTOP: its process lives, so the
            # supervisor leaves it alone) is shown down, not running. A killed one would be
            # back within seconds, often before a status call on a busy machine asks it.
            victim = names[0]
            pid = read_state(plan_dir)["bots"][victim]["process"]["pid"]
            group = os.getpgid(pid)

            def victim_report() -> dict:
                report = json.loads(freqfleet("status", str(plan_dir), "--json").stdout)
                return next(bot for bot in report["bots"] if bot["name"] == victim)

            first_start = victim_report()["started_ts"]
            os.killpg(group, signal.SIGSTOP)
            try:
                frozen = victim_report()
            finally:
                # Killed while frozen: the supervisor restarts it.
                os.killpg(group, signal.SIGKILL)
            assert frozen["state"] != "running", frozen
            assert frozen["pairs"] is None and frozen["open_trades"] is None, frozen

            restarted = wait_for(
                lambda: (r := victim_report())["state"] == "running" and r,
                120,
                "the producer restarted",
            )
            assert restarted["started_ts"] > first_start, (restarted, first_start)
            victim_record = read_state(plan_dir)["bots"][victim]
            assert victim_record["restarts"] == 1, (
                victim_record,
                tail(plan_dir / "run" / "supervisor.log"),
                tail(Path(victim_record["console_log"])),
            )
        finally:
            down = freqfleet("down", str(plan_dir))
        assert down.returncode == 0, down.stdout + down.stderr
        wait_for(lambda: not plan_processes(plan_dir), 30, "no fleet process left", every=1)
        assert plan_processes(plan_dir) == []
