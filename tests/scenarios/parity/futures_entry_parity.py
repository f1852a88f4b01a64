"""A plain futures bot and a futures fleet enter the same pairs, on the same side, on the
same candles (real processes), and the fleet's live consumer reconciles with the account:
the futures run of test_entry_parity_e2e.py.

On the simulator's USDT perpetuals two setups run side by side, each as a reference (one
``freqtrade trade`` dry-run bot running ``ParityCrossFutures``: long on a cross up, short
on a cross down, leverage by tag, market orders) and a fleet (``freqfleet plan`` of the
same config: two producers and a consumer, started with ``freqfleet up``). One setup has
unlimited slots, one three; the latter's consumer trades live (``dry_run: false``) on the
simulator's futures account. An entry is compared as (pair, side, signal candle) over
WINDOW signal candles from a gate the test writes once every bot has warmed up.

After the window the live consumer stops entering (``stopentry``), closes its trades (force
exit, which also refreshes its wallet), and its trades, positions, margin, funding fees and wallet are
reconciled with the account (tests/kit/live_futures_wallet.py). The simulator pays funding
every FUNDING_INTERVAL (``--funding-interval``) rather than every 8 h, so funding falls
inside the run and the reconciliation covers it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from freqtrade.exchange import timeframe_to_prev_date
from freqtrade_client import FtRestClient

from freqfleet.fleet.manifest import FleetManifest
from freqfleet.run.control import read_state
from freqfleet.sim.launcher import RunningSimulator, running_simulator
from tests.kit.live_futures_wallet import FuturesReconciliation, reconcile_futures
from tests.kit.ports import free_ports
from tests.scenarios.parity.entry_parity_kit import (
    GATE_KEY,
    MARKET_ORDERS,
    EntryComparison,
    api_server,
    bot_analyses_newest,
    consumer_fed,
    in_window,
    read_json,
    read_trades,
    run_freqfleet,
    sleep_until,
    start_freqfleet,
    start_freqtrade,
    stop_process,
    tail,
    wait_for,
)

STRATEGY_FILE = Path(__file__).parent / "parity_strategies" / "parity_cross_futures.py"
TIMEFRAME = "1m"
CANDLE = timedelta(minutes=1)
PAIRS = 12
SEED = 29
WINDOW = 5
FUNDING_INTERVAL = "2m"
SETUPS = {"unlimited": -1, "three-slots": 3}
LIVE = "three-slots"
READY_TIMEOUT = 300.0
PAUSE_SETTLES = 5.0
"""Seconds a loop that was entering when the consumer was paused takes to end."""
MIN_PARITY = 0.9
MIN_COMPARED = {"unlimited": 8, "three-slots": 3}
API_USER = "parity"
API_PASSWORD = "parity-password"


def user_config(exchange: dict[str, Any], slots: int, gate: Path, ports: list[int]) -> dict:
    """One futures config with a fleet section, as a user writes it."""
    return {
        "strategy": "ParityCrossFutures",
        "timeframe": TIMEFRAME,
        "max_open_trades": slots,
        "stake_currency": "USDT",
        "stake_amount": 20,
        "dry_run": True,
        "dry_run_wallet": 10_000,
        "initial_state": "running",
        **MARKET_ORDERS,
        **exchange,
        "pairlists": [{"method": "StaticPairList"}],
        GATE_KEY: str(gate),
        "fleet": {
            "producers": [
                {"name": "producer-1", "port": ports[0]},
                {"name": "producer-2", "port": ports[1]},
            ],
            "consumer_port": ports[2],
            "follow": [],
        },
    }


@dataclass
class Setup:
    name: str
    slots: int
    root: Path
    config: dict[str, Any]
    api_port: int
    live: bool
    reference: subprocess.Popen | None = None
    manifest: FleetManifest | None = None

    @property
    def plan_dir(self) -> Path:
        return self.root / "fleet"

    @property
    def consumer_db(self) -> Path:
        name = "consumer.sqlite" if self.live else "consumer.dryrun.sqlite"
        return self.plan_dir / "user_data" / name

    @classmethod
    def create(cls, tmp: Path, name: str, slots: int, sim: RunningSimulator, gate: Path) -> Setup:
        root = tmp / name
        (root / "user_data" / "strategies").mkdir(parents=True)
        shutil.copy(STRATEGY_FILE, root / "user_data" / "strategies")
        live = name == LIVE
        # The user's order is neither the simulator's nor the producers' shares'.
        pairs = list(reversed(sim.futures_pairs))
        ports = free_ports(4)
        config = user_config(sim.futures_config(pairs, live=live), slots, gate, ports[:3])
        config["dry_run"] = not live
        (root / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        return cls(name, slots, root, config, ports[3], live)

    def plan(self) -> None:
        config, userdir = str(self.root / "config.json"), str(self.root / "user_data")
        run_freqfleet("plan", "-c", config, "--userdir", userdir, "-o", str(self.plan_dir))
        self.manifest = FleetManifest.load(self.plan_dir)
        consumer = read_json(self.plan_dir / "consumer.json")
        assert consumer["trading_mode"] == "futures" and consumer["margin_mode"] == "isolated"
        assert consumer["dry_run"] is not self.live and consumer["max_open_trades"] == self.slots

    def start(self) -> None:
        config = {key: value for key, value in self.config.items() if key != "fleet"}
        # The reference always runs in dry-run: only the fleet's consumer uses the account.
        config["dry_run"] = True
        config["exchange"] = {**config["exchange"], "key": "", "secret": ""}
        config["bot_name"] = f"reference-{self.name}"
        config["db_url"] = f"sqlite:///{self.root / 'reference.sqlite'}"
        config["api_server"] = api_server(self.api_port, API_USER, API_PASSWORD)
        path = self.root / "reference.json"
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        self.reference = start_freqtrade(path, self.root / "user_data", self.root / "reference.log")
        up = start_freqfleet("up", str(self.plan_dir), "--detach", "--no-dashboard")
        output, _ = up.communicate(timeout=READY_TIMEOUT)
        assert up.returncode == 0, f"{self.name}: freqfleet up failed: {output}"

    def ready(self, now: datetime) -> bool:
        assert self.reference is not None and self.reference.poll() is None, self.name
        client = FtRestClient(f"http://127.0.0.1:{self.api_port}", API_USER, API_PASSWORD)
        state = read_json(self.plan_dir / "user_data" / "fleet-state.json")
        return consumer_fed(state, PAIRS, TIMEFRAME, now) and bot_analyses_newest(
            client, PAIRS, TIMEFRAME, now
        )

    def describe(self) -> str:
        log = self.plan_dir / "user_data" / "logs" / "consumer.log"
        return f"{self.name}: reference {tail(self.root / 'reference.log')}; consumer {tail(log)}"

    def consumer_client(self) -> FtRestClient:
        assert self.manifest is not None
        entry = self.manifest.consumer
        return FtRestClient(entry.api_url, entry.username, entry.password, timeout=20)

    def close_live(self) -> tuple[list[dict[str, Any]], dict[str, Any], int]:
        """Pause entries, close every trade (which refreshes the wallet), then read the
        trades and the wallet: what the account must match."""
        paused = self.consumer_client().stopbuy()
        assert isinstance(paused, dict), f"{self.name}: the consumer was not paused"
        time.sleep(PAUSE_SETTLES)  # a loop that was entering when paused ends first
        # A new connection: uvicorn closes an idle kept-alive one after 5 s, the wait's
        # length, and a request sent on it as it closes fails.
        client = self.consumer_client()
        wallet_ms = time.time_ns() // 1_000_000

        def closed() -> bool:
            if not open_trades(client):
                return True
            client.forceexit("all")
            return False

        wait_for(closed, 90, f"{self.name}: the consumer's trades to close", every=3.0)
        trades = all_trades(client)
        usdt = next(c for c in client.balance()["currencies"] if c["currency"] == "USDT")
        return trades, {"free": usdt["free"], "total": usdt["balance"]}, wallet_ms


def open_trades(client: FtRestClient) -> list[dict[str, Any]]:
    answer = client.status()
    assert isinstance(answer, list), answer
    return answer


def all_trades(client: FtRestClient) -> list[dict[str, Any]]:
    """Closed trades (``/trades`` lists only those) and open ones (``/status``)."""
    answer = client.trades(limit=500)
    assert isinstance(answer, dict), answer
    return [*answer["trades"], *open_trades(client)]


def compare(setup: Setup, first: datetime, last: datetime) -> EntryComparison:
    reference = read_trades(setup.root / "reference.sqlite", CANDLE)
    fleet = read_trades(setup.consumer_db, CANDLE)
    return EntryComparison(
        setup.name, setup.slots, in_window(reference, first, last), in_window(fleet, first, last)
    )


def funding_summary(
    futures: dict[str, Any], trades: list[dict[str, Any]], result: FuturesReconciliation
) -> str:
    fees = [i for i in futures["income"] if i["incomeType"] == "FUNDING_FEE"]
    booked = sum(float(i["income"]) for i in fees)
    shorts = sum(1 for t in trades if t["is_short"])
    bot = sum(float(t.get("funding_fees") or 0) for t in trades)
    return (
        f"live consumer: {len(trades)} trades ({shorts} short), {len(futures['orders'])} "
        f"orders, {len(fees)} funding fees booked ({booked:+.6f} USDT; the bot's trades "
        f"{bot:+.6f}), {len(futures['positions'])} positions left; reconciliation: "
        f"{len(result.differences)} differences, {len(result.liquidations)} liquidations"
        + (f", skipped: {'; '.join(result.skipped)}" if result.skipped else "")
    )


@dataclass
class FuturesRun:
    """What one futures entry parity run found: the figures the test asserts on."""

    comparisons: list[EntryComparison]
    trades: list[dict[str, Any]]
    futures: dict[str, Any]
    """The simulator's futures account after the run."""
    reconciliation: FuturesReconciliation
    report: str


def run(tmp_path: Path) -> FuturesRun:
    """Both setups side by side on one simulator, from the start of the bots to the
    reconciliation of the live consumer's trades with the futures account."""
    began = time.monotonic()
    gate = tmp_path / "entries-from.txt"
    account = tmp_path / "account.json"
    options = {"pairs": PAIRS, "seed": SEED, "funding_interval": FUNDING_INTERVAL}
    with running_simulator(**options, account=account) as sim:
        setups = [Setup.create(tmp_path, n, s, sim, gate) for n, s in SETUPS.items()]
        for setup in setups:
            setup.plan()
        try:
            for setup in setups:
                setup.start()
            wait_for(
                lambda: all(setup.ready(datetime.now(UTC)) for setup in setups),
                READY_TIMEOUT,
                "every reference bot and consumer analysing the newest candle",
                describe=lambda: "\n".join(setup.describe() for setup in setups),
            )
            first = timeframe_to_prev_date(TIMEFRAME, datetime.now(UTC) + timedelta(seconds=10))
            gate.write_text(first.isoformat(), encoding="utf-8")
            assert datetime.now(UTC) < first + CANDLE, "the gate came after its first candle"
            ready = time.monotonic() - began
            last = first + (WINDOW - 1) * CANDLE
            sleep_until(last + 2 * CANDLE + timedelta(seconds=5))
            for setup in setups:
                restarts = (read_state(setup.plan_dir) or {}).get("bots") or {}
                assert not any(b.get("restarts") for b in restarts.values()), setup.name
            [live] = [setup for setup in setups if setup.live]
            trades, wallet, wallet_ms = live.close_live()
        finally:
            downs = [start_freqfleet("down", str(setup.plan_dir)) for setup in setups]
            for setup in setups:
                stop_process(setup.reference)
            for down in downs:
                down.communicate(timeout=180)
        futures = sim.account()["futures"]
        comparisons = [compare(setup, first, last) for setup in setups]
    result = reconcile_futures(futures, trades, wallet, wallet_ms)

    lines = ["futures entry parity, plain bot vs fleet (2 producers + consumer)"]
    for comparison in comparisons:
        lines.append("  " + comparison.summary())
        lines += [f"    - {difference}" for difference in comparison.differences()]
    lines.append(f"  {funding_summary(futures, trades, result)}")
    lines += [f"    - {difference}" for difference in result.differences]
    lines.append(f"  ready after {ready:.0f} s, wall time {time.monotonic() - began:.0f} s")
    return FuturesRun(comparisons, trades, futures, result, "\n".join(lines))
