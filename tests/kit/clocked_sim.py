"""A simulator with an account in this process, over real HTTP, on a clock the test moves.

Why: a resting order fills as the price path moves, so a test of partial fills against a
simulator process depends on the wall clock (when the path reaches the price, how many
fills). Here the server's "now" stands still until the test moves it, so the same seed
gives the same book, the same fills and the same numbers in every run, while clients
(ccxt, an in-process freqtrade bot) still talk to it over HTTP as to Binance.

A client signs with its own clock while the server's stands still: its ccxt
``timeDifference`` puts its timestamps ``LAG_MS`` behind the server's time and its
``recvWindow`` is Binance's largest, so it may spend up to ``LAG_MS`` of wall time between
two moves of the clock; :meth:`ClockedSimulator.advance` re-aims every client it knows
(:meth:`ClockedSimulator.sync`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from freqfleet.local_server import bind_socket, server_url
from freqfleet.sim.account import Account
from freqfleet.sim.account_file import random_credential
from freqfleet.sim.app import create_app
from freqfleet.sim.config import futures_config
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_markets import futures_markets
from freqfleet.sim.futures_private_api import install_futures
from freqfleet.sim.models.synthetic import SyntheticModel
from freqfleet.sim.order_limits import OrderLimits
from freqfleet.sim.private_api import SignedRoutes, install_account
from freqfleet.sim.signing import Credentials
from freqfleet.sim.units import UNIT
from tests.kit.clock import Clock

LAG_MS = 30_000
RECV_WINDOW_MS = 60_000


@dataclass
class ClockedSimulator:
    """The served app's URL, its clock, credentials and futures account."""

    url: str
    clock: Clock
    exchange: SimExchange
    futures: FuturesAccount
    key: str
    secret: str
    clients: list[Any] = field(default_factory=list)

    def account(self) -> dict[str, Any]:
        """``GET /sim/account``, as :meth:`RunningSimulator.account`."""
        answer = httpx.get(self.url + "/sim/account", timeout=10)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def time_options(self) -> dict[str, int]:
        """ccxt ``options`` that sign with the server's time (for the next ``LAG_MS``)."""
        lagging = self.clock.now_ms - LAG_MS
        return {"timeDifference": int(time.time() * 1000) - lagging, "recvWindow": RECV_WINDOW_MS}

    def futures_config(self, pairs: list[str], bot: str) -> dict[str, Any]:
        """A live futures bot's ``trading_mode``, ``margin_mode`` and ``exchange`` keys; its
        ccxt clients sign with the server's time (re-aim them with :meth:`sync`)."""
        config = futures_config(self.url, pairs, bot, key=self.key, secret=self.secret)
        for key in ("ccxt_config", "ccxt_async_config"):
            section = config["exchange"][key]
            section["options"] = {**section.get("options", {}), **self.time_options()}
            section["enableRateLimit"] = False
        return config

    def sync(self, *clients: Any) -> None:
        """``clients`` (ccxt exchanges) sign with the server's time from now on, and
        after each :meth:`advance`."""
        for client in clients:
            if client not in self.clients:
                self.clients.append(client)
            client.options.update(self.time_options())

    def advance(self, ms: int) -> None:
        """Move the server's time on by ``ms``; every synced client follows."""
        self.clock.now_ms += ms
        self.sync(*self.clients)


@contextlib.contextmanager
def clocked_simulator(
    clock: Clock, pairs: int = 4, seed: int = 7, futures_usdt: int = 10_000
) -> Iterator[ClockedSimulator]:
    """The synthetic market (``pairs``, ``seed``) with an account (``futures_usdt`` in its
    futures wallet) served on 127.0.0.1 until the block ends."""
    exchange = SimExchange(SyntheticModel(pairs=pairs, seed=seed), clock=clock)
    app = create_app(exchange)
    key, secret = random_credential(), random_credential()
    credentials = Credentials(key, secret)
    spot = Account(exchange, {"USDT": 0}, first_id=1)
    install_account(app, spot, credentials, OrderLimits())
    futures = FuturesAccount(
        exchange, futures_markets(exchange.markets), futures_usdt * UNIT, seed, first_id=1
    )
    install_futures(SignedRoutes(app, credentials, spot, OrderLimits(300)), futures)
    sock = bind_socket("127.0.0.1", 0)
    # log_config=None: uvicorn's default would stop its loggers propagating to root for
    # the rest of the test process (the log guard's tests rely on freqtrade's set-up).
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process simulator did not start")
            time.sleep(0.01)
        url = server_url("127.0.0.1", sock.getsockname()[1])
        yield ClockedSimulator(url, clock, exchange, futures, key, secret)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


__all__ = ["ClockedSimulator", "clocked_simulator"]
