"""What a fleet is for: candle close to the consumer's decision, one bot against K producers.

    .venv/bin/python bench/fleet_scaling.py            # 60 pairs: single, K=2, K=1; light K=2
    .venv/bin/python bench/fleet_scaling.py --full     # also K=3, K=4, a light single bot
    .venv/bin/python bench/fleet_scaling.py --cases heavy-single,heavy-k2 --candles 5
    .venv/bin/python bench/fleet_scaling.py --pairs 500 --candles 3   # the consumer at 500
    .venv/bin/python bench/fleet_scaling.py --report DIR   # the report of a --keep DIR again

Real ``freqtrade trade`` processes on the exchange simulator, 1m candles, ``--pairs``
pairs (default 60), one case after the other on the same machine (each case its own
bots, the same simulator and market). As on Binance, bots take each closed candle from the
simulator's kline streams (``exchange.enable_ws``) and download candles over REST only at
start-up:

- ``heavy-single``: one ordinary bot running ``FleetHeavySampleStrategy`` (about 100 ms of
  analysis per pair on one core) on every pair;
- ``heavy-kK``: the same strategy planned by ``freqfleet plan`` as K producers plus a
  consumer, run under the supervisor ``freqfleet up`` uses;
- ``light-k2``: ``FleetSampleStrategy`` on 1m, for the breakdown of candle close ->
  consumer entry order; ``light-k2-lean`` the same with the consumer settings proposed in
  BENCHMARKS.md (``-fast``: only ccxt's request spacing; ``light-single``: a plain bot);
  ``-exchange``: the consumer downloads its own candles (``fleet.consumer_candles``
  "exchange", the baseline of the default "producers").
- ``--pairs 500 --cases light-k2,light-k2-exchange``: the consumer at 500 pairs; its CPU per
  candle by part (candle refresh + merge, freqtrade's own loop work, other threads), its
  RSS and its exchange weight at start-up and per minute (``/sim/stats`` by bot).

Per candle, from the bots' own data (not their logs): REST ``pair_candles``
``last_analyzed`` and newest row of every pair on every bot, the consumer's
``fleet-state.json``, entry order dates in the bots' sqlite databases, and a record each
bot's strategy writes (``bench/strategies``: candle refresh, analysis per pair, each
producer row the consumer stores with the producer's analysis time). CPU seconds per
process per candle from psutil, bytes from producer to consumer per candle from the
kernel's TCP counters of the consumer's producer connections (``ss``).

A case runs until ``--candles`` candles after one warm-up candle have closed; the REST
poll runs 40 s after each close and its own CPU is left out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from freqtrade_client import FtRestClient

from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.run import DemoOptions, demo_config
from freqfleet.run.processes import local_api_url, process_specs
from freqfleet.run.supervisor import Supervisor
from freqfleet.sim.launcher import running_simulator

BENCH_DIR = Path(__file__).resolve().parent
STRATEGIES = BENCH_DIR / "strategies"
FREQTRADE = str(Path(sys.executable).parent / "freqtrade")
POLL_AFTER = 40.0
"""Seconds after a candle's close at which every bot's REST API is read."""
SNAPSHOT_BEFORE = 1.5
"""Seconds before a close at which CPU and byte counters are read."""
READY_TIMEOUT = 240.0
HELD_TIMEOUT = 300.0
"""After the bots run, how long the consumer may take to hold every pair's frame."""
MINUTE = 60.0
POLL_PAIRS_MAX = 100
"""Above this many pairs a bot's pairs are not read over REST after each close (reading
500 pairs of 3 bots takes most of a minute on 2 cores): the records tell the timings."""

DEFAULT_CASES = ["heavy-single", "heavy-k2", "heavy-k1", "light-k2", "light-k2-lean"]
CONSUMER_CASES = ["light-k2", "light-k2-exchange"]
"""``--pairs 500``: the consumer with candles from its producers against one downloading
its own (the baseline), in the same run."""
FULL_CASES = [
    "heavy-single",
    "heavy-k2",
    "heavy-k1",
    "heavy-k3",
    "heavy-k4",
    "heavy-k2-fast",
    "light-single",
    "light-k2",
    "light-k2-fast",
    "light-k2-lean",
    "light-k2-exchange",
]
FAST_RATE_LIMIT_MS = 10
"""``-fast`` cases: ``fleet.producer_overrides`` and ``consumer_overrides`` set ccxt's
request spacing (``exchange.ccxt_async_config.rateLimit``) to this instead of Binance's
50 ms; see BENCHMARKS.md."""
LEAN_CANDLE_LIMIT = 100
"""``-lean`` cases: as ``-fast``, and the consumer spaces its order-book and order requests
(``exchange.ccxt_config.rateLimit``) by the same and fetches this many candles per pair
and candle (``exchange._ft_has_params.ohlcv_candle_limit``) instead of 1,000."""


# -- small helpers --------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def next_close(after: float) -> float:
    return (int(after // MINUTE) + 1) * MINUTE


def parse_date(value: str | None) -> float | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def load_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


def tcp_received(local_port: int, remote_port: int) -> int | None:
    """Bytes the kernel received on one established 127.0.0.1 connection (``ss -ti``)."""
    try:
        text = subprocess.run(
            ["ss", "-tinH", "state", "established",
             f"( sport = :{local_port} and dport = :{remote_port} )"],
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"bytes_received:(\d+)", text)
    return int(found.group(1)) if found else None


# -- the bots of one case ---------------------------------------------------------------


@dataclass
class BotHandle:
    name: str  # single, producer-1, ..., consumer
    role: str  # single, producer, consumer
    url: str
    username: str
    password: str
    pairs: list[str]
    db: Path
    record: Path
    port: int
    process: Any = None  # psutil.Process once running

    def client(self) -> FtRestClient:
        return FtRestClient(self.url, self.username, self.password, timeout=20)


def base_config(sim, pairs: list[str], strategy: str, records: Path) -> dict[str, Any]:
    """The user's ordinary config (the demo's, on 1m candles), one slot per pair."""
    options = DemoOptions(max_open_trades=len(pairs))
    config = demo_config(sim.exchange_config(pairs), options)
    del config["fleet"]  # a fleet section is added where a fleet is planned
    return {
        **config,
        "strategy": strategy,
        "strategy_path": str(STRATEGIES),
        "stake_amount": 100,
        "dry_run_wallet": 100 * len(pairs) * 10,
        "internals": {"process_throttle_secs": 5},
        "bench_record_dir": str(records),
    }


class SingleBot:
    """One ordinary ``freqtrade trade`` process."""

    def __init__(self, work: Path, config: dict[str, Any]) -> None:
        self.work = work
        port = free_ports(1)[0]
        password = secrets.token_urlsafe(16)
        config = {
            **config,
            "bot_name": "single",
            "initial_state": "running",
            "api_server": {
                "enabled": True,
                "listen_ip_address": "127.0.0.1",
                "listen_port": port,
                "verbosity": "error",
                "enable_openapi": False,
                "jwt_secret_key": secrets.token_urlsafe(32),
                "ws_token": secrets.token_urlsafe(32),
                "CORS_origins": [],
                "username": "bench",
                "password": password,
            },
        }
        self.config_path = work / "single.json"
        self.config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        self.bot = BotHandle(
            "single", "single", f"http://127.0.0.1:{port}", "bench", password,
            list(config["exchange"]["pair_whitelist"]), work / "single.sqlite",
            Path(config["bench_record_dir"]) / "single.jsonl", port,
        )  # fmt: skip
        self.popen: subprocess.Popen | None = None

    @property
    def bots(self) -> list[BotHandle]:
        return [self.bot]

    def start(self) -> None:
        (self.work / "user_data").mkdir(parents=True, exist_ok=True)
        self.popen = subprocess.Popen(
            [FREQTRADE, "trade", "-c", str(self.config_path), "--userdir",
             str(self.work / "user_data"), "--db-url", f"sqlite:///{self.bot.db}",
             "--logfile", str(self.work / "single.log")],
            cwd=self.work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.bot.process = psutil.Process(self.popen.pid)

    def check(self) -> None:
        if self.popen is not None and self.popen.poll() is not None:
            tail = (self.work / "single.log").read_text(errors="replace").splitlines()[-15:]
            raise RuntimeError("single bot exited:\n" + "\n".join(tail))

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


class PlannedFleet:
    """K producers and a consumer as ``freqfleet plan`` writes them and ``up`` runs them."""

    def __init__(
        self, work: Path, config: dict[str, Any], producers: int, overrides: dict[str, Any]
    ) -> None:
        ports = free_ports(producers + 1)
        config = {
            **config,
            "fleet": {
                "producers": [
                    {"name": f"producer-{i + 1}", "port": port} for i, port in enumerate(ports[:-1])
                ],
                "consumer_port": ports[-1],
                **overrides,
            },
        }
        self.plan_dir = work / "fleet"
        self.manifest = write_plan(config, validate_fleet_config(config), self.plan_dir)
        records = Path(config["bench_record_dir"])
        self.bots_by_name: dict[str, BotHandle] = {}
        for entry in self.manifest.bots:
            bot_config = json.loads((self.plan_dir / entry.config_files[0]).read_text())
            db = bot_config["db_url"].removeprefix("sqlite:///")
            self.bots_by_name[entry.name] = BotHandle(
                entry.name, entry.role, local_api_url(entry), entry.username, entry.password,
                list(entry.pairs) or list(bot_config["exchange"]["pair_whitelist"]),
                self.plan_dir / db, records / f"{bot_config['bot_name']}.jsonl", entry.api_port,
            )  # fmt: skip
        self.supervisor = Supervisor(
            self.plan_dir, process_specs(self.plan_dir, self.manifest), on_event=lambda _: None
        )

    @property
    def bots(self) -> list[BotHandle]:
        return list(self.bots_by_name.values())

    def start(self) -> None:
        self.supervisor.start()

    def check(self) -> None:
        self.supervisor.check()
        for name, child in self.supervisor.children.items():
            bot = self.bots_by_name[name]
            alive = child.process is not None and child.process.poll() is None
            if alive and (bot.process is None or bot.process.pid != child.process.pid):
                bot.process = psutil.Process(child.process.pid)
            if child.gave_up:
                raise RuntimeError(f"{name} keeps exiting; see {self.plan_dir}/user_data/logs")

    def stop(self) -> None:
        self.supervisor.stop()


# -- measuring ----------------------------------------------------------------------------


@dataclass
class Snapshot:
    at: float
    cpu: dict[str, float]
    received: dict[tuple[int, int], int]
    rss: dict[str, int] = field(default_factory=dict)


@dataclass
class CandlePoll:
    close: float
    analysed: dict[str, dict[str, float | None]] = field(default_factory=dict)
    """bot -> pair -> last_analyzed (None: the pair's newest row is not this candle's)."""
    signals: dict[str, dict[str, bool]] = field(default_factory=dict)
    state: dict[str, Any] | None = None


def snapshot(bots: list[BotHandle], extra: dict[str, psutil.Process]) -> Snapshot:
    cpu: dict[str, float] = {}
    rss: dict[str, int] = {}
    for name, process in [*((b.name, b.process) for b in bots), *extra.items()]:
        if process is None:
            continue
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            cpu[name] = times.user + times.system
            rss[name] = process.memory_info().rss
    received: dict[tuple[int, int], int] = {}
    consumer = next((b for b in bots if b.role == "consumer"), None)
    if consumer is not None and consumer.process is not None:
        producer_ports = {b.port for b in bots if b.role == "producer"}
        with contextlib.suppress(psutil.Error):
            for conn in consumer.process.net_connections(kind="tcp"):
                ours = conn.raddr and conn.raddr.port in producer_ports
                if conn.status == psutil.CONN_ESTABLISHED and ours:
                    count = tcp_received(conn.laddr.port, conn.raddr.port)
                    if count is not None:
                        received[(conn.laddr.port, conn.raddr.port)] = count
    return Snapshot(time.time(), cpu, received, rss)


def poll(bots: list[BotHandle], close: float, plan_dir: Path | None) -> CandlePoll:
    candle = close - MINUTE
    result = CandlePoll(close)
    for bot in bots:
        client = bot.client()
        analysed: dict[str, float | None] = {}
        signals: dict[str, bool] = {}
        for pair in bot.pairs if len(bot.pairs) <= POLL_PAIRS_MAX else []:
            answer = client.pair_candles(pair, "1m", limit=3, columns=["enter_long"])
            if not isinstance(answer, dict) or not answer.get("data"):
                analysed[pair] = None
                continue
            columns = answer["columns"]
            rows = [dict(zip(columns, row, strict=False)) for row in answer["data"]]
            newest = rows[-1]
            if parse_date(newest.get("date")) == candle:
                analysed[pair] = parse_date(answer.get("last_analyzed"))
                signals[pair] = newest.get("enter_long") == 1
            else:
                analysed[pair] = None
        result.analysed[bot.name] = analysed
        result.signals[bot.name] = signals
    if plan_dir is not None:
        with contextlib.suppress(OSError, ValueError):
            result.state = json.loads((plan_dir / "user_data" / "fleet-state.json").read_text())
    return result


def every_pair_held(plan_dir: Path, pairs: list[str]) -> bool:
    """Whether the consumer's state file shows each of ``pairs`` held at lag 0."""
    try:
        state = json.loads((plan_dir / "user_data" / "fleet-state.json").read_text())
    except (OSError, ValueError):
        return False
    held = state.get("pairs", {})
    return all(held.get(pair, {}).get("lag") == 0 for pair in pairs)


def full_frame_requests(plan_dir: Path, warm_up: float) -> dict[str, float]:
    """freqtrade's requests of a producer's full frame logged by the consumer (a row that
    could not be appended), before and after the warm-up close."""
    counts = {"requests_startup": 0.0, "requests_measured": 0.0}
    log = plan_dir / "run" / "consumer.console.log"
    with contextlib.suppress(OSError):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if "Holes in data or no existing df" not in line:
                continue
            with contextlib.suppress(ValueError):
                moment = datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
                part = "startup" if moment.timestamp() < warm_up else "measured"
                counts[f"requests_{part}"] += 1
    return counts


def entry_orders(db: Path) -> list[tuple[str, float]]:
    """(pair, order date) of every entry order in a bot's database."""
    if not db.exists():
        return []
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT t.pair, o.order_date FROM orders o JOIN trades t ON o.ft_trade_id = t.id "
            "WHERE o.ft_order_side = 'buy' ORDER BY o.order_date"
        ).fetchall()
    return [(pair, parse_date(date)) for pair, date in rows]


@dataclass
class CaseResult:
    name: str
    load: tuple[float, float]
    candles: list[float]
    polls: list[CandlePoll]
    snapshots: dict[float, tuple[Snapshot, Snapshot, Snapshot]]
    records: dict[str, list[dict[str, Any]]]
    orders: dict[str, list[tuple[str, float]]]
    bots: list[BotHandle]
    weight: dict[str, dict[str, float]] = field(default_factory=dict)
    """``startup`` (start -> the warm-up candle's close) and ``per_minute`` (after it):
    bot -> exchange weight, from the simulator's counts by bot."""
    startup: dict[str, float] = field(default_factory=dict)
    """A fleet's start-up: ``running`` (start -> every bot's API says running), ``held``
    (start -> the consumer's state file shows every pair held at lag 0), and freqtrade's
    full-frame requests of the consumer ("Holes in data or no existing df") before the
    warm-up close (``requests_startup``) and after it (``requests_measured``)."""


def run_case(name: str, sim, args, work: Path) -> CaseResult:
    strategy = "BenchHeavy" if name.startswith("heavy") else "BenchLight"
    records = work / "records"
    records.mkdir(parents=True, exist_ok=True)
    pairs = sim.pairs[: args.pairs]
    config = base_config(sim, pairs, strategy, records)
    if name.endswith("single"):
        runner: SingleBot | PlannedFleet = SingleBot(work, config)
        plan_dir = None
    else:
        variant = name.partition("-k")[2].removesuffix("-exchange")
        producers = int(variant.split("-")[0])
        overrides: dict[str, Any] = {}
        if name.endswith("-exchange"):
            overrides["consumer_candles"] = "exchange"
        if variant.endswith(("-fast", "-lean")):
            fast = {"exchange": {"ccxt_async_config": {"rateLimit": FAST_RATE_LIMIT_MS}}}
            overrides = {"producer_overrides": fast, "consumer_overrides": fast}
        if variant.endswith("-lean"):
            overrides["consumer_overrides"] = {
                "exchange": {
                    "ccxt_config": {"rateLimit": FAST_RATE_LIMIT_MS},
                    "ccxt_async_config": {"rateLimit": FAST_RATE_LIMIT_MS},
                    "_ft_has_params": {"ohlcv_candle_limit": LEAN_CANDLE_LIMIT},
                }
            }
        runner = PlannedFleet(work, config, producers, overrides)
        plan_dir = runner.plan_dir
    extra = {"simulator": psutil.Process(sim.process.pid)}
    print(f"--- {name}: starting", flush=True)
    weights = [bot_weight(sim)]
    started = time.monotonic()
    runner.start()
    try:
        deadline = time.monotonic() + READY_TIMEOUT

        def wait_until(moment: float) -> None:
            while time.time() < moment:
                runner.check()
                time.sleep(min(0.25, max(0.0, moment - time.time())))

        def all_up() -> bool:
            for bot in runner.bots:
                if bot.process is None:
                    return False
                answer = bot.client().show_config()
                if not isinstance(answer, dict) or answer.get("state") != "running":
                    return False
            return True

        # FtRestClient logs every refused connection while a bot starts.
        logging.getLogger("ft_rest_client").setLevel(logging.CRITICAL)
        while not all_up():
            runner.check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: bots not running after {READY_TIMEOUT:.0f} s")
            time.sleep(1)
        running_after = time.monotonic() - started
        held_after = None
        if plan_dir is not None:
            # Measure from the first candle after the consumer holds every pair's frame:
            # at 500 pairs its first full frames keep arriving for a minute or two.
            while not every_pair_held(plan_dir, pairs):
                runner.check()
                if time.monotonic() > deadline + HELD_TIMEOUT:
                    raise RuntimeError(f"{name}: consumer holds not every pair")
                time.sleep(1)
            held_after = time.monotonic() - started
        warm_up = next_close(time.time() + 5)
        closes = [warm_up + MINUTE * (i + 1) for i in range(args.candles)]
        print(
            f"--- {name}: running; warm-up candle closes {time.strftime('%H:%M:%S', time.gmtime(warm_up))},"
            f" {len(closes)} measured candles",
            flush=True,
        )
        load_before = os.getloadavg()[0]
        polls: list[CandlePoll] = []
        snaps: dict[float, list[Snapshot]] = {}
        before: dict[float, Snapshot] = {}
        for close in [warm_up, *closes, closes[-1] + MINUTE]:
            wait_until(close - SNAPSHOT_BEFORE)
            before[close] = snapshot(runner.bots, extra)
            if close in (warm_up, closes[-1] + MINUTE):
                weights.append(bot_weight(sim))
            if close > closes[-1]:
                break
            wait_until(close + POLL_AFTER)
            if close in closes:
                start = snapshot(runner.bots, extra)
                polls.append(poll(runner.bots, close, plan_dir))
                end = snapshot(runner.bots, extra)
                snaps[close] = [before[close], start, end]
        for close in closes:
            snaps[close].append(before[close + MINUTE])
        load_after = os.getloadavg()[0]
    finally:
        runner.stop()
    start, warm, end = weights
    startup: dict[str, float] = {"running": running_after}
    if plan_dir is not None and held_after is not None:
        startup["held"] = held_after
        startup.update(full_frame_requests(plan_dir, warm_up))
    saved = {
        "weight": {
            "startup": {b: w - start.get(b, 0) for b, w in warm.items()},
            "per_minute": {b: (w - warm.get(b, 0)) / len(closes) for b, w in end.items()},
        },
        "name": name,
        "startup": startup,
        "load": [load_before, load_after],
        "candles": closes,
        "polls": [vars(p) for p in polls],
        "snapshots": {
            str(close): [
                {"at": s.at, "cpu": s.cpu, "rss": s.rss,
                 "received": [[*k, v] for k, v in s.received.items()]}
                for s in snaps[close]
            ]
            for close in closes
        },
        "bots": [
            {
                "name": b.name, "role": b.role, "url": b.url, "pairs": b.pairs, "port": b.port,
                "db": str(b.db.relative_to(work)), "record": str(b.record.relative_to(work)),
            }
            for b in runner.bots
        ],
    }  # fmt: skip
    (work / "case.json").write_text(json.dumps(saved), encoding="utf-8")
    return load_case(work)


def load_case(work: Path) -> CaseResult:
    """A case as ``run_case`` saved it (``case.json``, records and databases in ``work``)."""
    saved = json.loads((work / "case.json").read_text(encoding="utf-8"))
    bots = [
        BotHandle(b["name"], b["role"], b["url"], "", "", b["pairs"], work / b["db"],
                  work / b["record"], b["port"])
        for b in saved["bots"]
    ]  # fmt: skip
    snapshots = {
        float(close): tuple(
            Snapshot(s["at"], s["cpu"], {(a, b): v for a, b, v in s["received"]}, s.get("rss", {}))
            for s in snaps
        )
        for close, snaps in saved["snapshots"].items()
    }
    return CaseResult(
        name=saved["name"],
        load=tuple(saved["load"]),
        candles=saved["candles"],
        polls=[CandlePoll(**p) for p in saved["polls"]],
        snapshots=snapshots,
        records={b.name: load_records(b.record) for b in bots},
        orders={b.name: entry_orders(b.db) for b in bots},
        bots=bots,
        weight=saved.get("weight", {}),
        startup=saved.get("startup", {}),
    )


def bot_weight(sim) -> dict[str, float]:
    """bot (and ``bot endpoint``) -> exchange weight so far (the simulator's counts by the
    bot's name)."""
    try:
        found = sim.bot_stats()
    except Exception:  # the simulator's stats are optional to the timings
        return {}
    out: dict[str, float] = {}
    for bot, counts in found.items():
        out[bot] = float(sum(counts["weight"].values()))
        out.update({f"{bot} {path}": float(w) for path, w in counts["weight"].items()})
    return out


# -- reading a case -----------------------------------------------------------------------


def cpu_per_candle(result: CaseResult) -> dict[str, list[float]]:
    """CPU seconds per process per candle, the REST poll left out."""
    per: dict[str, list[float]] = defaultdict(list)
    for close in result.candles:
        first, start, end, last = result.snapshots[close]
        for name in last.cpu:
            if name in first.cpu and name in start.cpu and name in end.cpu:
                per[name].append(
                    (start.cpu[name] - first.cpu[name]) + (last.cpu[name] - end.cpu[name])
                )
    return per


def bytes_per_pair(result: CaseResult, pairs: int) -> list[float]:
    out = []
    for close in result.candles:
        first, _, _, last = result.snapshots[close]
        total = sum(
            last.received[key] - first.received[key]
            for key in last.received
            if key in first.received and last.received[key] >= first.received[key]
        )
        if first.received:
            out.append(total / pairs)
    return out


def last_analysed(result: CaseResult, role: str) -> list[float]:
    """Per candle: close -> the last pair analysed (by any bot of ``role``)."""
    out = []
    for p in result.polls:
        times = [
            t
            for bot in result.bots
            if bot.role == role
            for t in p.analysed.get(bot.name, {}).values()
            if t is not None
        ]
        missing = sum(
            1
            for bot in result.bots
            if bot.role == role
            for t in p.analysed.get(bot.name, {}).values()
            if t is None
        )
        if times and not missing:
            out.append(max(times) - p.close)
        else:
            out.append(float("inf"))
    return out


def received(result: CaseResult) -> dict[tuple[str, float], dict[str, float]]:
    """(pair, candle) -> the consumer's receipt of the producer's row: t, la."""
    found: dict[tuple[str, float], dict[str, float]] = {}
    for record in result.records.get("consumer", []):
        if record.get("e") == "rx" and record.get("candle") is not None:
            key = (record["pair"], record["candle"])
            if key not in found:  # the first message carrying that candle
                found[key] = record
    return found


def consumer_entries(result: CaseResult, name: str) -> list[tuple[str, float, float]]:
    """(pair, close, order date) for entries placed within the candle after the signal."""
    out = []
    closes = set(result.candles)
    for pair, date in result.orders.get(name, []):
        if date is None:
            continue
        close = (date // MINUTE) * MINUTE
        if close in closes:
            out.append((pair, close, date))
    return out


def first_refresh(result: CaseResult, name: str, close: float) -> dict[str, float] | None:
    """A bot's first candle refresh after ``close`` (its loop for the new candle)."""
    return next(
        (r for r in result.records.get(name, []) if r.get("e") == "refresh" and r["t0"] >= close),
        None,
    )


def refresh_times(result: CaseResult, roles: tuple[str, ...]) -> list[float]:
    """Per candle: the slowest candle refresh among bots of ``roles`` (seconds)."""
    out = []
    for close in result.candles:
        found = [first_refresh(result, bot.name, close) for bot in result.bots if bot.role in roles]
        if found and all(found):
            out.append(max(r["t1"] - r["t0"] for r in found))
    return out


def summarise_heavy(result: CaseResult, pairs: int) -> dict[str, Any]:
    cpu = cpu_per_candle(result)
    row: dict[str, Any] = {"case": result.name, "load": result.load}
    row["refresh"] = refresh_times(result, ("single", "producer"))
    row["consumer_refresh"] = refresh_times(result, ("consumer",))
    if result.name.endswith("single"):
        row["analysed"] = last_analysed(result, "single")
        row["entries"] = [d - c for _, c, d in consumer_entries(result, "single")]
        row["cpu"] = {"single": cpu.get("single", [])}
    else:
        row["analysed"] = last_analysed(result, "producer")
        row["fresh"] = last_analysed(result, "consumer")
        rx = received(result)
        last_rx, broadcast = [], []
        for p in result.polls:
            candle = p.close - MINUTE
            times = [r["t"] for (pair, c), r in rx.items() if c == candle]
            broadcast += [r["t"] - r["la"] for (pair, c), r in rx.items() if c == candle]
            last_rx.append(max(times) - p.close if len(times) >= pairs else float("inf"))
        row["last_rx"] = last_rx
        row["consumer_part"] = [f - r for f, r in zip(row["fresh"], last_rx, strict=True)]
        row["broadcast"] = broadcast
        entries = consumer_entries(result, "consumer")
        row["entries"] = [d - c for _, c, d in entries]
        # The consumer takes a candle's entries once every producer has sent its row (or
        # a quarter of a candle has passed), as a plain bot enters after analysing every
        # pair: its part is the last row received -> each entry order.
        last_of = {p.close: p.close + t for p, t in zip(result.polls, last_rx, strict=True)}
        row["entry_after_rx"] = [d - last_of[c] for _, c, d in entries if c in last_of]
        row["bytes"] = bytes_per_pair(result, pairs)
        row["cpu"] = {
            "producers (sum)": [
                sum(v)
                for v in zip(
                    *(cpu[b.name] for b in result.bots if b.role == "producer"), strict=False
                )
            ],
            "slowest producer": [
                max(v)
                for v in zip(
                    *(cpu[b.name] for b in result.bots if b.role == "producer"), strict=False
                )
            ],
            "consumer": cpu.get("consumer", []),
        }
        state = [p.state for p in result.polls if p.state]
        row["state_stale"] = sum(len(s.get("stale_pairs", [])) for s in state)
        row["state_missing"] = sum(len(s.get("missing_pairs", [])) for s in state)
    row["cpu"]["simulator"] = cpu.get("simulator", [])
    pair_cpu = [
        r["cpu"] for records in result.records.values() for r in records if r.get("e") == "pair"
    ]
    row["pair_cpu"] = pair_cpu
    row["pairs_signalled"] = [
        sum(sum(1 for s in p.signals.get(b.name, {}).values() if s) for b in result.bots
            if b.role in ("single", "producer"))
        for p in result.polls
    ]  # fmt: skip
    return row


def breakdown(result: CaseResult) -> dict[str, list[float]]:
    """Per consumer entry, the steps from the candle's close to the entry order (seconds):
    they add up to the total."""
    producers = {b.name: b for b in result.bots if b.role == "producer"}
    owner = {pair: b.name for b in producers.values() for pair in b.pairs}
    rx = received(result)
    last_rx: dict[float, float] = {}
    for (_, candle), record in rx.items():
        last_rx[candle] = max(last_rx.get(candle, 0.0), record["t"])
    records = {name: result.records.get(name, []) for name in [*producers, "consumer"]}
    refreshes = {
        name: sorted(
            (r["t0"], r["t1"], r.get("cpu", float("nan"))) for r in found if r.get("e") == "refresh"
        )
        for name, found in records.items()
    }
    analyses = sorted(r["t1"] for r in records["consumer"] if r.get("e") == "analyze")
    analysed_pair = {
        (name, r["pair"], r["candle"]): r["t1"]
        for name in producers
        for r in records[name]
        if r.get("e") == "pair"
    }
    steps: dict[str, list[float]] = defaultdict(list)
    for pair, close, order in consumer_entries(result, "consumer"):
        candle = close - MINUTE
        name = owner.get(pair)
        # freqtrade runs no loop in the second after a close: the first loop after it is
        # the one that fetches the new candle.
        refresh = next((r for r in refreshes.get(name, []) if r[0] >= close), None)
        own = next((r for r in refreshes["consumer"] if r[0] >= close), None)
        done = analysed_pair.get((name, pair, candle))
        got = rx.get((pair, candle))
        every = last_rx.get(candle)
        entering = max((t for t in analyses if t <= order), default=None)
        if None in (refresh, done, got, every, own, entering):
            continue
        steps["loop wait (close -> producer loop)"].append(refresh[0] - close)
        steps["candle refresh (producer)"].append(refresh[1] - refresh[0])
        steps["analysis (refresh end -> pair analysed)"].append(done - refresh[1])
        steps["broadcast (analysed -> consumer has the row)"].append(got["t"] - done)
        steps["other pairs' rows (the candle's entries wait for all)"].append(
            max(got["t"], every) - got["t"]
        )
        steps["consumer loop (last row -> loop that enters)"].append(
            entering - max(got["t"], every)
        )
        steps["order (-> entry order placed)"].append(order - entering)
        steps["close -> entry order"].append(order - close)
        steps["(consumer's own candle refresh ends)"].append(own[1] - close)
        steps["(consumer's own candle refresh, duration)"].append(own[1] - own[0])
        steps["(consumer's own candle refresh, thread CPU)"].append(own[2])
        steps["(producer candle refresh, thread CPU)"].append(refresh[2])
    return steps


def consumer_cpu(result: CaseResult) -> dict[str, list[float]]:
    """Per candle, the consumer's CPU seconds by part: its candles (refresh + the
    analysis step, where the merge runs), freqtrade's own loop work (the rest of the bot
    thread) and its other threads (producer messages, API server, ...)."""
    records = result.records.get("consumer", [])
    refreshes = sorted((r for r in records if r.get("e") == "refresh" and "c0" in r),
                       key=lambda r: r["t0"])  # fmt: skip
    steps = [r for r in records if r.get("e") in ("refresh", "analyze")]
    process = dict(zip(result.candles, cpu_per_candle(result).get("consumer", []), strict=False))
    out: dict[str, list[float]] = defaultdict(list)
    for close in result.candles:
        # From the first loop after the close to the last one before the next close.
        within = [r for r in refreshes if close <= r["t0"] < close + MINUTE]
        if len(within) < 2 or close not in process:
            continue
        first, last = within[0], within[-1]
        # Whole loops cover most of the minute: scaled to all of it.
        scale = MINUTE / max(last["t0"] - first["t0"], 1e-9)
        candles = scale * sum(r["cpu"] for r in steps if first["t0"] <= r["t0"] < last["t0"])
        bot_thread = scale * (last["c0"] - first["c0"])
        out["candles (refresh + merge)"].append(candles)
        out["freqtrade's own loop work"].append(bot_thread - candles)
        out["other threads"].append(process[close] - bot_thread)
        out["process"].append(process[close])
    return out


TRADING_PATHS = ("/api/v3/depth", "/api/v3/order", "/api/v3/ticker/bookTicker",
                 "/api/v3/ticker/price", "/api/v3/openOrders", "/api/v3/myTrades")  # fmt: skip
"""Endpoints of pricing and orders: what the bot's trading costs, not its start-up."""


def weight_parts(weights: dict[str, float], bot: str) -> dict[str, float]:
    """A bot's weight in one window: candles (klines), trading (order books, tickers,
    orders) and the rest (exchangeInfo, time, ...)."""
    parts = {"candles": 0.0, "trading": 0.0, "other": 0.0}
    for key, weight in weights.items():
        name, _, path = key.partition(" ")
        if name != bot or not path:
            continue
        if path.endswith("klines") or path.endswith("uiKlines"):
            parts["candles"] += weight
        elif path in TRADING_PATHS:
            parts["trading"] += weight
        else:
            parts["other"] += weight
    return parts


def summarise_consumer(result: CaseResult, pairs: int) -> dict[str, Any]:
    """The consumer's figures of a fleet case (``--pairs 500``: the consumer at 500 pairs)."""
    rx = received(result)
    analyses = sorted(
        r["t1"] for r in result.records.get("consumer", []) if r.get("e") == "analyze"
    )
    fresh, last_rx = [], {}
    for close in result.candles:
        times = [r["t"] for (_, c), r in rx.items() if c == close - MINUTE]
        if len(times) < pairs:
            fresh.append(float("inf"))
            continue
        last_rx[close] = max(times)
        merged = next((t for t in analyses if t >= last_rx[close]), float("inf"))
        fresh.append(merged - close)
    entries = consumer_entries(result, "consumer")
    rss = [s.rss.get("consumer", 0) for snaps in result.snapshots.values() for s in snaps]
    return {
        "case": result.name,
        "load": result.load,
        "cpu": consumer_cpu(result),
        "fresh": fresh,
        "entry_after_rx": [d - last_rx[c] for _, c, d in entries if c in last_rx],
        "entries": len(entries),
        "rss_mib": max(rss, default=0) / 2**20,
        "weight": {part: w.get("consumer") for part, w in result.weight.items()},
        "weight_parts": {part: weight_parts(w, "consumer") for part, w in result.weight.items()},
    }


def report_consumers(results: list[CaseResult], pairs: int) -> None:
    rows = [
        summarise_consumer(r, pairs)
        for r in results
        if not r.name.endswith("single") and r.records.get("consumer")
    ]
    if not rows:
        return
    print(f"\n### The consumer at {pairs} pairs (median / p95 over candles)\n")
    print(
        "| case | load | consumer CPU s per candle: candles (refresh + merge) / freqtrade's "
        "loop / other threads / process | close -> consumer holds every fresh row | last "
        "producer row -> entry order (entries) | RSS | weight: start-up / per minute |"
    )
    print("|---|---|---|---:|---:|---:|---:|")  # fmt: skip
    details = []
    for row in rows:
        for part, split in row["weight_parts"].items():
            if any(split.values()):
                text = ", ".join(f"{k} {v:,.1f}" for k, v in split.items())
                details.append(f"- {row['case']}, weight {part}: {text}")
        cpu = " / ".join(f"{med(v):.2f}" for v in row["cpu"].values()) or "n/a"
        weight = row["weight"]
        print(
            f"| {row['case']} | {row['load'][0]:.1f}-{row['load'][1]:.1f} | {cpu} | "
            f"{mp(row['fresh'])} | {mp(row['entry_after_rx'])} ({row['entries']}) | "
            f"{row['rss_mib']:,.0f} MiB | {weight.get('startup') or 0:,.0f} / "
            f"{weight.get('per_minute') or 0:,.1f} |"
        )
    for result in results:
        up = result.startup
        if "held" in up:
            details.append(
                f"- {result.name}, start-up: bots running after {up['running']:.0f} s, the "
                f"consumer holds every pair after {up['held']:.0f} s; its full-frame requests "
                f"(freqtrade's 'Holes in data') {up['requests_startup']:.0f} before the warm-up "
                f"close, {up['requests_measured']:.0f} after"
            )
    if details:
        print("\n" + "\n".join(details))


# -- output -------------------------------------------------------------------------------


def fmt(value: float, unit: str = "s") -> str:
    if value != value:
        return "n/a"
    if value == float("inf"):
        return "late"
    return f"{value:.2f} {unit}" if unit else f"{value:.2f}"


def mp(values: list[float]) -> str:
    return f"{fmt(med(values))} / {fmt(percentile(values, 0.95))}" if values else "n/a"


def report(results: list[CaseResult], pairs: int) -> None:
    heavy = [summarise_heavy(r, pairs) for r in results if r.name.startswith("heavy")]
    if heavy:
        print(f"\n### Heavy strategy, {pairs} pairs, 1m candles (median / p95 over candles)\n")
        print(
            "| case | load 1-min | close -> last pair analysed | -> consumer has every row | "
            "-> consumer holds every fresh row | consumer part | close -> entry order "
            "(entries) | pairs signalled per candle |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for row in heavy:
            entries = row["entries"]
            print(
                f"| {row['case']} | {row['load'][0]:.1f}-{row['load'][1]:.1f} | "
                f"{mp(row['analysed'])} | {mp(row.get('last_rx', []))} | "
                f"{mp(row.get('fresh', []))} | {mp(row.get('consumer_part', []))} | "
                f"{mp(entries)} ({len(entries)}) | {med(row['pairs_signalled']):.0f} |"
            )
        print(
            "\n| case | CPU s per candle (median): process | analysis per pair (thread CPU) "
            "| candle refresh, slowest analysing bot | consumer's own refresh |"
        )
        print("|---|---|---:|---:|---:|")
        for row in heavy:
            cpu = ", ".join(f"{k} {med(v):.2f}" for k, v in row["cpu"].items() if v)
            print(
                f"| {row['case']} | {cpu} | {mp(row['pair_cpu'])} | {mp(row['refresh'])} | "
                f"{mp(row['consumer_refresh'])} |"
            )
        print("\n| case | broadcast: producer analysed -> consumer stored | bytes per pair per "
              "candle | consumer: last row -> entry order | fleet-state stale / missing |")  # fmt: skip
        print("|---|---:|---:|---:|---:|")
        for row in heavy:
            if row["case"].endswith("single"):
                continue
            print(
                f"| {row['case']} | {mp(row['broadcast'])} | "
                f"{med(row['bytes']):,.0f} | {mp(row['entry_after_rx'])} | "
                f"{row['state_stale']} / {row['state_missing']} |"
            )
        single = next((r for r in heavy if r["case"] == "heavy-single"), None)
        k2 = next((r for r in heavy if r["case"] == "heavy-k2"), None)
        if single and k2:
            ratio_med = med(k2["fresh"]) / med(single["analysed"])
            ratio_p95 = percentile(k2["fresh"], 0.95) / percentile(single["analysed"], 0.95)
            print(
                f"\nK=2 consumer holds every fresh row / single bot's last pair analysed: "
                f"{ratio_med:.2f} (medians), {ratio_p95:.2f} (p95); target <= 0.6"
            )
            print(
                f"K=2 consumer part p95 (last row received -> all merged): "
                f"{fmt(percentile(k2['consumer_part'], 0.95))}; last row received -> entry order "
                f"p95 {fmt(percentile(k2['entry_after_rx'], 0.95))}; target < 1 s"
            )
    report_consumers(results, pairs)
    for result in results:
        if not result.name.startswith("light"):
            continue
        print(f"\n### {result.name}: candle close -> entry order (median / p95 over entries)\n")
        if result.name.endswith("single"):
            entries = [d - c for _, c, d in consumer_entries(result, "single")]
            refresh = refresh_times(result, ("single",))  # each candle's, not every loop's
            print(f"close -> entry order {mp(entries)} ({len(entries)} entries); "
                  f"candle refresh {mp(refresh)}; load {result.load[0]:.1f}")  # fmt: skip
            continue
        steps = breakdown(result)
        print(f"load {result.load[0]:.1f}-{result.load[1]:.1f}\n")
        print("| step | median | p95 |")
        print("|---|---:|---:|")
        for step, values in steps.items():
            print(f"| {step} | {fmt(med(values))} | {fmt(percentile(values, 0.95))} |")
        print(f"\n{len(steps.get('close -> entry order', []))} entries")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=60)
    parser.add_argument("--candles", type=int, default=6, help="measured candles per case")
    parser.add_argument("--full", action="store_true", help="K=3, K=4 and a light single bot")
    parser.add_argument("--cases", help=f"comma-separated, of {','.join(FULL_CASES)}")
    parser.add_argument("--keep", type=Path, help="keep plans, logs and records here")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--report", type=Path, help="only print the report of a --keep folder")
    args = parser.parse_args()
    cases = args.cases.split(",") if args.cases else FULL_CASES if args.full else DEFAULT_CASES
    if not args.cases and not args.full and args.pairs > POLL_PAIRS_MAX:
        cases = CONSUMER_CASES
    if args.report:
        found = [
            args.report / case for case in cases if (args.report / case / "case.json").exists()
        ]
        report([load_case(path) for path in found], args.pairs)
        return 0
    # SIGTERM stops the bots and the simulator like Ctrl-C does (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"cases: {', '.join(cases)}; {args.pairs} pairs; load {os.getloadavg()[0]:.1f}")
    root = Path(tempfile.mkdtemp(prefix="freqfleet-scaling-"))
    results: list[CaseResult] = []
    try:
        with running_simulator(pairs=args.pairs, seed=args.seed) as sim:
            for case in cases:
                results.append(run_case(case, sim, args, root / case))
    finally:
        if args.keep:
            shutil.copytree(root, args.keep, dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)
    report(results, args.pairs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
