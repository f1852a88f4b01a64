"""Binance's kline and 24hr ticker websocket streams: candles and prices with no weight.

Why: on Binance, freqtrade (``exchange.enable_ws``, its default there) reads each closed
candle from the ``<symbol>@kline_<interval>`` stream through ccxt.pro's ``watch_ohlcv``,
and asks REST for candles only at start-up or when the stream's data is not usable. So its
refresh right after a candle close is nearly free and costs no request weight. A simulator
serving REST only would make every bot download 1,000 candles per pair at every close, and
benchmarks of close -> decision or of exchange weight would measure what no real bot does.

The protocol is Binance spot's raw streams, as ccxt.pro's binance uses them:

- connect to ``/ws`` or ``/ws/<anything>`` (ccxt appends a connection number; a stream
  name there is subscribed at once), or ``/stream?streams=<a>/<b>`` (combined payloads);
- requests are JSON text frames: ``SUBSCRIBE`` / ``UNSUBSCRIBE`` with ``params`` (stream
  names) and ``id``, answered ``{"result": null, "id": id}``; ``LIST_SUBSCRIPTIONS``;
  ``SET_PROPERTY`` / ``GET_PROPERTY`` ``combined`` (events wrapped as
  ``{"stream", "data"}``);
- errors are ``{"error": {"code", "msg"}, "id": id}`` with Binance's codes and texts. A
  stream the simulator cannot serve (unknown symbol, interval finer than the model's
  candles, another stream type, a time zone) is refused as a whole request with
  ``2 "Invalid request: invalid stream"`` and logged, so that it shows up instead of
  staying silent; uvicorn pings every 20 s, as Binance does.

Ticker streams (``<symbol>@ticker``, what ccxt.pro's ``watch_tickers`` subscribes to
with ``{"name": "ticker"}``, and ``<symbol>@miniTicker``, its default): the 24hr ticker of
the symbol every second, as on Binance, built from the very values REST's
``/api/v3/ticker/24hr`` answers at that moment (``24hrTicker`` / ``24hrMiniTicker``
events). A fleet's producers price their open virtual trades from them.

What is pushed, per subscribed kline stream: the candle in progress every 2 s (Binance: "2000ms
for the other intervals"), and at each boundary of the stream's interval the closed candle
(``"x": true``) followed at once by the new candle. Every kline is the REST row of the
same candle (:class:`~freqfleet.sim.candles.CandleStore`'s rows, the same strings), so a
closed candle from the stream equals what ``/api/v3/klines`` answers for it. Trade ids
(``f``, ``L``) are synthetic: a candle's open time numbers its first trade.

Cost: one pusher task per connection on the simulator's clock; each event is built once
per stream and tick and shared by every connection subscribed to it. Streams carry no
request weight (Binance counts none); ``/sim/stats`` counts connections, subscriptions
and messages under ``streams``, in total and per bot (the handshake's bot header).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.timeframes import interval_ms

logger = logging.getLogger(__name__)

UPDATE_MS = 2_000
"""Pushes of the candle in progress: every 2 s, as Binance's kline streams."""
TICKER_MS = 1_000
"""Pushes of a 24hr ticker: every second, as Binance's ticker streams."""
MAX_STREAMS = 1024
"""Binance's limit of streams per connection (beyond it the simulator warns, once)."""
CATCH_UP = 5
"""Closed candles pushed per stream at most when the clock jumped over several boundaries."""
MAX_SLEEP = 0.5
"""Longest sleep between two looks at the clock (a test's clock may jump meanwhile)."""
SLOW_INTERVAL_MS = 3_600_000
"""Closed candles of intervals from 1h on may need a block generated: in a worker thread."""
_STREAM = re.compile(r"^([a-z0-9]{1,20})@kline_([0-9]{1,2}[smhdwM])\Z")
_TICKER_STREAM = re.compile(r"^([a-z0-9]{1,20})@(ticker|miniTicker)\Z")
_REQUEST_KEYS = frozenset({"method", "params", "id"})
_METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_ID_TEXT = re.compile(r"^[A-Za-z0-9-]{1,36}\Z")
_INT64 = 2**63


@dataclass(frozen=True)
class Stream:
    """One stream: ``btcusdt@kline_1m`` (``kind`` "kline"), ``btcusdt@ticker`` ("ticker")
    or ``btcusdt@miniTicker`` ("miniTicker"); tickers have no interval ("", 0)."""

    name: str
    market: int
    symbol: str
    interval: str
    interval_ms: int
    kind: str = "kline"


class StreamError(Exception):
    """A request answered with Binance's ``{"error": {"code", "msg"}}``."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def invalid_stream() -> StreamError:
    return StreamError(2, "Invalid request: invalid stream")


@dataclass
class _BotCounts:
    connections: int = 0
    open: int = 0
    subscriptions: int = 0
    messages: int = 0


class StreamStats:
    """Connections, subscriptions and pushed messages, in total and per bot."""

    def __init__(self, max_bots: int, unattributed: str) -> None:
        self._bots: dict[str, _BotCounts] = {}
        self._max_bots = max_bots
        self._unattributed = unattributed
        self.errors: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self._lock = threading.Lock()

    def bot(self, name: str) -> str:
        """The name counts are kept under (beyond ``max_bots`` names: unattributed)."""
        with self._lock:
            if name not in self._bots:
                if len(self._bots) >= self._max_bots:
                    name = self._unattributed
                self._bots.setdefault(name, _BotCounts())
            return name

    def connected(self, bot: str, change: int) -> None:
        with self._lock:
            counts = self._bots[bot]
            counts.open += change
            if change > 0:
                counts.connections += 1

    def subscribed(self, bot: str, change: int) -> None:
        with self._lock:
            self._bots[bot].subscriptions += change

    def pushed(self, bot: str, messages: int) -> None:
        with self._lock:
            self._bots[bot].messages += messages

    def error(self, code: int) -> None:
        with self._lock:
            self.errors[str(code)] += 1

    def refuse(self, names: list[str]) -> None:
        with self._lock:
            self.refused.update(names)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            bots = {name: vars(counts).copy() for name, counts in sorted(self._bots.items())}
            return {
                "connections": sum(c["connections"] for c in bots.values()),
                "open": sum(c["open"] for c in bots.values()),
                "subscriptions": sum(c["subscriptions"] for c in bots.values()),
                "messages": sum(c["messages"] for c in bots.values()),
                "errors": dict(self.errors),
                "refused": dict(self.refused),
                "bots": bots,
            }


@dataclass
class _Connection:
    websocket: WebSocket
    bot: str
    combined: bool
    streams: dict[str, Stream] = field(default_factory=dict)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    warned_limit: bool = False


class KlineStreams:
    """The kline streams of one :class:`SimExchange`, for every connection."""

    def __init__(self, exchange: SimExchange, stats: StreamStats) -> None:
        self.exchange = exchange
        self.stats = stats
        self._closed: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self._live: dict[tuple[int, int], bytes] = {}
        self._live_tick = -1
        self._tickers: dict[tuple[int, str], bytes] = {}
        self._ticker_tick = -1

    # -- stream names ---------------------------------------------------------------------
    def stream(self, name: Any) -> Stream | None:
        """The stream ``name`` names, or None when the simulator cannot serve it."""
        ticker = _TICKER_STREAM.match(name) if isinstance(name, str) else None
        if ticker is not None:
            symbol = ticker.group(1).upper()
            market = self.exchange.by_symbol.get(symbol)
            if market is None:
                return None
            return Stream(name, market, symbol, "", 0, ticker.group(2))
        match = _STREAM.match(name) if isinstance(name, str) else None
        if match is None:
            return None
        symbol = match.group(1).upper()
        market = self.exchange.by_symbol.get(symbol)
        length = interval_ms(match.group(2))
        if market is None or length is None:
            return None
        if length % self.exchange.model.base_ms:
            logger.warning(
                "Stream %s: interval finer than the model's base candles (%s min), refused",
                name,
                self.exchange.model.base_ms // 60_000,
            )
            return None
        return Stream(name, market, symbol, match.group(2), length)

    # -- events -----------------------------------------------------------------------------
    def _event(self, stream: Stream, row: bytes, closed: bool, now_ms: int) -> bytes:
        """A kline event from one REST kline row (the very same strings)."""
        t, o, h, lo, c, v, close_ms, q, n, taker, taker_quote, ignore = orjson.loads(row)
        first, last = (t, t + n - 1) if n else (-1, -1)
        return orjson.dumps(
            {
                "e": "kline",
                "E": now_ms,
                "s": stream.symbol,
                "k": {
                    "t": t,
                    "T": close_ms,
                    "s": stream.symbol,
                    "i": stream.interval,
                    "f": first,
                    "L": last,
                    "o": o,
                    "c": c,
                    "h": h,
                    "l": lo,
                    "v": v,
                    "n": n,
                    "x": closed,
                    "q": q,
                    "V": taker,
                    "Q": taker_quote,
                    "B": ignore,
                },
            }
        )

    def _closed_row(self, stream: Stream, index: int) -> bytes:
        rows = self.exchange.store.closed_rows(stream.market, stream.interval_ms, index, 1)
        return rows[:-1]  # without the trailing comma

    async def closed_event(self, stream: Stream, index: int, now_ms: int) -> bytes:
        """The closed candle ``index`` (of the stream's interval) as a final kline event."""
        key = (stream.market, stream.interval_ms, index)
        event = self._closed.get(key)
        if event is None:
            if stream.interval_ms >= SLOW_INTERVAL_MS:
                row = await run_in_threadpool(self._closed_row, stream, index)
            else:
                row = self._closed_row(stream, index)
            event = self._event(stream, row, True, now_ms)
            self._closed[key] = event
            while len(self._closed) > 4 * len(self.exchange.markets) + 64:
                self._closed.popitem(last=False)
        return event

    def live_event(self, stream: Stream, tick_ms: int, now_ms: int) -> bytes:
        """The candle in progress at ``now_ms``, built once per stream and tick."""
        if tick_ms != self._live_tick:
            self._live.clear()
            self._live_tick = tick_ms
        key = (stream.market, stream.interval_ms)
        event = self._live.get(key)
        if event is None:
            row = self.exchange.store.live_row(stream.market, stream.interval_ms, now_ms)
            event = self._live[key] = self._event(stream, row, False, now_ms)
        return event

    def ticker_event(self, stream: Stream, tick_ms: int, now_ms: int) -> bytes:
        """The 24hr ticker (full or mini) at ``now_ms``, built once per stream and tick
        from the fields REST's ``/api/v3/ticker/24hr`` answers."""
        if tick_ms != self._ticker_tick:
            self._tickers.clear()
            self._ticker_tick = tick_ms
        key = (stream.market, stream.kind)
        event = self._tickers.get(key)
        if event is None:
            full = stream.kind == "ticker"
            rest = self.exchange.ticker_24hr(stream.market, now_ms, full)
            if full:
                fields = _TICKER_FIELDS
                payload: dict[str, Any] = {"e": "24hrTicker", "E": now_ms, "s": stream.symbol}
            else:
                fields = _MINI_TICKER_FIELDS
                payload = {"e": "24hrMiniTicker", "E": now_ms, "s": stream.symbol}
            payload.update((short, rest[long]) for short, long in fields)
            event = self._tickers[key] = orjson.dumps(payload)
        return event

    # -- a connection -------------------------------------------------------------------------
    async def serve(
        self, websocket: WebSocket, bot: str, combined: bool, initial: list[str]
    ) -> None:
        """One connection: accept, answer its requests, push its streams until it closes."""
        await websocket.accept()
        connection = _Connection(websocket, self.stats.bot(bot), combined)
        self.stats.connected(connection.bot, 1)
        for name in initial:
            stream = self.stream(name)
            if stream is None:
                logger.warning("Stream %s in the connection URL is not served: ignored", name)
                self.stats.refuse([name])
            else:
                self._subscribe(connection, [stream])
        pusher = asyncio.create_task(self._push(connection))
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", "replace")
                await self._send(connection, [self.answer(connection, text)])
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the connection closed while answering
        finally:
            # Counted first: a cancelled connection (server shutdown) may not await again.
            self.stats.subscribed(connection.bot, -len(connection.streams))
            self.stats.connected(connection.bot, -1)
            pusher.cancel()
            await asyncio.gather(pusher, return_exceptions=True)

    async def _send(self, connection: _Connection, payloads: list[bytes]) -> None:
        async with connection.send_lock:
            for payload in payloads:
                await connection.websocket.send_text(payload.decode())

    async def _push(self, connection: _Connection) -> None:
        """Every second on the simulator's clock: the tickers; every :data:`UPDATE_MS`
        (and at each close): the klines."""
        clock = self.exchange.clock
        now = clock()
        last_tick = now - now % TICKER_MS
        last_kline = now - now % UPDATE_MS
        try:
            while True:
                now = clock()
                tick = now - now % TICKER_MS
                if tick <= last_tick:
                    wait = (last_tick + TICKER_MS - now) / 1000
                    await asyncio.sleep(min(MAX_SLEEP, max(0.001, wait)))
                    continue
                kline_tick = now - now % UPDATE_MS
                klines_due = kline_tick > last_kline
                payloads = []
                for stream in list(connection.streams.values()):
                    if stream.kind != "kline":
                        event = self.ticker_event(stream, tick, now)
                        payloads.append(self._wrap(connection, stream, event))
                        continue
                    if not klines_due:
                        continue
                    length = stream.interval_ms
                    newest = kline_tick // length  # the candle in progress
                    oldest = max(last_kline // length, newest - CATCH_UP)
                    for index in range(oldest, newest):  # closed since the last tick
                        event = await self.closed_event(stream, index, now)
                        payloads.append(self._wrap(connection, stream, event))
                    event = self.live_event(stream, kline_tick, now)
                    payloads.append(self._wrap(connection, stream, event))
                last_tick = tick
                if klines_due:
                    last_kline = kline_tick
                if payloads:
                    await self._send(connection, payloads)
                    self.stats.pushed(connection.bot, len(payloads))
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the connection closed while sending; the reader ends it
        except Exception:
            logger.exception("Stopped pushing to a connection of %s: closing it", connection.bot)
            with contextlib.suppress(Exception):
                await connection.websocket.close(1011)

    @staticmethod
    def _wrap(connection: _Connection, stream: Stream, event: bytes) -> bytes:
        if not connection.combined:
            return event
        return b'{"stream":' + orjson.dumps(stream.name) + b',"data":' + event + b"}"

    # -- requests -----------------------------------------------------------------------------
    def answer(self, connection: _Connection, text: str) -> bytes:
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

    def _method(self, connection: _Connection, method: Any, params: Any, text: str) -> Any:
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                raise StreamError(2, "Invalid request: params must be a list of stream names")
            streams = [self.stream(name) for name in params]
            refused = [name for name, stream in zip(params, streams, strict=True) if stream is None]
            if refused:
                logger.warning("Stream(s) not served, %s refused: %s", method, ", ".join(refused))
                self.stats.refuse(refused)
                raise invalid_stream()
            served = [stream for stream in streams if stream is not None]
            if method == "SUBSCRIBE":
                self._subscribe(connection, served)
            else:
                self._unsubscribe(connection, served)
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

    def _property(self, connection: _Connection, method: str, params: Any) -> Any:
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

    def _subscribe(self, connection: _Connection, streams: list[Stream]) -> None:
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

    def _unsubscribe(self, connection: _Connection, streams: list[Stream]) -> None:
        removed = sum(connection.streams.pop(s.name, None) is not None for s in streams)
        self.stats.subscribed(connection.bot, -removed)


# Stream field <- REST /api/v3/ticker/24hr field (Binance's 24hrTicker and mini events).
_TICKER_FIELDS: tuple[tuple[str, str], ...] = (
    ("p", "priceChange"),
    ("P", "priceChangePercent"),
    ("w", "weightedAvgPrice"),
    ("x", "prevClosePrice"),
    ("c", "lastPrice"),
    ("Q", "lastQty"),
    ("b", "bidPrice"),
    ("B", "bidQty"),
    ("a", "askPrice"),
    ("A", "askQty"),
    ("o", "openPrice"),
    ("h", "highPrice"),
    ("l", "lowPrice"),
    ("v", "volume"),
    ("q", "quoteVolume"),
    ("O", "openTime"),
    ("C", "closeTime"),
    ("F", "firstId"),
    ("L", "lastId"),
    ("n", "count"),
)
_MINI_TICKER_FIELDS: tuple[tuple[str, str], ...] = (
    ("c", "lastPrice"),
    ("o", "openPrice"),
    ("h", "highPrice"),
    ("l", "lowPrice"),
    ("v", "volume"),
    ("q", "quoteVolume"),
)


def _valid_id(value: Any) -> bool:
    """Binance accepts a 64-bit signed integer, an alphanumeric string up to 36, or null."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -_INT64 <= value < _INT64
    return isinstance(value, str) and bool(_ID_TEXT.match(value))


__all__ = [
    "CATCH_UP",
    "MAX_STREAMS",
    "TICKER_MS",
    "UPDATE_MS",
    "KlineStreams",
    "Stream",
    "StreamError",
    "StreamStats",
]
