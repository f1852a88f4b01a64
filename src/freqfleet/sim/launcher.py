"""A simulator in a subprocess, for the demo, the backtest's markets, tests and benchmarks.

    with running_simulator(pairs=20, seed=1) as sim:
        config["exchange"] = sim.exchange_config(sim.pairs[:5])
        ...
        assert sim.request_counts()["/api/v3/klines"] > 0

Why a subprocess: the simulator must run exactly as ``freqfleet sim`` runs for users
(own event loop, own port), and bots under test talk to it over real HTTP. It binds a free
port itself (``--port 0``) and reports the address through a ready file, so any number
of simulators can run side by side (pytest-xdist).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import rapidjson

from freqfleet.local_server import start_logged, stop, wait_ready
from freqfleet.sim.config import exchange_config, futures_config, futures_pair


@dataclass
class RunningSimulator:
    """A simulator process: its URL, pairs, log file and process; ``account_path``: its
    ``--account`` file, if any."""

    url: str
    pairs: list[str]
    log_path: Path
    process: subprocess.Popen
    account_path: Path | None = None

    @property
    def futures_pairs(self) -> list[str]:
        """The perpetuals the simulator serves: one per USDT pair (``BTC/USDT:USDT``)."""
        return [futures_pair(pair) for pair in self.pairs if pair.endswith("/USDT")]

    def futures_config(
        self,
        pairs: list[str] | None = None,
        bot: str | None = None,
        *,
        margin_mode: str = "isolated",
        live: bool = False,
    ) -> dict[str, Any]:
        """A futures bot's ``trading_mode``, ``margin_mode`` and ``exchange`` keys for this
        simulator (``pairs`` default: every perpetual); ``live``: with the account's key."""
        chosen = list(self.futures_pairs if pairs is None else pairs)
        if not live:
            return futures_config(self.url, chosen, bot, margin_mode=margin_mode)
        return futures_config(
            self.url, chosen, bot, margin_mode=margin_mode, key=self.key, secret=self.secret
        )

    def exchange_config(
        self,
        pairs: list[str] | None = None,
        bot: str | None = None,
        *,
        websocket: bool = True,
        live: bool = False,
    ) -> dict[str, Any]:
        """freqtrade ``exchange`` section for this simulator (``pairs`` default: all).

        ``bot``: the name :meth:`bot_stats` counts this bot's requests under.
        ``websocket``: candles of each close from the simulator's kline streams (False:
        over REST only). ``live``: with the account's key and secret, for a bot that
        trades (dry_run: false).
        """
        chosen = list(self.pairs if pairs is None else pairs)
        if not live:
            return exchange_config(self.url, chosen, bot, websocket=websocket)
        return exchange_config(
            self.url, chosen, bot, websocket=websocket, key=self.key, secret=self.secret
        )

    # -- the account (a simulator started with ``account=PATH``) ------------------------------
    def _account_file(self) -> dict[str, Any]:
        if self.account_path is None:
            raise RuntimeError("this simulator has no account: start it with account=PATH")
        content: dict[str, Any] = rapidjson.loads(
            self.account_path.read_text(encoding="utf-8"),
            parse_mode=rapidjson.PM_COMMENTS | rapidjson.PM_TRAILING_COMMAS,
        )
        return content

    @property
    def key(self) -> str:
        """The account's API key, read from its file (for tests)."""
        return str(self._account_file()["key"])

    @property
    def secret(self) -> str:
        """The account's API secret, read from its file (for tests)."""
        return str(self._account_file()["secret"])

    def account(self) -> dict[str, Any]:
        """``GET /sim/account``: ``balances`` (asset -> free, locked as exact decimal
        strings), ``orders`` and ``trades``."""
        return self._sim("GET", "/sim/account")

    def inject_fault(self, **fault: Any) -> list[dict[str, Any]]:
        """``POST /sim/faults`` (``method``, ``path``, ``kind``, ``status``, ``after``,
        ``delay_s``, ``count``); the rules now in force."""
        return list(self._sim("POST", "/sim/faults", fault)["faults"])

    def clear_faults(self) -> int:
        """``DELETE /sim/faults``; the number of rules removed."""
        return int(self._sim("DELETE", "/sim/faults")["cleared"])

    def futures_account(self) -> dict[str, Any]:
        """The USD-M futures side of :meth:`account`: ``wallet`` (the ``/fapi/v3/account``
        totals), ``settings`` (leverage, margin type per symbol), ``positions`` (as
        ``positionRisk``), ``orders``, ``trades`` and ``income``."""
        return dict(self.account()["futures"])

    def adjust_balance(self, asset: str, delta: str | int, wallet: str = "spot") -> dict[str, Any]:
        """``POST /sim/account/balance``: add ``delta`` (e.g. ``"-9500"``) to ``asset``'s
        free balance (``wallet="futures"``: the USD-M futures wallet); the balance after."""
        body = {"asset": asset, "delta": str(delta), "wallet": wallet}
        return self._sim("POST", "/sim/account/balance", body)

    def _sim(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = httpx.request(method, self.url + path, json=body, timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        answer: dict[str, Any] = response.json()
        return answer

    def stats(self) -> dict[str, Any]:
        """``GET /sim/stats``: request counts, errors, not-simulated paths, weight, and
        the kline streams' connections and messages (``streams``)."""
        return httpx.get(f"{self.url}/sim/stats", timeout=10).json()

    def request_counts(self) -> dict[str, int]:
        """Requests served per endpoint path, e.g. ``{"/api/v3/klines": 12}``."""
        return dict(self.stats()["requests"])

    def bot_stats(self) -> dict[str, dict[str, Any]]:
        """Per sending bot: ``requests`` and ``weight`` by endpoint, and their totals."""
        return dict(self.stats()["bots"])

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def simulator_command(**options: Any) -> list[str]:
    """``freqfleet sim`` arguments for keyword options (``pairs=20`` -> ``--pairs 20``)."""
    command = [sys.executable, "-m", "freqfleet.sim"]
    options.setdefault("port", 0)
    options.setdefault("host", "127.0.0.1")
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        command.append(flag)
        if value is not True:
            command.append(str(value))
    return command


@contextlib.contextmanager
def running_simulator(**options: Any) -> Iterator[RunningSimulator]:
    """Start ``freqfleet sim`` with ``options``, wait until it answers, stop it on exit.

    Options are ``freqfleet sim``'s: ``model``, ``pairs``, ``seed``, ``data_dir``,
    ``dataset``, ``weight_limit``, ``funding_interval`` (``"2m"``: futures funding every 2
    minutes), ``account`` (a file path: the trading account, created
    when missing), ``order_limit``, ``host``, ``port`` (default 0: any free port).
    """
    with tempfile.TemporaryDirectory(prefix="freqfleet-sim-") as tmp:
        ready = Path(tmp) / "ready.json"
        log_path = Path(tmp) / "sim.log"
        command = [*simulator_command(**options), "--ready-file", str(ready), "--quiet"]
        process = start_logged(command, log_path)
        try:
            info = wait_ready(process, ready, log_path, "simulator", "/api/v3/ping")
            account = options.get("account")
            account_path = Path(account) if account else None
            yield RunningSimulator(info["url"], info["pairs"], log_path, process, account_path)
        finally:
            stop(process)
            kept = os.environ.get("FREQFLEET_SIM_KEEP_LOG")
            if kept and log_path.exists():
                Path(kept).write_bytes(log_path.read_bytes())


__all__ = ["RunningSimulator", "running_simulator", "simulator_command"]
