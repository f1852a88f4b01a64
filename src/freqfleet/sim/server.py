"""Running the simulator: options, model construction, uvicorn in the foreground.

Why a socket of our own: ``--port 0`` must work (tests and parallel runs take any free
port), so the server binds first, then writes the real address to an optional ready file
(atomic) that :mod:`freqfleet.sim.launcher` waits for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

from freqfleet.datasets import DEFAULT_DATASET, dataset_dir
from freqfleet.errors import ConfigError
from freqfleet.files import dump_json, write_atomic
from freqfleet.local_server import (
    bind_socket,
    foreground_server,
    server_url,
    uvicorn_config,
)
from freqfleet.sim.app import create_app
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import FUNDING_INTERVAL_MS
from freqfleet.sim.models.base import MarketModel
from freqfleet.sim.order_limits import ORDERS_PER_10S
from freqfleet.sim.request_stats import Stats
from freqfleet.sim.stream_stats import StreamStats

if TYPE_CHECKING:
    from freqfleet.sim.account import Account
    from freqfleet.sim.account_file import AccountFile
    from freqfleet.sim.futures_account import FuturesAccount
    from freqfleet.sim.private_api import SignedRoutes

logger = logging.getLogger("freqfleet.sim")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8500
DEFAULT_PAIRS = 150
STATS_LOG_SECONDS = 60
FUTURES_ORDERS_PER_10S = 300
"""Binance USD-M's order limit per 10 seconds (apart from spot's)."""
MATCH_SECONDS = 1.0
"""How often resting orders are matched while no request asks."""


@dataclass(frozen=True)
class SimOptions:
    """Everything that decides what the simulator serves and where."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    model: str = "synthetic"
    pairs: int = DEFAULT_PAIRS
    seed: int = 0
    replay_dir: str | None = None
    dataset: str | None = None
    weight_limit: int | None = None
    account: str | None = None
    order_limit: int = ORDERS_PER_10S
    funding_interval_ms: int = FUNDING_INTERVAL_MS


def build_model(options: SimOptions) -> MarketModel:
    """The market model the options ask for; ConfigError names the option to fix."""
    if options.model == "synthetic":
        if options.replay_dir or options.dataset:
            raise ConfigError(
                "--data-dir/--dataset need --model replay (the synthetic model has no data)"
            )
        if not 1 <= options.pairs <= 5000:
            raise ConfigError(f"--pairs {options.pairs}: use a number of pairs from 1 to 5000")
        from freqfleet.sim.models.synthetic import SyntheticModel

        return SyntheticModel(pairs=options.pairs, seed=options.seed)
    if options.model == "replay":
        from freqfleet.sim.models.replay import ReplayModel

        if options.replay_dir and options.dataset:
            raise ConfigError("--data-dir and --dataset both given: use one of them")
        directory = (
            Path(options.replay_dir)
            if options.replay_dir
            else dataset_dir(options.dataset or DEFAULT_DATASET)
        )
        return ReplayModel.from_directory(directory).limit_pairs(options.pairs)
    raise ConfigError(f"--model {options.model!r}: use synthetic or replay")


async def _log_stats(stats: Stats, streams: StreamStats) -> None:
    """Request counts per endpoint and stream messages in the log, once a minute while
    there is traffic."""
    previous: dict[str, int] = {}
    previous_messages = 0
    while True:
        await asyncio.sleep(STATS_LOG_SECONDS)
        current = stats.snapshot()["requests"]
        delta = {k: v - previous.get(k, 0) for k, v in current.items() if v != previous.get(k, 0)}
        previous = current
        if delta:
            text = ", ".join(f"{k} {v}" for k, v in sorted(delta.items()))
            logger.info("Requests in the last %s s: %s", STATS_LOG_SECONDS, text)
        flow = streams.snapshot()
        if flow["messages"] != previous_messages:
            logger.info(
                "Stream messages in the last %s s: %s (%s connections, %s subscriptions open)",
                STATS_LOG_SECONDS,
                flow["messages"] - previous_messages,
                flow["open"],
                flow["subscriptions"],
            )
            previous_messages = flow["messages"]


async def _match_orders(accounts: list[Account | FuturesAccount]) -> None:
    """Fill resting orders as the price path moves (and liquidate, and pay funding, on the
    futures side), also while no bot asks."""
    while True:
        await asyncio.sleep(MATCH_SECONDS)
        for account in accounts:
            try:
                account.match(account.exchange.clock())
            except Exception:  # a bug must not stop matching for good
                logger.exception("Matching resting orders failed")


def load_account(options: SimOptions) -> AccountFile | None:
    """The ``--account`` file (created when missing), or None without the option."""
    if options.account is None:
        return None
    from freqfleet.sim.account_file import load_account_file

    return load_account_file(Path(options.account))


def serve(
    options: SimOptions,
    ready_file: Path | None = None,
    on_ready: Callable[[str, MarketModel], None] | None = None,
    account_file: AccountFile | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (uvicorn handles both and shuts down cleanly).

    ``account_file``: the ``--account`` file already loaded (else it is loaded here)."""
    model = build_model(options)
    if account_file is None:
        account_file = load_account(options)
    exchange = SimExchange(model, funding_interval_ms=options.funding_interval_ms)
    sock = bind_socket(options.host, options.port, inheritable=True)
    port = sock.getsockname()[1]
    url = server_url(options.host, port)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stats_task = asyncio.create_task(_log_stats(app.state.stats, app.state.stream_stats))
        accounts = [
            found
            for found in (
                getattr(app.state, "account", None),
                getattr(app.state, "futures_account", None),
            )
            if found is not None
        ]
        match_task = asyncio.create_task(_match_orders(accounts)) if accounts else None
        logger.info(
            "%s; serving %s, kline streams on %s (GET /sim/stats for request counts)",
            model.describe(),
            url,
            url.replace("http", "ws", 1) + "/ws",
        )
        if ready_file is not None:
            info = {"url": url, "port": port, "pairs": [m.pair for m in model.markets]}
            write_atomic(ready_file, dump_json(info))
        if on_ready is not None:
            on_ready(url, model)
        try:
            yield
        finally:
            stats_task.cancel()
            if match_task is not None:
                match_task.cancel()
            snapshot = app.state.stats.snapshot()
            logger.info(
                "Stopped after %s requests: %s", snapshot["total_requests"], snapshot["requests"]
            )

    app = create_app(
        exchange,
        weight_limit=options.weight_limit,
        lifespan=lifespan,
        order_limit=options.order_limit,
    )
    if account_file is not None:
        _open_account(app, exchange, account_file, options.order_limit)
    server = foreground_server(uvicorn_config(app))

    with contextlib.closing(sock):
        server.run(sockets=[sock])


def _open_account(
    app: FastAPI, exchange: SimExchange, account_file: AccountFile, order_limit: int
) -> None:
    from freqfleet.sim.account import Account
    from freqfleet.sim.order_limits import OrderLimits
    from freqfleet.sim.private_api import SignedRoutes, install_account
    from freqfleet.sim.signing import Credentials

    account = Account(exchange, account_file.balances)
    credentials = Credentials(account_file.key, account_file.secret)
    limits = OrderLimits(order_limit)
    install_account(app, account, credentials, limits)
    futures_limits = OrderLimits(FUTURES_ORDERS_PER_10S)
    routes = SignedRoutes(app, credentials, account, futures_limits)
    _open_futures(app, exchange, account_file, routes)
    logger.info(
        "Account %s%s: %s",
        account_file.path,
        " (created)" if account_file.created else "",
        balances_text(account_file.balances),
    )


def _open_futures(
    app: FastAPI, exchange: SimExchange, account_file: AccountFile, routes: SignedRoutes
) -> None:
    """The account's USD-M futures wallet on the perpetuals of the USDT markets."""
    from freqfleet.sim.funding import model_seed
    from freqfleet.sim.futures_account import FuturesAccount
    from freqfleet.sim.futures_markets import futures_markets
    from freqfleet.sim.futures_private_api import install_futures

    markets = futures_markets(exchange.markets)
    if not markets:
        return
    wallet = account_file.futures.get("USDT", 0)
    install_futures(routes, FuturesAccount(exchange, markets, wallet, model_seed(exchange)))
    logger.info("Futures wallet: %s", balances_text({"USDT": wallet}))


def balances_text(balances: dict[str, int]) -> str:
    """``10000 USDT, 0.5 BTC``: starting balances for the log and the console."""
    from freqfleet.sim.units import units_text

    shown = [f"{units_text(u).rstrip('0').rstrip('.')} {a}" for a, u in balances.items()]
    return ", ".join(shown) or "no balances"


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PAIRS",
    "DEFAULT_PORT",
    "SimOptions",
    "balances_text",
    "build_model",
    "dataset_dir",
    "load_account",
    "serve",
    "server_url",
]
