"""The Binance-style REST app (FastAPI/Starlette) over a :class:`SimExchange`.

Endpoints (GET): ``/api/v3/ping``, ``/api/v3/time``, ``/api/v3/exchangeInfo``
(:mod:`freqfleet.sim.general`), ``/api/v3/klines``, ``/api/v3/uiKlines``,
``/api/v3/ticker/24hr``, ``/api/v3/ticker/price``, ``/api/v3/ticker/bookTicker``,
``/api/v3/depth``, ``/api/v3/avgPrice`` (:mod:`freqfleet.sim.market_data`); USD-M futures
market data under ``/fapi`` (:mod:`freqfleet.sim.futures_data`); Binance's kline
websocket streams on ``/ws`` and ``/stream``, and as USD-M futures streams under
``/market`` (:mod:`freqfleet.sim.streams`); and the
simulator's own ``/sim/stats`` (request counts and weight, in total and per bot: see
:data:`BOT_HEADER`; stream connections and messages under ``streams``) and ``/sim/info``
(model, pairs) (:mod:`freqfleet.sim.sim_endpoints`). A simulator with an account also
serves Binance's signed account and order endpoints
(:func:`freqfleet.sim.private_api.install_account`).

Why strict, and why plain Starlette endpoints: :mod:`freqfleet.sim.routing` (unknown
parameters, symbols and paths get Binance's errors or a logged 404; kline requests must
cost microseconds, so there is no per-request validation layer).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import WebSocketRoute

from freqfleet.sim.config import BOT_HEADER
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.futures_data import install_futures_public
from freqfleet.sim.general import ExchangeInfo, ping, server_time
from freqfleet.sim.market_data import MarketData
from freqfleet.sim.order_limits import ORDERS_PER_10S
from freqfleet.sim.request_stats import MAX_BOTS, UNATTRIBUTED, Stats, sender
from freqfleet.sim.routing import GetRoutes, not_simulated_handler, websocket_not_simulated
from freqfleet.sim.sim_endpoints import SimEndpoints
from freqfleet.sim.stream_stats import StreamStats
from freqfleet.sim.streams import KlineStreams
from freqfleet.sim.weights import WeightMeter


def create_app(
    exchange: SimExchange,
    weight_limit: int | None = None,
    lifespan: Any = None,
    order_limit: int = ORDERS_PER_10S,
) -> FastAPI:
    """The app serving ``exchange``; ``weight_limit`` (per minute) enables rate limiting;
    ``order_limit``: the new orders per 10 s that ``exchangeInfo`` announces (an account's
    endpoints, :func:`freqfleet.sim.private_api.install_account`, enforce it)."""
    app = FastAPI(
        title="freqfleet exchange simulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # Binance answers 404 to "/api/v3/ping/", no redirect
    stats = Stats()
    meter = WeightMeter(weight_limit)
    stream_stats = StreamStats(MAX_BOTS, UNATTRIBUTED)
    streams = KlineStreams(exchange, stream_stats)
    app.state.stats = stats
    app.state.stream_stats = stream_stats
    app.state.exchange = exchange
    app.state.meter = meter

    routes = GetRoutes(app, exchange, stats, meter)
    market = MarketData(exchange)
    own = SimEndpoints(exchange, stats, meter, stream_stats, weight_limit)
    routes.add("/api/v3/ping", ping)
    routes.add("/api/v3/time", server_time)
    routes.add("/api/v3/exchangeInfo", ExchangeInfo(exchange, weight_limit, order_limit))
    routes.add("/api/v3/klines", market.klines)
    routes.add("/api/v3/uiKlines", market.klines)
    routes.add("/api/v3/ticker/24hr", market.ticker_24hr)
    routes.add("/api/v3/ticker/price", market.one_or_many(exchange.price_ticker))
    routes.add("/api/v3/ticker/bookTicker", market.one_or_many(exchange.book_ticker))
    routes.add("/api/v3/depth", market.depth)
    routes.add("/api/v3/avgPrice", market.avg_price)
    install_futures_public(app, exchange, stats, weight_limit)
    routes.add("/sim/stats", own.sim_stats, counted=False)
    routes.add("/sim/info", own.sim_info, counted=False)

    # Websocket streams (no request weight, counted apart); any other websocket path last.
    app.router.routes += [
        *streams.routes(),
        *streams.routes("/market"),
        WebSocketRoute("/{path:path}", websocket_not_simulated(stats)),
    ]
    app.exception_handler(StarletteHTTPException)(not_simulated_handler(stats))
    return app


__all__ = ["BOT_HEADER", "UNATTRIBUTED", "Stats", "create_app", "sender"]
