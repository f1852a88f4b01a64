"""A stream connection's requests, as Binance spot's raw streams answer them.

Requests are JSON text frames: ``SUBSCRIBE`` / ``UNSUBSCRIBE`` with ``params`` (stream
names) and ``id``, answered ``{"result": null, "id": id}``; ``LIST_SUBSCRIPTIONS``;
``SET_PROPERTY`` / ``GET_PROPERTY`` ``combined`` (events wrapped as ``{"stream",
"data"}``). Errors are ``{"error": {"code", "msg"}, "id": id}`` with Binance's codes and
texts. A stream the simulator cannot serve is refused as a whole request with ``2
"Invalid request: invalid stream"`` and logged, so that it shows up instead of staying
silent.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.websockets import WebSocket

from freqfleet.sim.stream_events import Stream
from freqfleet.sim.stream_stats import StreamStats

logger = logging.getLogger("freqfleet.sim.streams")

MAX_STREAMS = 1024
"""Binance's limit of streams per connection (beyond it the simulator warns, once)."""
_REQUEST_KEYS = frozenset({"method", "params", "id"})
_METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_ID_TEXT = re.compile(r"^[A-Za-z0-9-]{1,36}\Z")
_INT64 = 2**63


class StreamError(Exception):
    """A request answered with Binance's ``{"error": {"code", "msg"}}``."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def invalid_stream() -> StreamError:
    return StreamError(2, "Invalid request: invalid stream")


@dataclass
class Connection:
    """One websocket connection: its bot, its form of payloads and its streams."""

    websocket: WebSocket
    bot: str
    combined: bool
    streams: dict[str, Stream] = field(default_factory=dict)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    warned_limit: bool = False


class StreamRequests:
    """Answers request frames and keeps each connection's subscriptions (and their counts).

    ``resolve``: the stream a name means, None when the simulator cannot serve it.
    """

    def __init__(self, resolve: Callable[[Any], Stream | None], stats: StreamStats) -> None:
        self.resolve = resolve
        self.stats = stats

    def answer(self, connection: Connection, text: str) -> bytes:
        """The reply to one request frame (never raises)."""
        request_id: Any = None
        try:
            try:
                request = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                raise StreamError(
                    3, f"Invalid JSON: expected value at line {error.lineno} column {error.colno}"
                ) from None
            if not isinstance(request, dict):
                raise StreamError(2, "Invalid request: expected a JSON object")
            request_id = request.get("id")
            if not _valid_id(request_id):
                request_id = None
                raise StreamError(2, "Invalid request: request ID must be an unsigned integer")
            if "method" not in request:
                raise StreamError(
                    2, f"Invalid request: missing field `method` at line 1 column {len(text)}"
                )
            if set(request) - _REQUEST_KEYS:
                raise StreamError(2, "Invalid request: too many parameters")
            result = self._method(connection, request["method"], request.get("params"), text)
            return orjson.dumps({"result": result, "id": request_id})
        except StreamError as error:
            self.stats.error(error.code)
            return orjson.dumps({"error": {"code": error.code, "msg": error.msg}, "id": request_id})
        except Exception:
            logger.exception("Failed to answer stream request %r", text[:200])
            return orjson.dumps(
                {"error": {"code": -1000, "msg": "Unknown error."}, "id": request_id}
            )

    def _method(self, connection: Connection, method: Any, params: Any, text: str) -> Any:
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                raise StreamError(2, "Invalid request: params must be a list of stream names")
            streams = [self.resolve(name) for name in params]
            refused = [name for name, stream in zip(params, streams, strict=True) if stream is None]
            if refused:
                logger.warning("Stream(s) not served, %s refused: %s", method, ", ".join(refused))
                self.stats.refuse(refused)
                raise invalid_stream()
            served = [stream for stream in streams if stream is not None]
            if method == "SUBSCRIBE":
                self.subscribe(connection, served)
            else:
                self.unsubscribe(connection, served)
            return None
        if method == "LIST_SUBSCRIPTIONS":
            return list(connection.streams)
        if method in ("SET_PROPERTY", "GET_PROPERTY"):
            return self._property(connection, method, params)
        shown = method if isinstance(method, str) else orjson.dumps(method).decode()
        column = text.find(shown) + len(shown) + 2 if shown in text else len(text)
        expected = ", ".join(f"`{m}`" for m in _METHODS)
        raise StreamError(
            2,
            f"Invalid request: unknown variant `{shown}`, expected one of {expected} "
            f"at line 1 column {column}",
        )

    def _property(self, connection: Connection, method: str, params: Any) -> Any:
        values = params if isinstance(params, list) else []
        if not values or not isinstance(values[0], str):
            raise StreamError(2, "Invalid request: property name must be a string")
        if values[0] != "combined":
            raise StreamError(0, "Unknown property")
        if method == "GET_PROPERTY":
            return connection.combined
        if len(values) != 2 or not isinstance(values[1], bool):
            raise StreamError(1, "Invalid value type: expected Boolean")
        connection.combined = values[1]
        return None

    def subscribe(self, connection: Connection, streams: list[Stream]) -> None:
        added = 0
        for stream in streams:
            if stream.name not in connection.streams:
                connection.streams[stream.name] = stream
                added += 1
        self.stats.subscribed(connection.bot, added)
        if len(connection.streams) > MAX_STREAMS and not connection.warned_limit:
            connection.warned_limit = True
            logger.warning(
                "A connection of %s listens to %s streams: Binance allows %s per connection",
                connection.bot,
                len(connection.streams),
                MAX_STREAMS,
            )

    def unsubscribe(self, connection: Connection, streams: list[Stream]) -> None:
        removed = sum(connection.streams.pop(s.name, None) is not None for s in streams)
        self.stats.subscribed(connection.bot, -removed)


def _valid_id(value: Any) -> bool:
    """Binance accepts a 64-bit signed integer, an alphanumeric string up to 36, or null."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -_INT64 <= value < _INT64
    return isinstance(value, str) and bool(_ID_TEXT.match(value))


__all__ = ["MAX_STREAMS", "Connection", "StreamError", "StreamRequests", "invalid_stream"]
