"""A GET request's way through the simulator: parameters read by Binance's rules, weight
spent, counted, answered; and what the simulator does not imitate.

Why strict: a parameter the simulator does not read, an unknown symbol or interval, a limit
out of range get Binance's own ``400 {"code", "msg"}`` answer, and an unknown path is
logged and answered 404, so that anything a bot asks which the simulator does not imitate
shows up instead of being answered with something plausible but wrong (a websocket to a
path other than the streams' is logged and refused the same way). No request ever gets a
500 or a stack trace: unexpected failures are logged and answered ``-1000``. Routes are
plain Starlette endpoints (no per-request validation layer): kline requests must cost
microseconds.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from freqfleet.sim import binance_errors as errors
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.request_stats import Stats, sender
from freqfleet.sim.signing import redact_query
from freqfleet.sim.weights import WeightMeter

logger = logging.getLogger("freqfleet.sim.app")

_INTEGER = re.compile(r"^-?[0-9]{1,20}\Z")
_SYMBOLS = re.compile(r'^\[("[A-Z0-9\-_.]{1,20}"(,"[A-Z0-9\-_.]{1,20}")*)?\]\Z')
_SYMBOLS_PATTERN = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'
JSON = "application/json;charset=UTF-8"


@dataclass(frozen=True)
class Deferred:
    """A response body that takes real work: computed in a worker thread."""

    work: Callable[[], bytes]


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


Endpoint = Callable[[Params, int], tuple[Any, int]]
"""Reads the parameters at a moment (ms); returns the body (JSON, bytes or
:class:`Deferred`) and the request's weight."""


class GetRoutes:
    """Registers unsigned GET endpoints on ``app`` with its stats and weight meter."""

    def __init__(
        self, app: FastAPI, exchange: SimExchange, stats: Stats, meter: WeightMeter
    ) -> None:
        self.app = app
        self.exchange = exchange
        self.stats = stats
        self.meter = meter

    def add(self, path: str, endpoint: Endpoint, counted: bool = True) -> None:
        """Register a GET endpoint returning (body, weight); the body is JSON or bytes.

        ``counted=False``: the simulator's own endpoints, left out of the request counts.
        """
        exchange, stats, meter = self.exchange, self.stats, self.meter

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
                return error_response(stats, meter, path, error, now_ms, bot)
            except Exception:
                logger.exception(
                    "Failed to answer GET %s?%s", path, redact_query(request.url.query)
                )
                unknown = BinanceError(
                    -1000, "An unknown error occurred while processing the request."
                )
                return error_response(stats, meter, path, unknown, now_ms, bot)

        self.app.add_route(path, handle, methods=["GET"])


def error_response(
    stats: Stats, meter: WeightMeter, path: str, error: BinanceError, now_ms: int, bot: str
) -> Response:
    """Binance's ``{"code", "msg"}`` answer, counted; a 429 says when to retry."""
    stats.count_error(path, error.code, bot)
    headers = {"X-MBX-USED-WEIGHT-1M": str(meter.used(now_ms))}
    if error.status == 429:
        headers["Retry-After"] = str(60 - (now_ms // 1000) % 60)
    body = orjson.dumps({"code": error.code, "msg": error.msg})
    return Response(body, status_code=error.status, media_type=JSON, headers=headers)


def not_simulated_handler(
    stats: Stats,
) -> Callable[[Request, StarletteHTTPException], Awaitable[Response]]:
    """The app's handler of Starlette's 404 and 405: paths (or methods) the simulator does
    not imitate, logged, counted, answered in Binance's error form."""

    async def not_simulated(request: Request, exc: StarletteHTTPException) -> Response:
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

    return not_simulated


def websocket_not_simulated(stats: Stats) -> Callable[[WebSocket], Awaitable[None]]:
    """The endpoint of every websocket path but the streams': logged, counted, refused."""

    async def stream_not_simulated(websocket: WebSocket) -> None:
        what = f"WS {websocket.url.path}"
        stats.count_not_simulated(what)
        logger.warning("Not simulated: %s (refused)", what)
        if "websocket.http.response" in (websocket.scope.get("extensions") or {}):
            body = orjson.dumps({"code": -1000, "msg": f"Not simulated by freqfleet sim: {what}."})
            await websocket.send_denial_response(Response(body, 404, media_type=JSON))
        else:
            await websocket.close(code=1008)

    return stream_not_simulated


__all__ = [
    "JSON",
    "Deferred",
    "Endpoint",
    "GetRoutes",
    "Params",
    "error_response",
    "not_simulated_handler",
    "websocket_not_simulated",
]
