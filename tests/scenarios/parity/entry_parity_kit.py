"""Pieces of an entry parity run with real processes: a plain bot and a planned fleet side
by side on the simulator, their readiness, their trades.

Generic over the trading mode: a trade carries its side, so a futures run compares (pair,
side, signal candle) where a spot run compares (pair, long, signal candle).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from freqtrade.exchange import timeframe_to_prev_date
from freqtrade_client import FtRestClient

GATE_KEY = "parity_entries_from_file"
"""The config key naming the file with the first candle that may carry an entry."""

MARKET_ORDERS = {
    "order_types": {
        "entry": "market",
        "exit": "market",
        "emergency_exit": "market",
        "force_entry": "market",
        "force_exit": "market",
        "stoploss": "market",
        "stoploss_on_exchange": False,
    },
    "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
    "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
    "unfilledtimeout": {"entry": 2, "exit": 2, "unit": "minutes"},
}
"""How both bots of a parity run trade: market orders that fill at once, priced from the
book, so that only signals and slots decide what is held."""


def freqfleet_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "freqfleet", *args]


def child_env() -> dict[str, str]:
    """The bots' environment: log times in UTC, like the candles (reports read logs)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    env["TZ"] = "UTC"
    return env


def run_freqfleet(*args: str, timeout: float = 180) -> str:
    """Run a freqfleet command to its end; its output (a failure raises with it)."""
    result = subprocess.run(
        freqfleet_command(*args), capture_output=True, text=True, timeout=timeout, env=child_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def start_freqfleet(*args: str) -> subprocess.Popen:
    """Start a freqfleet command (``up --detach``, ``down``) in the background."""
    return subprocess.Popen(
        freqfleet_command(*args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=child_env(),
    )


def start_freqtrade(config: Path, userdir: Path, console: Path) -> subprocess.Popen:
    """``freqtrade trade`` on ``config`` in its own session, its output into ``console``."""
    with open(console, "wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "freqtrade",
                "trade",
                "-c",
                str(config),
                "--userdir",
                str(userdir),
            ],
            cwd=config.parent,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=child_env(),
        )


def stop_process(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL to its session after a minute."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def api_server(port: int, username: str, password: str) -> dict[str, Any]:
    """A reference bot's REST API on 127.0.0.1 (readiness is read through it)."""
    return {
        "enabled": True,
        "listen_ip_address": "127.0.0.1",
        "listen_port": port,
        "verbosity": "error",
        "enable_openapi": False,
        "jwt_secret_key": "parity-reference-jwt-secret-0123456789abcdef",
        "CORS_origins": [],
        "username": username,
        "password": password,
    }


# --- readiness ----------------------------------------------------------------------------


def bot_analyses_newest(client: FtRestClient, pairs: int, timeframe: str, now: datetime) -> bool:
    """A bot whose whitelist has ``pairs`` pairs, each analysed up to a recent candle."""
    whitelist = client.whitelist()
    if not isinstance(whitelist, dict) or whitelist.get("length") != pairs:
        return False
    newest_wanted = timeframe_to_prev_date(timeframe, now) - 2 * candle_length(timeframe)
    for pair in whitelist["whitelist"]:
        frame = client.pair_candles(pair, timeframe, limit=1)
        if not isinstance(frame, dict) or not frame.get("data"):
            return False
        row = dict(zip(frame["columns"], frame["data"][-1], strict=False))
        if pd.Timestamp(row["date"]).to_pydatetime() < newest_wanted:
            return False
    return True


def consumer_fed(state: dict[str, Any], pairs: int, timeframe: str, now: datetime) -> bool:
    """A consumer (its ``fleet-state.json``) with every pair routed and fresh and every
    producer on a recent candle."""
    if not state or state.get("missing_pairs") or state.get("stale_pairs"):
        return False
    if state.get("unrouted_pairs"):
        return False
    if now - datetime.fromisoformat(state["updated"]) > timedelta(seconds=15):
        return False
    producers = state.get("producers") or {}
    if sum(int(p.get("pairs") or 0) for p in producers.values()) != pairs:
        return False
    newest_wanted = timeframe_to_prev_date(timeframe, now) - 2 * candle_length(timeframe)
    return all(
        p.get("newest_candle") and datetime.fromisoformat(p["newest_candle"]) >= newest_wanted
        for p in producers.values()
    )


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def candle_length(timeframe: str) -> timedelta:
    return timedelta(minutes=int(timeframe.removesuffix("m")))


def tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(none)"
    return " | ".join(line[:200] for line in text[-lines:]) or "(empty)"


def wait_for(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    every: float = 2.0,
    describe: Callable[[], str] = str,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; {describe()}")


def sleep_until(moment: datetime) -> None:
    while (left := (moment - datetime.now(UTC)).total_seconds()) > 0:
        time.sleep(min(left, 5.0))


# --- trades -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trade:
    pair: str
    side: str
    opened: datetime
    closed: datetime | None
    exit_reason: str | None
    candle: timedelta

    @property
    def signal_candle(self) -> datetime:
        """The candle before the one the order was placed in."""
        return _candle_start(self.opened, self.candle) - self.candle


Key = tuple[str, str, datetime]
"""(pair, side, signal candle)."""


def _candle_start(moment: datetime, candle: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return moment - (moment - epoch) % candle


def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_trades(db: Path, candle: timedelta) -> list[Trade]:
    """Every trade in a bot's database (read after the bot stopped)."""
    assert db.is_file(), f"no database at {db}"
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        rows = connection.execute(
            "SELECT pair, is_short, open_date, close_date, exit_reason FROM trades "
            "ORDER BY open_date"
        ).fetchall()
    trades = []
    for pair, is_short, opened, closed, reason in rows:
        opened_at = _utc(opened)
        assert opened_at is not None
        side = "short" if is_short else "long"
        trades.append(Trade(pair, side, opened_at, _utc(closed), reason, candle))
    return trades


def in_window(trades: list[Trade], first: datetime, last: datetime) -> dict[Key, Trade]:
    """Trades by (pair, side, signal candle), signal candles from ``first`` to ``last``."""
    return {
        (trade.pair, trade.side, trade.signal_candle): trade
        for trade in trades
        if first <= trade.signal_candle <= last
    }


@dataclass
class EntryComparison:
    """A reference bot's and a fleet consumer's entries in one window."""

    setup: str
    slots: int
    reference: dict[Key, Trade]
    fleet: dict[Key, Trade]

    @property
    def matched(self) -> set[Key]:
        return set(self.reference) & set(self.fleet)

    @property
    def union(self) -> set[Key]:
        return set(self.reference) | set(self.fleet)

    @property
    def parity(self) -> float:
        return len(self.matched) / len(self.union) if self.union else 1.0

    def differences(self) -> list[str]:
        only = [
            (key, "reference" if key in self.reference else "fleet")
            for key in sorted(self.union - self.matched, key=lambda k: (k[2], k[0]))
        ]
        return [f"{pair} {side} signal {c:%H:%M}: only the {who}" for (pair, side, c), who in only]

    def summary(self) -> str:
        slots = "unlimited" if self.slots < 0 else str(self.slots)
        shorts = sum(1 for _, side, _ in self.union if side == "short")
        return (
            f"{self.setup} (max_open_trades {slots}): {len(self.matched)}/{len(self.union)} "
            f"entries matched, parity {self.parity:.1%}, {shorts} shorts among them "
            f"(reference {len(self.reference)}, fleet {len(self.fleet)})"
        )


__all__ = [
    "GATE_KEY",
    "MARKET_ORDERS",
    "EntryComparison",
    "Key",
    "Trade",
    "api_server",
    "bot_analyses_newest",
    "child_env",
    "consumer_fed",
    "freqfleet_command",
    "in_window",
    "read_json",
    "read_trades",
    "run_freqfleet",
    "sleep_until",
    "start_freqfleet",
    "start_freqtrade",
    "stop_process",
    "tail",
    "wait_for",
]
