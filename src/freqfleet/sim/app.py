"""The Binance-style REST app (FastAPI/Starlette) over a :class:`SimExchange`.

Endpoints (GET): ``/api/v3/ping``, ``/api/v3/time``, ``/api/v3/exchangeInfo``,
``/api/v3/klines``, ``/api/v3/uiKlines``, ``/api/v3/ticker/24hr``, ``/api/v3/ticker/price``,
``/api/v3/ticker/bookTicker``, ``/api/v3/depth``, ``/api/v3/avgPrice``; Binance's kline
websocket streams on ``/ws`` and ``/stream`` (:mod:`freqfleet.sim.streams`); and the
simulator's own ``/sim/stats`` (request counts and weight, in total and per bot: see
:data:`BOT_HEADER`; stream connections and messages under ``streams``) and ``/sim/info``
(model, pairs). A simulator with an account also serves Binance's signed account and order
endpoints (:func:`freqfleet.sim.private_api.install_account`).

Why strict: a parameter the simulator does not read, an unknown symbol or interval, a limit
out of range get Binance's own ``400 {"code", "msg"}`` answer, and an unknown path is
logged and answered 404, so that anything a bot asks which the simulator does not imitate
shows up instead of being answered with something plausible but wrong (a websocket to a
path other than the streams' is logged and refused the same way). No request ever
gets a 500 or a stack trace: unexpected failures are logged and answered ``-1000``.
Routes are plain Starlette endpoints (no per-request validation layer): kline requests
must cost microseconds.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from freqfleet.sim import binance_errors as errors
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.config import BOT_HEADER
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.order_limits import ORDERS_PER_10S, ORDERS_PER_DAY
from freqfleet.sim.signing import redact_query
from freqfleet.sim.streams import KlineStreams, StreamStats
from freqfleet.sim.timeframes import interval_ms
from freqfleet.sim.weights import (
    BINANCE_WEIGHT_LIMIT,
    WeightMeter,
    depth_weight,
    one_or_many_weight,
    ticker_24hr_weight,
)

logger = logging.getLogger(__name__)

_INTEGER = re.compile(r"^-?[0-9]{1,20}\Z")
_SYMBOLS = re.compile(r'^\[("[A-Z0-9\-_.]{1,20}"(,"[A-Z0-9\-_.]{1,20}")*)?\]\Z')
_SYMBOLS_PATTERN = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'
DEPTH_MAX = 5000
KLINES_MAX = 1000
KLINES_DEFAULT = 500
UTC_ZONES = frozenset({"0", "+0", "-0", "0:00", "+0:00", "00:00", "+00:00", "-00:00"})
# Intervals from this length on may need long generation (cold: 1h ~30 ms, 1d ~300 ms for
# 1,000 candles); shorter ones cost a few ms at most and are answered inline.
SLOW_INTERVAL_MS = 3_600_000
JSON = "application/json;charset=UTF-8"
BOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
UNATTRIBUTED = "unattributed"
MAX_BOTS = 256
"""Distinct bot names kept apart; more senders than that are counted as unattributed."""


@dataclass(frozen=True)
class Deferred:
    """A response body that takes real work: computed in a worker thread."""

    work: Callable[[], bytes]


class Stats:
    """Request counts and weight per endpoint and per bot, for tests, benchmarks and logs.

    Why per bot: a fleet's bots share one exchange budget, and only a per-bot split shows
    which bot spends it (producers, consumer, a gateway in front of them). A bot names
    itself with the :data:`BOT_HEADER` header; requests without a valid one are counted
    under :data:`UNATTRIBUTED`.
    """

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.not_simulated: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.weight = 0
        self.bot_requests: dict[str, Counter[str]] = {}
        self.bot_weight: dict[str, Counter[str]] = {}
        self._lock = threading.Lock()

    def count(self, endpoint: str, weight: int = 0, bot: str = UNATTRIBUTED) -> None:
        with self._lock:
            self.requests[endpoint] += 1
            self.weight += weight
            self._count_bot(bot, endpoint, weight)

    def count_error(self, endpoint: str, code: int, bot: str = UNATTRIBUTED) -> None:
        """An answered error (its weight, like the meter's, is not counted)."""
        with self._lock:
            self.requests[endpoint] += 1
            self.errors[str(code)] += 1
            self._count_bot(bot, endpoint, 0)

    def _count_bot(self, bot: str, endpoint: str, weight: int) -> None:
        if bot not in self.bot_requests:
            if len(self.bot_requests) >= MAX_BOTS:
                bot = UNATTRIBUTED
            self.bot_requests.setdefault(bot, Counter())
            self.bot_weight.setdefault(bot, Counter())
        self.bot_requests[bot][endpoint] += 1
        self.bot_weight[bot][endpoint] += weight

    def count_not_simulated(self, what: str) -> None:
        with self._lock:
            self.not_simulated[what] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            bots = {
                bot: {
                    "requests": dict(self.bot_requests[bot]),
                    "weight": dict(self.bot_weight[bot]),
                    "total_requests": sum(self.bot_requests[bot].values()),
                    "total_weight": sum(self.bot_weight[bot].values()),
                }
                for bot in sorted(self.bot_requests)
            }
            return {
                "requests": dict(self.requests),
                "not_simulated": dict(self.not_simulated),
                "errors": dict(self.errors),
                "total_requests": sum(self.requests.values()),
                "total_weight": self.weight,
                "bots": bots,
            }


def sender(request: HTTPConnection) -> str:
    """The bot named by the request's (or handshake's) :data:`BOT_HEADER`, checked; else
    ``unattributed``."""
    name = request.headers.get(BOT_HEADER)
    if name is None or not BOT_NAME.match(name):
        return UNATTRIBUTED
    return name


class Params:
    """Query parameters (or a signed request's, query and body) with Binance's parsing
    rules; records which ones were read."""

    def __init__(self, source: Request | QueryParams) -> None:
        self._query = source.query_params if isinstance(source, Request) else source
        self._read: set[str] = set()

    def text(self, name: str) -> str | None:
        self._read.add(name)
        value = self._query.get(name)
        return value if value not in (None, "") else None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise errors.mandatory(name)
        return value

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not _INTEGER.match(value):
            raise errors.illegal_characters(name)
        return int(value)

    def symbols(self) -> list[str] | None:
        value = self.text("symbols")
        if value is None:
            return None
        if not _SYMBOLS.match(value):
            raise errors.illegal_characters("symbols", _SYMBOLS_PATTERN)
        return json.loads(value)

    def check_all_read(self) -> None:
        sent = set(self._query.keys())
        if not sent <= self._read:
            raise errors.unread_parameters(len(sent & self._read), len(sent))


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

    def market_index(symbol: str) -> int:
        index = exchange.by_symbol.get(symbol)
        if index is None:
            raise errors.invalid_symbol()
        return index

    def symbol_list(params: Params) -> list[int] | None:
        """``symbol`` or ``symbols`` (not both) as market indices; None means all."""
        symbol = params.text("symbol")
        symbols = params.symbols()
        if symbol is not None and symbols is not None:
            raise errors.both_symbol_and_symbols()
        if symbol is not None:
            return [market_index(symbol)]
        if symbols is not None:
            if not symbols:
                raise errors.invalid_data("symbols")
            return [market_index(s) for s in symbols]
        return None

    def route(
        path: str, endpoint: Callable[[Params, int], tuple[Any, int]], counted: bool = True
    ) -> None:
        """Register a GET endpoint returning (body, weight); the body is JSON or bytes.

        ``counted=False``: the simulator's own endpoints, left out of the request counts.
        """

        async def handle(request: Request) -> Response:
            now_ms = exchange.clock()
            weight = 1
            bot = sender(request)
            try:
                params = Params(request)
                body, weight = endpoint(params, now_ms)
                params.check_all_read()
                used = meter.spend(weight, now_ms)
                if isinstance(body, Deferred):
                    body = await run_in_threadpool(body.work)
                if counted:
                    stats.count(path, weight, bot)
                content = body if isinstance(body, bytes) else orjson.dumps(body)
                return Response(
                    content, media_type=JSON, headers={"X-MBX-USED-WEIGHT-1M": str(used)}
                )
            except BinanceError as error:
                return _error_response(stats, meter, path, error, weight, now_ms, bot)
            except Exception:
                logger.exception(
                    "Failed to answer GET %s?%s", path, redact_query(request.url.query)
                )
                unknown = BinanceError(
                    -1000, "An unknown error occurred while processing the request."
                )
                return _error_response(stats, meter, path, unknown, weight, now_ms, bot)

        app.add_route(path, handle, methods=["GET"])

    # -- general --------------------------------------------------------------------------
    def ping(params: Params, now_ms: int) -> tuple[Any, int]:
        return b"{}", 1

    def server_time(params: Params, now_ms: int) -> tuple[Any, int]:
        return {"serverTime": now_ms}, 1

    symbols_json = {m.symbol: m.exchange_info() for m in exchange.markets}
    rate_limits = [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": weight_limit or BINANCE_WEIGHT_LIMIT,
        },
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": order_limit},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": ORDERS_PER_DAY},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ]
    all_symbols = orjson.dumps(list(symbols_json.values()))
    info_head = orjson.dumps({"timezone": "UTC"})[:-1]
    info_tail = b',"rateLimits":' + orjson.dumps(rate_limits) + b',"exchangeFilters":[],"symbols":'

    def exchange_info(params: Params, now_ms: int) -> tuple[Any, int]:
        markets = symbol_list(params)
        params.text("permissions")
        params.text("showPermissionSets")
        status = params.text("symbolStatus")
        if status is not None and status not in ("TRADING", "HALT", "BREAK"):
            raise errors.invalid_data("symbolStatus")
        if markets is None and status in (None, "TRADING"):
            listed = all_symbols
        elif status not in (None, "TRADING"):
            listed = b"[]"
        else:
            listed = orjson.dumps([symbols_json[exchange.markets[i].symbol] for i in markets or ()])
        body = info_head + b',"serverTime":' + str(now_ms).encode() + info_tail + listed + b"}"
        return body, 20

    # -- market data ----------------------------------------------------------------------
    def klines(params: Params, now_ms: int) -> tuple[Any, int]:
        market = market_index(params.required("symbol"))
        interval = params.required("interval")
        length = interval_ms(interval)
        if length is None:
            raise errors.invalid_interval()
        if length % exchange.model.base_ms:
            logger.warning(
                "Interval %s is finer than the model's base candles (%s min): answered -1120",
                interval,
                exchange.model.base_ms // 60_000,
            )
            raise errors.invalid_interval()
        start = params.integer("startTime")
        end = params.integer("endTime")
        limit = params.integer("limit")
        zone = params.text("timeZone")
        if zone is not None and zone not in UTC_ZONES:
            logger.warning("klines timeZone=%s is not simulated (UTC only): answered -1130", zone)
            raise errors.invalid_data("timeZone")
        if limit is None:
            limit = KLINES_DEFAULT
        if not 1 <= limit <= KLINES_MAX:
            raise errors.invalid_data("limit")
        if start is not None and end is not None and start > end:
            raise errors.start_after_end()
        store = exchange.store
        if length < SLOW_INTERVAL_MS or store.is_cached(market, length, now_ms, start, end, limit):
            return store.klines(market, length, now_ms, start, end, limit), 2
        # Generating long-interval candles (up to a few hundred ms for 1,000 days) runs in a
        # worker thread, so that other bots' requests are answered meanwhile.
        return Deferred(lambda: store.klines(market, length, now_ms, start, end, limit)), 2

    def ticker_24hr(params: Params, now_ms: int) -> tuple[Any, int]:
        markets = symbol_list(params)
        kind = params.text("type") or "FULL"
        if kind not in ("FULL", "MINI"):
            raise errors.invalid_data("type")
        weight = ticker_24hr_weight(None if markets is None else len(markets))
        full = kind == "FULL"
        if markets is not None and params.text("symbol") is not None:
            return exchange.ticker_24hr(markets[0], now_ms, full), weight
        selected = range(len(exchange.markets)) if markets is None else markets
        return [exchange.ticker_24hr(i, now_ms, full) for i in selected], weight

    def one_or_many(view: Callable[[int, int], dict]) -> Callable[[Params, int], tuple[Any, int]]:
        def endpoint(params: Params, now_ms: int) -> tuple[Any, int]:
            markets = symbol_list(params)
            weight = one_or_many_weight(None if markets is None else len(markets))
            if markets is not None and params.text("symbol") is not None:
                return view(markets[0], now_ms), weight
            selected = range(len(exchange.markets)) if markets is None else markets
            return [view(i, now_ms) for i in selected], weight

        return endpoint

    def depth(params: Params, now_ms: int) -> tuple[Any, int]:
        market = market_index(params.required("symbol"))
        limit = params.integer("limit")
        if limit is None:
            limit = 100
        if not 1 <= limit <= DEPTH_MAX:
            raise errors.invalid_data("limit")
        return exchange.depth(market, now_ms, limit), depth_weight(limit)

    def avg_price(params: Params, now_ms: int) -> tuple[Any, int]:
        market = market_index(params.required("symbol"))
        return exchange.avg_price(market, now_ms), 2

    # -- the simulator's own ----------------------------------------------------------------
    def sim_stats(params: Params, now_ms: int) -> tuple[Any, int]:
        return {
            **stats.snapshot(),
            "weight_1m": meter.used(now_ms),
            "weight_limit": weight_limit,
            "streams": stream_stats.snapshot(),
        }, 0

    def sim_info(params: Params, now_ms: int) -> tuple[Any, int]:
        model = exchange.model
        return {
            "model": model.name,
            "description": model.describe(),
            "pairs": [m.pair for m in exchange.markets],
            "base_timeframe_ms": model.base_ms,
            "listed_ms": model.listed_ms,
            "weight_limit": weight_limit,
        }, 0

    route("/api/v3/ping", ping)
    route("/api/v3/time", server_time)
    route("/api/v3/exchangeInfo", exchange_info)
    route("/api/v3/klines", klines)
    route("/api/v3/uiKlines", klines)
    route("/api/v3/ticker/24hr", ticker_24hr)
    route("/api/v3/ticker/price", one_or_many(exchange.price_ticker))
    route("/api/v3/ticker/bookTicker", one_or_many(exchange.book_ticker))
    route("/api/v3/depth", depth)
    route("/api/v3/avgPrice", avg_price)
    route("/sim/stats", sim_stats, counted=False)
    route("/sim/info", sim_info, counted=False)

    # -- websocket streams (no request weight, counted apart) ------------------------------
    async def raw_streams(websocket: WebSocket) -> None:
        """``/ws`` and ``/ws/<name>``: a stream name in the path is subscribed at once;
        anything else there (ccxt's connection number) is ignored, as Binance does."""
        name = websocket.path_params.get("name", "")
        initial = [name] if "@" in name else []
        await streams.serve(websocket, sender(websocket), combined=False, initial=initial)

    async def combined_streams(websocket: WebSocket) -> None:
        """``/stream?streams=a/b``: events wrapped as ``{"stream", "data"}``."""
        names = [n for n in (websocket.query_params.get("streams") or "").split("/") if n]
        await streams.serve(websocket, sender(websocket), combined=True, initial=names)

    async def stream_not_simulated(websocket: WebSocket) -> None:
        what = f"WS {websocket.url.path}"
        stats.count_not_simulated(what)
        logger.warning("Not simulated: %s (refused)", what)
        if "websocket.http.response" in (websocket.scope.get("extensions") or {}):
            body = orjson.dumps({"code": -1000, "msg": f"Not simulated by freqfleet sim: {what}."})
            await websocket.send_denial_response(Response(body, 404, media_type=JSON))
        else:
            await websocket.close(code=1008)

    app.router.routes += [
        WebSocketRoute("/ws", raw_streams),
        WebSocketRoute("/ws/{name:path}", raw_streams),
        WebSocketRoute("/stream", combined_streams),
        WebSocketRoute("/{path:path}", stream_not_simulated),
    ]

    @app.exception_handler(StarletteHTTPException)
    async def not_simulated(request: Request, exc: StarletteHTTPException) -> Response:
        """Paths (or methods) the simulator does not imitate: logged, counted, 404/405."""
        what = f"{request.method} {request.url.path}"
        stats.count_not_simulated(what)
        logger.warning(
            "Not simulated: %s?%s (answered %s)",
            what,
            redact_query(request.url.query),
            exc.status_code,
        )
        body = {"code": -1000, "msg": f"Not simulated by freqfleet sim: {what}."}
        return Response(orjson.dumps(body), status_code=exc.status_code, media_type=JSON)

    return app


def _error_response(
    stats: Stats,
    meter: WeightMeter,
    path: str,
    error: BinanceError,
    weight: int,
    now_ms: int,
    bot: str,
) -> Response:
    stats.count_error(path, error.code, bot)
    headers = {"X-MBX-USED-WEIGHT-1M": str(meter.used(now_ms))}
    if error.status == 429:
        headers["Retry-After"] = str(60 - (now_ms // 1000) % 60)
    body = orjson.dumps({"code": error.code, "msg": error.msg})
    return Response(body, status_code=error.status, media_type=JSON, headers=headers)


__all__ = ["BOT_HEADER", "UNATTRIBUTED", "Stats", "create_app", "sender"]
