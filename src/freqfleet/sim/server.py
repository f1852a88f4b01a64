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
from freqfleet.sim.app import Stats, create_app
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.models.base import MarketModel
from freqfleet.sim.streams import StreamStats

logger = logging.getLogger("freqfleet.sim")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8500
DEFAULT_PAIRS = 150
STATS_LOG_SECONDS = 60


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


def serve(
    options: SimOptions,
    ready_file: Path | None = None,
    on_ready: Callable[[str, MarketModel], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (uvicorn handles both and shuts down cleanly)."""
    model = build_model(options)
    exchange = SimExchange(model)
    sock = bind_socket(options.host, options.port, inheritable=True)
    port = sock.getsockname()[1]
    url = server_url(options.host, port)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stats_task = asyncio.create_task(_log_stats(app.state.stats, app.state.stream_stats))
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
            snapshot = app.state.stats.snapshot()
            logger.info(
                "Stopped after %s requests: %s", snapshot["total_requests"], snapshot["requests"]
            )

    app = create_app(exchange, weight_limit=options.weight_limit, lifespan=lifespan)
    server = foreground_server(uvicorn_config(app))

    with contextlib.closing(sock):
        server.run(sockets=[sock])


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PAIRS",
    "DEFAULT_PORT",
    "SimOptions",
    "build_model",
    "dataset_dir",
    "serve",
    "server_url",
]
