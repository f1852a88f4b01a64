"""Real freqtrade producers and a consumer on the simulator, for the follow tests.

Each bot is a ``freqtrade trade`` subprocess (dry-run) with its own config, database, log
and API port; the consumer follows the producers' trade events. Helpers read trades back
over the bots' REST APIs and from their sqlite databases.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from freqtrade_client import FtRestClient

from freqfleet.run import MARKET_ORDER_TYPES
from tests.kit.ports import free_port

STRATEGY_PATH = Path(__file__).parent / "data"
FREQTRADE = str(Path(sys.executable).parent / "freqtrade")
START_TIMEOUT = 90.0


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.25):
    """Poll ``predicate`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class Bot:
    """One ``freqtrade trade`` process and what it needs to run and be inspected."""

    name: str
    workdir: Path
    config: dict[str, Any]
    strategy: str
    process: subprocess.Popen | None = None
    starts: int = 0
    logs: list[Path] = field(default_factory=list)

    @property
    def api(self) -> dict[str, Any]:
        return self.config["api_server"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api['listen_port']}"

    @property
    def db_path(self) -> Path:
        return self.workdir / "trades.sqlite"

    def client(self) -> FtRestClient:
        return FtRestClient(self.url, self.api["username"], self.api["password"], timeout=10)

    def start(self) -> None:
        """Start (or restart) the process and wait until its API answers and it runs."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "user_data").mkdir(exist_ok=True)
        config_path = self.workdir / "config.json"
        config_path.write_text(json.dumps(self.config, indent=2), encoding="utf-8")
        config_path.chmod(0o600)
        self.starts += 1
        log = self.workdir / f"freqtrade-{self.starts}.log"
        self.logs.append(log)
        command = [
            FREQTRADE, "trade",
            "--config", str(config_path),
            "--strategy", self.strategy,
            "--strategy-path", str(STRATEGY_PATH),
            "--userdir", str(self.workdir / "user_data"),
            "--db-url", f"sqlite:///{self.db_path}",
            "--logfile", str(log),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.workdir,
            # freqtrade skips its logging set-up when it sees pytest's variable.
            env={k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"},
        )
        client = self.client()

        def running():
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited at start: {self.log_tail()}")
            with contextlib.suppress(Exception):
                return (client.show_config() or {}).get("state") == "running"
            return False

        # FtRestClient logs a warning per refused connection while the bot starts up.
        rest_log = logging.getLogger("ft_rest_client")
        level = rest_log.level
        rest_log.setLevel(logging.ERROR)
        try:
            wait_until(running, START_TIMEOUT, f"{self.name} to run")
        finally:
            rest_log.setLevel(level)

    def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # -- reading trades ---------------------------------------------------------------

    def open_trades(self) -> list[dict[str, Any]]:
        answer = self.client().status()
        return answer if isinstance(answer, list) else []

    def open_trade(self, pair: str) -> dict[str, Any] | None:
        return next((t for t in self.open_trades() if t["pair"] == pair), None)

    def closed_trades(self) -> list[dict[str, Any]]:
        answer = self.client().trades(limit=500, order_by_id=True)
        return answer.get("trades", []) if isinstance(answer, dict) else []

    def query(self, sql: str, *args: Any) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as db:
            return db.execute(sql, args).fetchall()

    def exit_orders(self) -> list[dict[str, Any]]:
        """Every exit order the bot placed, with its trade's pair, open date and exit reason."""
        rows = self.query(
            "SELECT t.id, t.pair, o.order_date, o.order_filled_date, t.exit_reason, t.is_open, "
            "t.open_date "
            "FROM orders o JOIN trades t ON o.ft_trade_id = t.id "
            "WHERE o.ft_order_side = 'sell' ORDER BY o.order_date"
        )
        return [
            {
                "trade_id": r[0],
                "pair": r[1],
                "order_date": db_date(r[2]),
                "filled_date": db_date(r[3]),
                "exit_reason": r[4],
                "is_open": bool(r[5]),
                "trade_open_date": db_date(r[6]),
            }
            for r in rows
        ]

    def followed_exit(self, trade_id: int) -> str | None:
        """Which producer exit the consumer followed on a trade (``<producer>:<reason>``)."""
        rows = self.query(
            "SELECT cd_value FROM trade_custom_data WHERE ft_trade_id = ? AND cd_key = ?",
            trade_id,
            "fleet_followed_exit",
        )
        return rows[0][0] if rows else None

    def loop_starts(self) -> list[datetime]:
        path = self.config.get("follow_test_loop_log")
        if not path or not Path(path).exists():
            return []
        return [
            datetime.fromtimestamp(float(line), tz=UTC)
            for line in Path(path).read_text().split()
            if line.strip()
        ]


def db_date(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _common(sim, pairs: list[str], name: str, throttle: float) -> dict[str, Any]:
    return {
        "bot_name": name,
        "dry_run": True,
        "dry_run_wallet": 100_000,
        "stake_currency": "USDT",
        "stake_amount": 200,
        "tradable_balance_ratio": 0.99,
        "timeframe": "1m",
        "initial_state": "running",
        "force_entry_enable": True,
        "order_types": dict(MARKET_ORDER_TYPES),
        "entry_pricing": {"price_side": "other", "use_order_book": False},
        "exit_pricing": {"price_side": "other", "use_order_book": False},
        "unfilledtimeout": {"entry": 10, "exit": 10, "unit": "minutes"},
        "exchange": sim.exchange_config(pairs),
        "pairlists": [{"method": "StaticPairList"}],
        "internals": {"process_throttle_secs": throttle, "heartbeat_interval": 0},
        "api_server": {
            "enabled": True,
            "listen_ip_address": "127.0.0.1",
            "listen_port": free_port(),
            "verbosity": "error",
            "enable_openapi": False,
            "jwt_secret_key": secrets.token_urlsafe(32),
            "ws_token": secrets.token_urlsafe(32),
            "CORS_origins": [],
            "username": "fleet",
            "password": secrets.token_urlsafe(16),
        },
    }


def producer_config(sim, name: str, pairs: list[str], **extra: Any) -> dict[str, Any]:
    config = _common(sim, pairs, name, throttle=1)
    config["max_open_trades"] = -1
    config.update(extra)
    return config


def consumer_config(
    sim,
    producers: list[Bot],
    *,
    follow: list[str],
    max_open_trades: int,
    workdir: Path,
    **extra: Any,
) -> dict[str, Any]:
    pairs = sorted({p for bot in producers for p in bot.config["exchange"]["pair_whitelist"]})
    config = _common(sim, pairs, "consumer", throttle=1)
    config.update(
        {
            "max_open_trades": max_open_trades,
            "process_only_new_candles": False,
            "pairlists": [
                {"method": "ProducerPairList", "producer_name": bot.name} for bot in producers
            ],
            "external_message_consumer": {
                "enabled": True,
                "producers": [
                    {
                        "name": bot.name,
                        "host": "127.0.0.1",
                        "port": bot.api["listen_port"],
                        "ws_token": bot.api["ws_token"],
                    }
                    for bot in producers
                ],
            },
            "fleet": {
                "follow": follow,
                # Open trades priced on a 5 s user loop: followed exits must not wait for it.
                "exit_price_secs": 5,
                "producer_api": {
                    bot.name: {
                        "url": bot.url,
                        "username": bot.api["username"],
                        "password": bot.api["password"],
                    }
                    for bot in producers
                },
            },
            "follow_test_loop_log": str(workdir / "loops.txt"),
        }
    )
    config.update(extra)
    return config


def loops_between(loops: list[datetime], start: datetime, end: datetime) -> int:
    """How many consumer loops began after ``start`` and no later than ``end``."""
    return sum(1 for moment in loops if start < moment <= end)
