"""A plain bot and a fleet enter the same pairs on the same candles (real processes): the
spot run of test_entry_parity_e2e.py.

On the exchange simulator (its candles are a function of symbol and time, so every bot
sees the same market) two setups run side by side, each as

- a reference: one ordinary ``freqtrade trade`` dry-run bot running the plain strategy
  ``ParityCross`` (tests/scenarios/parity/parity_strategies), and
- a fleet: ``freqfleet plan`` of the same config, two producers and a consumer running
  the plan's ``ParityCrossFleet(FleetStrategy, ParityCross)``, started with ``freqfleet up``;

one setup with unlimited slots (``max_open_trades: -1``), one with three whose consumer
trades live (``dry_run: false`` on the simulator's account; the plan gives the user's key
and secret to the consumer only, the reference stays in dry-run): after the run its wallet,
its orders and the account reconcile (``tests/kit/live_wallet.py``). ParityCross
decides entries and exits per candle (no custom exit, ROI and stoploss out of reach,
market orders that fill at once), so with limited slots both bots hold the same trades
at every candle as long as they entered the same ones. Its entries are gated by a candle
date the test writes once every bot has warmed up: both bots start trading on the same
candle with empty slots.

An entry is compared as (pair, signal candle): the candle before the one in which the
order was placed. Only signal candles from the gate to the last one whose order candle
ended before the bots were stopped count. The consumer follows no producer trades
(``"follow": []``): the comparison is of signals and slots alone.

Figures (matched / union per setup) and every difference with what the bots' databases
and the consumer's log say about it are printed; set FREQFLEET_PARITY_KEEP=DIR to keep
the bots' logs, databases and the report. FREQFLEET_PARITY_PRODUCER_DELAY=SECONDS makes
each producer spend that long per pair (a heavy strategy: its frames then reach the
consumer over several of its loops) without changing any decision.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from freqtrade.exchange import timeframe_to_prev_date
from freqtrade_client import FtRestClient

from freqfleet.fleet.manifest import FleetManifest
from freqfleet.run.control import read_state
from freqfleet.sim.launcher import running_simulator
from tests.kit.live_wallet import (
    DB_ORDERS_SQL,
    Reconciliation,
    db_orders_from_rows,
    reconcile,
)
from tests.kit.ports import free_ports
from tests.scenarios.parity.entry_parity_kit import (
    GATE_KEY,
    MARKET_ORDERS,
    child_env,
    freqfleet_command,
    sleep_until,
    start_freqfleet,
    stop_process,
    tail,
    wait_for,
)

STRATEGY_DIR = Path(__file__).parent / "parity_strategies"
STRATEGY = "ParityCross"
DELAY_KEY = "parity_analysis_delay"
PRODUCER_DELAY = float(os.environ.get("FREQFLEET_PARITY_PRODUCER_DELAY") or 0)
"""Seconds each producer spends per pair (a heavy strategy); 0 by default."""
TIMEFRAME = "1m"
CANDLE = timedelta(minutes=1)
PAIRS = 16
SEED = 23
WINDOW = 7
"""Signal candles compared, from the gate on."""
EXIT_REASONS = ("exit_signal", "cross_down")
"""How an exit on the strategy's signal is recorded (freqtrade stores the exit tag)."""
SETUPS = {"unlimited": -1, "three-slots": 3}
LIVE_SETUPS = {"three-slots"}
"""Setups whose consumer trades live on the simulator's account."""
READY_TIMEOUT = 300.0
WALLET_SETTLES = 5.0
"""Seconds a loop that was entering when the consumer was paused takes to end."""
FILL_SETTLES_MS = 3_000
"""A fill this close before the wallet was read may not be in it yet (the exit of a trade
still goes on after the pause): the balances are then not compared."""
MIN_PARITY = 0.9
MIN_COMPARED = {"unlimited": 10, "three-slots": 4}
API_USER = "parity"
API_PASSWORD = "parity-password"


# --- bots ---------------------------------------------------------------------------------


def user_config(
    exchange: dict[str, Any], max_open_trades: int, gate: Path, ports: list[int]
) -> dict[str, Any]:
    """One ordinary freqtrade config with a fleet section, as a user writes it."""
    return {
        "strategy": STRATEGY,
        "timeframe": TIMEFRAME,
        "max_open_trades": max_open_trades,
        "stake_currency": "USDT",
        # A fixed stake and a deep wallet: only the slots ever limit entries.
        "stake_amount": 20,
        "dry_run": True,
        "dry_run_wallet": 10_000,
        "trading_mode": "spot",
        "initial_state": "running",
        **MARKET_ORDERS,
        "exchange": exchange,
        "pairlists": [{"method": "StaticPairList"}],
        GATE_KEY: str(gate),
        "fleet": {
            "producers": [
                {"name": "producer-1", "port": ports[0]},
                {"name": "producer-2", "port": ports[1]},
            ],
            "consumer_port": ports[2],
            "follow": [],
            "producer_overrides": {DELAY_KEY: PRODUCER_DELAY} if PRODUCER_DELAY else {},
        },
    }


@dataclass
class Setup:
    """One configuration: a reference bot and a planned fleet on the same config."""

    name: str
    max_open_trades: int
    root: Path
    config: dict[str, Any]
    api_port: int
    reference: subprocess.Popen | None = None
    manifest: FleetManifest | None = None
    up: subprocess.Popen | None = None
    notes: list[str] = field(default_factory=list)
    live: bool = False
    wallet: dict[str, tuple[float, float]] | None = None
    wallet_ms: int = 0
    """When the live consumer's wallet was read (epoch ms)."""

    @property
    def userdir(self) -> Path:
        return self.root / "user_data"

    @property
    def plan_dir(self) -> Path:
        return self.root / "fleet"

    @property
    def reference_db(self) -> Path:
        return self.root / "reference.sqlite"

    @property
    def reference_log(self) -> Path:
        return self.root / "reference.log"

    @property
    def consumer_log(self) -> Path:
        return self.plan_dir / "user_data" / "logs" / "consumer.log"

    @property
    def consumer_db(self) -> Path:
        name = "consumer.sqlite" if self.live else "consumer.dryrun.sqlite"
        return self.plan_dir / "user_data" / name

    @property
    def state_file(self) -> Path:
        return self.plan_dir / "user_data" / "fleet-state.json"

    def producer_db(self, name: str) -> Path:
        return self.plan_dir / "user_data" / f"{name}.dryrun.sqlite"

    @classmethod
    def create(
        cls,
        tmp_path: Path,
        name: str,
        slots: int,
        exchange: dict[str, Any],
        gate: Path,
        live: bool = False,
    ) -> Setup:
        root = tmp_path / name
        (root / "user_data" / "strategies").mkdir(parents=True)
        shutil.copy(STRATEGY_DIR / "parity_cross.py", root / "user_data" / "strategies")
        ports = free_ports(4)
        config = user_config(exchange, slots, gate, ports[:3])
        if live:
            config["dry_run"] = False
        (root / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        return cls(name, slots, root, config, ports[3], live=live)

    def plan(self) -> None:
        result = subprocess.run(
            freqfleet_command(
                "plan",
                "-c",
                str(self.root / "config.json"),
                "--userdir",
                str(self.userdir),
                "-o",
                str(self.plan_dir),
            ),
            capture_output=True,
            text=True,
            timeout=180,
            env=child_env(),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        self.manifest = FleetManifest.load(self.plan_dir)
        consumer = json.loads((self.plan_dir / "consumer.json").read_text(encoding="utf-8"))
        # What this test builds on: the consumer tries pairs in the user's order.
        assert consumer["exchange"]["pair_whitelist"] == self.config["exchange"]["pair_whitelist"]
        assert consumer["max_open_trades"] == self.max_open_trades
        assert consumer["fleet"]["follow"] == []
        assert consumer["dry_run"] is not self.live
        for producer in self.manifest.producers:
            config = json.loads((self.plan_dir / f"{producer.name}.json").read_text("utf-8"))
            assert config["dry_run"] is True and not config["exchange"].get("secret")

    def start_reference(self) -> None:
        config = {key: value for key, value in self.config.items() if key != "fleet"}
        # The reference always runs in dry-run: only the fleet's consumer uses the account.
        config["dry_run"] = True
        config["exchange"] = {**config["exchange"], "key": "", "secret": ""}
        config.update(
            {
                "bot_name": f"reference-{self.name}",
                "db_url": f"sqlite:///{self.reference_db}",
                "logfile": str(self.reference_log),
                "api_server": {
                    "enabled": True,
                    "listen_ip_address": "127.0.0.1",
                    "listen_port": self.api_port,
                    "verbosity": "error",
                    "enable_openapi": False,
                    "jwt_secret_key": "parity-reference-jwt-secret-0123456789abcdef",
                    "CORS_origins": [],
                    "username": API_USER,
                    "password": API_PASSWORD,
                },
            }
        )
        path = self.root / "reference.json"
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        with open(self.root / "reference.console.log", "wb") as console:
            self.reference = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "freqtrade",
                    "trade",
                    "-c",
                    str(path),
                    "--userdir",
                    str(self.userdir),
                ],
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=child_env(),
            )

    def start_fleet(self) -> None:
        self.up = subprocess.Popen(
            freqfleet_command("up", str(self.plan_dir), "--detach", "--no-dashboard"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=child_env(),
        )

    def wait_fleet_up(self, timeout: float) -> None:
        assert self.up is not None
        output, _ = self.up.communicate(timeout=timeout)
        assert self.up.returncode == 0, f"{self.name}: freqfleet up failed: {output}"

    # -- readiness -------------------------------------------------------------------------

    def reference_client(self) -> FtRestClient:
        return FtRestClient(f"http://127.0.0.1:{self.api_port}", API_USER, API_PASSWORD, timeout=5)

    def reference_ready(self, now: datetime) -> bool:
        """Running and analysing the newest candle of every pair."""
        assert self.reference is not None
        assert self.reference.poll() is None, f"{self.name}: the reference bot exited"
        client = self.reference_client()
        whitelist = client.whitelist()
        if not isinstance(whitelist, dict) or whitelist.get("length") != PAIRS:
            return False
        newest_wanted = timeframe_to_prev_date(TIMEFRAME, now) - 2 * CANDLE
        for pair in whitelist["whitelist"]:
            frame = client.pair_candles(pair, TIMEFRAME, limit=1)
            if not isinstance(frame, dict) or not frame.get("data"):
                return False
            row = dict(zip(frame["columns"], frame["data"][-1], strict=False))
            if pd.Timestamp(row["date"]).to_pydatetime() < newest_wanted:
                return False
        return True

    def fleet_state(self) -> dict[str, Any]:
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def consumer_ready(self, now: datetime) -> bool:
        """Every pair routed and fresh, every producer on the newest candle."""
        state = self.fleet_state()
        if not state or state.get("missing_pairs") or state.get("stale_pairs"):
            return False
        if state.get("unrouted_pairs"):
            return False
        updated = datetime.fromisoformat(state["updated"])
        if now - updated > timedelta(seconds=15):
            return False
        producers = state.get("producers") or {}
        if sum(int(p.get("pairs") or 0) for p in producers.values()) != PAIRS:
            return False
        newest_wanted = timeframe_to_prev_date(TIMEFRAME, now) - 2 * CANDLE
        return all(
            p.get("newest_candle") and datetime.fromisoformat(p["newest_candle"]) >= newest_wanted
            for p in producers.values()
        )

    def ready(self, now: datetime) -> bool:
        return self.reference_ready(now) and self.consumer_ready(now)

    def describe(self) -> str:
        """What a readiness timeout reports: the consumer's state and the logs' last lines."""
        state = {
            key: value
            for key, value in self.fleet_state().items()
            if key in ("updated", "producers", "missing_pairs", "stale_pairs", "unrouted_pairs")
        }
        return (
            f"{self.name}: fleet-state {json.dumps(state)}; reference log: "
            f"{tail(self.reference_log)}; consumer log: {tail(self.consumer_log)}"
        )

    def fleet_restarts(self) -> dict[str, int]:
        state = read_state(self.plan_dir) or {}
        return {
            name: int(bot.get("restarts") or 0) for name, bot in (state.get("bots") or {}).items()
        }

    def read_wallet(self) -> None:
        """The live consumer's wallet per asset (free, used), from its REST API, once it
        takes no new entries (after the compared window) and a loop that was entering has
        ended: freqtrade refreshes its wallet after an order's fill, in the same loop."""
        assert self.manifest is not None
        entry = self.manifest.consumer
        pausing = FtRestClient(entry.api_url, entry.username, entry.password, timeout=10)
        assert isinstance(pausing.stopbuy(), dict), f"{self.name}: the consumer was not paused"
        time.sleep(WALLET_SETTLES)
        # A new connection: uvicorn closes an idle kept-alive one after 5 s, the wait's
        # length, and a request sent on it as it closes fails.
        client = FtRestClient(entry.api_url, entry.username, entry.password, timeout=10)
        answer = client.balance()
        assert isinstance(answer, dict), f"{self.name}: no balance from the consumer"
        self.wallet = {
            c["currency"]: (float(c["free"]), float(c["used"])) for c in answer["currencies"]
        }
        self.wallet_ms = int(time.time() * 1000)

    # -- stop --------------------------------------------------------------------------------

    def stop_reference(self) -> None:
        stop_process(self.reference)

    def down(self) -> subprocess.Popen:
        return start_freqfleet("down", str(self.plan_dir))


# --- trades -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trade:
    pair: str
    opened: datetime
    closed: datetime | None
    exit_reason: str | None

    @property
    def signal_candle(self) -> datetime:
        return timeframe_to_prev_date(TIMEFRAME, self.opened) - CANDLE

    @property
    def exit_signal_candle(self) -> datetime | None:
        if self.closed is None:
            return None
        return timeframe_to_prev_date(TIMEFRAME, self.closed) - CANDLE

    def open_at(self, moment: datetime) -> bool:
        return self.opened <= moment and (self.closed is None or self.closed > moment)


def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_trades(db: Path) -> list[Trade]:
    """Every trade in a bot's dry-run database (read after the bot stopped)."""
    assert db.is_file(), f"no database at {db}"
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        rows = connection.execute(
            "SELECT pair, open_date, close_date, exit_reason FROM trades ORDER BY open_date"
        ).fetchall()
    trades = []
    for pair, opened, closed, reason in rows:
        opened_at = _utc(opened)
        assert opened_at is not None
        trades.append(Trade(pair, opened_at, _utc(closed), reason))
    return trades


Key = tuple[str, datetime]


@dataclass
class Comparison:
    setup: str
    slots: int
    first: datetime
    last: datetime
    reference: dict[Key, Trade]
    fleet: dict[Key, Trade]
    differences: list[str] = field(default_factory=list)
    exits_matched: int = 0
    exits_union: int = 0

    @property
    def matched(self) -> set[Key]:
        return set(self.reference) & set(self.fleet)

    @property
    def union(self) -> set[Key]:
        return set(self.reference) | set(self.fleet)

    @property
    def parity(self) -> float:
        return len(self.matched) / len(self.union) if self.union else 1.0

    def summary(self) -> str:
        slots = "unlimited" if self.slots < 0 else str(self.slots)
        return (
            f"{self.setup} (max_open_trades {slots}): signal candles "
            f"{self.first:%H:%M}-{self.last:%H:%M} UTC, {len(self.union)} entries compared, "
            f"{len(self.matched)} matched, {len(self.union) - len(self.matched)} different, "
            f"parity {self.parity:.1%} (reference {len(self.reference)}, fleet "
            f"{len(self.fleet)}); exits on signal: {self.exits_matched}/{self.exits_union} matched"
        )

    def timing(self) -> str:
        """How far into the order candle each bot placed its orders, and how the consumer's
        entries of one candle spread (over several loops: producer data arriving between
        the consumer's loops, where a slot can go to a pair whose data came first)."""

        def into(trades: list[Trade]) -> str:
            seconds = sorted((t.opened - t.signal_candle - CANDLE).total_seconds() for t in trades)
            if not seconds:
                return "-"
            return f"median {seconds[len(seconds) // 2]:.1f} s, max {seconds[-1]:.1f} s"

        candles: dict[datetime, list[datetime]] = {}
        for trade in self.fleet.values():
            candles.setdefault(trade.signal_candle, []).append(trade.opened)
        spread = {
            candle: (max(times) - min(times)).total_seconds()
            for candle, times in candles.items()
            if len(times) > 1
        }
        split = sorted(f"{c:%H:%M} ({s:.1f} s)" for c, s in spread.items() if s > 0.9)
        return (
            f"orders into the candle: reference {into(list(self.reference.values()))}, "
            f"consumer {into(list(self.fleet.values()))}; consumer candles whose entries "
            f"spread over more than one loop: {', '.join(split) or 'none'}"
        )


def in_window(trades: list[Trade], first: datetime, last: datetime) -> dict[Key, Trade]:
    return {
        (trade.pair, trade.signal_candle): trade
        for trade in trades
        if first <= trade.signal_candle <= last
    }


def exit_keys(trades: list[Trade], first: datetime, last: datetime) -> set[Key]:
    return {
        (trade.pair, trade.exit_signal_candle)
        for trade in trades
        if trade.exit_reason in EXIT_REASONS
        and trade.exit_signal_candle is not None
        and first <= trade.signal_candle
        and trade.exit_signal_candle <= last
    }


def log_lines(path: Path, pair: str, since: datetime, until: datetime) -> list[str]:
    """Lines of a freqtrade log naming ``pair``, logged between two moments (UTC)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = []
    stamp = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})")
    for line in text.splitlines():
        match = stamp.match(line)
        if not match or pair not in line:
            continue
        # The bots run with TZ=UTC (child_env), so their log times are UTC.
        moment = datetime.fromisoformat(f"{match[1]}.{match[2]}").replace(tzinfo=UTC)
        if since <= moment <= until:
            found.append(line[:220])
    return found


def entries_in(trades: list[Trade], order_candle: datetime, whitelist: list[str]) -> str:
    """A bot's entries placed in one candle, in order: pair, whitelist position, time."""
    placed = sorted(
        (t for t in trades if order_candle <= t.opened < order_candle + CANDLE),
        key=lambda t: t.opened,
    )
    return ", ".join(
        f"{t.pair} (#{whitelist.index(t.pair) + 1}) {t.opened.isoformat(timespec='milliseconds')[17:23]}"
        for t in placed
    )


def loops_spread(trades: list[Trade], order_candle: datetime) -> float:
    """Seconds between a bot's first and last entry placed in one candle."""
    times = [t.opened for t in trades if order_candle <= t.opened < order_candle + CANDLE]
    return (max(times) - min(times)).total_seconds() if len(times) > 1 else 0.0


def explain(
    key: Key,
    present: str,
    trade: Trade,
    other: list[Trade],
    other_name: str,
    slots: int,
    producer_signals: set[Key],
    first_difference: datetime,
) -> str:
    """Why ``key`` is an entry of one bot and not of the other, from what the data shows."""
    pair, candle = key
    reasons = []
    if candle == first_difference and slots > 0:
        reasons.append("the slots of this candle went to different pairs (first difference)")
    if candle > first_difference:
        reasons.append(
            f"after the first difference (signal {first_difference:%H:%M}) the bots hold "
            "different trades"
        )
    held = [t for t in other if t.pair == pair and t.open_at(trade.opened)]
    if held:
        reasons.append(
            f"{other_name} still held {pair} (opened {held[0].opened:%H:%M:%S}, "
            f"signal {held[0].signal_candle:%H:%M})"
        )
    open_then = [t for t in other if t.open_at(trade.opened)]
    if slots > 0 and len(open_then) >= slots:
        reasons.append(
            f"{other_name}'s {slots} slots were taken when {present} entered: "
            + ", ".join(f"{t.pair}@{t.signal_candle:%H:%M}" for t in open_then)
        )
    if key not in producer_signals:
        reasons.append("no producer entered it (no signal on the producer)")
    into = (trade.opened - candle - CANDLE).total_seconds()
    if into > 20:
        reasons.append(f"{present}'s order came {into:.0f} s into the candle")
    return "; ".join(reasons) or "no cause found in the trades"


def compare(setup: Setup, first: datetime, last: datetime) -> Comparison:
    reference_trades = read_trades(setup.reference_db)
    fleet_trades = read_trades(setup.consumer_db)
    assert setup.manifest is not None
    producer_trades = [
        trade
        for bot in setup.manifest.producers
        for trade in read_trades(setup.producer_db(bot.name))
    ]
    producer_signals = set(in_window(producer_trades, first, last))
    whitelist = list(setup.config["exchange"]["pair_whitelist"])
    result = Comparison(
        setup.name,
        setup.max_open_trades,
        first,
        last,
        in_window(reference_trades, first, last),
        in_window(fleet_trades, first, last),
    )
    reference_exits = exit_keys(reference_trades, first, last)
    fleet_exits = exit_keys(fleet_trades, first, last)
    result.exits_matched = len(reference_exits & fleet_exits)
    result.exits_union = len(reference_exits | fleet_exits)
    different = sorted(result.union - result.matched, key=lambda k: (k[1], k[0]))
    if not different:
        return result
    first_difference = different[0][1]
    order_candle = first_difference + CANDLE
    spread = loops_spread(fleet_trades, order_candle)
    result.differences.append(
        f"first difference, signal candle {first_difference:%H:%M} (pair #position in the "
        f"whitelist, order second): reference {entries_in(reference_trades, order_candle, whitelist)}"
        f" | fleet {entries_in(fleet_trades, order_candle, whitelist)}"
        + (
            f"; the consumer's entries of this candle spread over {spread:.1f} s (several "
            "loops: producer frames arriving between them, a free slot going to the pair "
            "whose frame came first)"
            if spread > 0.9
            else ""
        )
    )
    for key in different:
        pair, candle = key
        if key in result.reference:
            present, trade = "reference", result.reference[key]
            other, other_name = fleet_trades, "fleet"
        else:
            present, trade = "fleet", result.fleet[key]
            other, other_name = reference_trades, "reference"
        why = explain(
            key,
            present,
            trade,
            other,
            other_name,
            setup.max_open_trades,
            producer_signals,
            first_difference,
        )
        line = (
            f"{pair} signal {candle:%H:%M}: only the {present} entered (order "
            f"{trade.opened.isoformat(timespec='milliseconds')[11:23]}); {why}"
        )
        consumer = [
            text
            for text in log_lines(setup.consumer_log, pair, candle + CANDLE, candle + 2 * CANDLE)
            if "Fleet" in text or "WARNING" in text or "ERROR" in text
        ]
        if consumer:
            line += "\n      consumer log: " + "\n      consumer log: ".join(consumer[:4])
        result.differences.append(line)
    return result


def keep_artifacts(setups: list[Setup], report: str) -> None:
    target = os.environ.get("FREQFLEET_PARITY_KEEP")
    if not target:
        return
    keep = Path(target)
    keep.mkdir(parents=True, exist_ok=True)
    (keep / "report.txt").write_text(report, encoding="utf-8")
    for setup in setups:
        folder = keep / setup.name
        folder.mkdir(exist_ok=True)
        candidates = [
            setup.reference_log,
            setup.reference_db,
            setup.consumer_log,
            setup.consumer_db,
            setup.state_file,
            *(setup.plan_dir / "user_data" / "logs").glob("*.log"),
            *(setup.plan_dir / "user_data").glob("*.sqlite"),
        ]
        for path in candidates:
            if not path.is_file():
                continue
            if path.suffix == ".sqlite":
                # freqtrade leaves its databases in WAL mode: copy through sqlite.
                source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                target_db = sqlite3.connect(folder / path.name)
                with contextlib.closing(source), contextlib.closing(target_db):
                    source.backup(target_db)
            else:
                shutil.copy(path, folder / path.name)


def reconcile_live(setup: Setup, sim: Any) -> tuple[str, Reconciliation]:
    """The live consumer's orders, wallet and base assets against the account, after the
    fleet stopped."""
    with contextlib.closing(sqlite3.connect(f"file:{setup.consumer_db}?mode=ro", uri=True)) as db:
        rows = db.execute(DB_ORDERS_SQL).fetchall()
        steps = {
            pair: Decimal(str(step))
            for pair, step in db.execute("SELECT pair, amount_precision FROM trades").fetchall()
        }
    account = sim.account()
    wallet = setup.wallet
    # The wallet was read before the fleet stopped; orders filled while it stopped (an
    # exit on the last candle) move the balances after it: compared only when none did
    # (nor just before the read).
    last_fill = max((o["updateTime"] for o in account["orders"]), default=0)
    return setup.name, reconcile(
        account,
        db_orders_from_rows(rows),
        wallet if wallet is not None and last_fill < setup.wallet_ms - FILL_SETTLES_MS else None,
        steps=steps,
    )


@dataclass
class SpotRun:
    """What one spot entry parity run found: the figures the test asserts on."""

    comparisons: list[Comparison]
    wallets: list[tuple[str, Reconciliation]]
    report: str


def run(tmp_path: Path) -> SpotRun:
    """Both setups side by side on one simulator, from the start of the bots to the
    reconciliation of the live consumer's wallet."""
    began = time.monotonic()
    gate = tmp_path / "entries-from.txt"
    setups: list[Setup] = []
    timings: list[str] = []
    with running_simulator(pairs=PAIRS, seed=SEED, account=tmp_path / "account.json") as sim:
        # The user's order is neither the simulator's nor the producers' shares'.
        pairs = list(reversed(sim.pairs))
        setups = [
            Setup.create(
                tmp_path,
                name,
                slots,
                sim.exchange_config(pairs, live=name in LIVE_SETUPS),
                gate,
                live=name in LIVE_SETUPS,
            )
            for name, slots in SETUPS.items()
        ]
        for setup in setups:
            setup.plan()
        try:
            for setup in setups:
                setup.start_reference()
                setup.start_fleet()
            for setup in setups:
                setup.wait_fleet_up(timeout=READY_TIMEOUT + 120)
            wait_for(
                lambda: all(setup.ready(datetime.now(UTC)) for setup in setups),
                READY_TIMEOUT,
                "every reference bot and consumer analysing the newest candle",
                describe=lambda: "\n".join(setup.describe() for setup in setups),
            )
            # The first signal candle: the one in progress (no bot analyses it before it
            # closes, and by then the gate is written), unless it is about to close.
            ready_at = datetime.now(UTC)
            first = timeframe_to_prev_date(TIMEFRAME, ready_at + timedelta(seconds=10))
            gate.write_text(first.isoformat(), encoding="utf-8")
            assert datetime.now(UTC) < first + CANDLE, "the gate came after its first candle"
            timings.append(f"all bots ready {time.monotonic() - began:.0f} s after the start")
            last = first + (WINDOW - 1) * CANDLE
            # The last signal candle's order candle has ended (plus a margin for the fills).
            sleep_until(last + 2 * CANDLE + timedelta(seconds=5))
            for setup in setups:
                assert setup.reference is not None and setup.reference.poll() is None, (
                    f"{setup.name}: the reference bot stopped early"
                )
                restarts = setup.fleet_restarts()
                assert not any(restarts.values()), f"{setup.name}: fleet restarts {restarts}"
            for setup in setups:
                if setup.live:
                    setup.read_wallet()
        finally:
            downs = [setup.down() for setup in setups]
            for setup in setups:
                setup.stop_reference()
            for down in downs:
                down.communicate(timeout=180)
        timings.append(f"stopped {time.monotonic() - began:.0f} s after the start")
        comparisons = [compare(setup, first, last) for setup in setups]
        wallets = [reconcile_live(setup, sim) for setup in setups if setup.live]

    lines = ["entry parity, plain bot vs fleet (2 producers + consumer)"]
    for comparison in comparisons:
        lines.append("  " + comparison.summary())
        lines.append("    " + comparison.timing())
        lines += [f"    - {difference}" for difference in comparison.differences]
    lines += [f"  live wallet ({setup}): {result.summary()}" for setup, result in wallets]
    lines += [f"  {timing}" for timing in timings]
    lines.append(f"  wall time {time.monotonic() - began:.0f} s")
    report = "\n".join(lines)
    keep_artifacts(setups, report)
    return SpotRun(comparisons, wallets, report)
