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
- requests are JSON text frames (``SUBSCRIBE``, ``UNSUBSCRIBE``, ``LIST_SUBSCRIPTIONS``,
  ``SET_PROPERTY`` / ``GET_PROPERTY`` ``combined``), answered with Binance's replies and
  error codes (:mod:`freqfleet.sim.stream_requests`). A stream the simulator cannot serve
  (unknown symbol, interval finer than the model's candles, another stream type, a time
  zone) is refused as a whole request and logged; uvicorn pings every 20 s, as Binance
  does.

Ticker streams (``<symbol>@ticker``, what ccxt.pro's ``watch_tickers`` subscribes to
with ``{"name": "ticker"}``, and ``<symbol>@miniTicker``, its default): the 24hr ticker of
the symbol every second, as on Binance, built from the very values REST's
``/api/v3/ticker/24hr`` answers at that moment (``24hrTicker`` / ``24hrMiniTicker``
events). A fleet's producers price their open virtual trades from them.

What is pushed, per subscribed kline stream: the candle in progress every 2 s (Binance: "2000ms
for the other intervals"), and at each boundary of the stream's interval the closed candle
(``"x": true``) followed at once by the new candle. Every kline is the REST row of the
same candle, so a closed candle from the stream equals what ``/api/v3/klines`` answers for
it (:mod:`freqfleet.sim.stream_events`).

Cost: one pusher task per connection on the simulator's clock; each event is built once
per stream and tick and shared by every connection subscribed to it. Streams carry no
request weight (Binance counts none); ``/sim/stats`` counts connections, subscriptions
and messages under ``streams``, in total and per bot (:mod:`freqfleet.sim.stream_stats`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.request_stats import sender
from freqfleet.sim.stream_events import Stream, StreamEvents
from freqfleet.sim.stream_requests import MAX_STREAMS, Connection, StreamError, StreamRequests
from freqfleet.sim.stream_stats import StreamStats

logger = logging.getLogger(__name__)

UPDATE_MS = 2_000
"""Pushes of the candle in progress: every 2 s, as Binance's kline streams."""
TICKER_MS = 1_000
"""Pushes of a 24hr ticker: every second, as Binance's ticker streams."""
CATCH_UP = 5
"""Closed candles pushed per stream at most when the clock jumped over several boundaries."""
MAX_SLEEP = 0.5
"""Longest sleep between two looks at the clock (a test's clock may jump meanwhile)."""


class KlineStreams:
    """The kline and ticker streams of one :class:`SimExchange`, for every connection."""

    def __init__(self, exchange: SimExchange, stats: StreamStats) -> None:
        self.exchange = exchange
        self.stats = stats
        self.events = StreamEvents(exchange)
        self.requests = StreamRequests(self.events.stream, stats)

    def routes(self, prefix: str = "") -> list[WebSocketRoute]:
        """The streams' paths: ``/ws``, ``/ws/<name>`` and ``/stream`` under ``prefix``
        (USD-M futures: ``/market``, where ccxt.pro reads futures klines; a perpetual's
        candles are its spot market's, so the same streams serve both)."""
        return [
            WebSocketRoute(prefix + "/ws", self.raw),
            WebSocketRoute(prefix + "/ws/{name:path}", self.raw),
            WebSocketRoute(prefix + "/stream", self.combined),
        ]

    async def raw(self, websocket: WebSocket) -> None:
        """``/ws`` and ``/ws/<name>``: a stream name in the path is subscribed at once;
        anything else there (ccxt's connection number) is ignored, as Binance does."""
        name = websocket.path_params.get("name", "")
        initial = [name] if "@" in name else []
        await self.serve(websocket, sender(websocket), combined=False, initial=initial)

    async def combined(self, websocket: WebSocket) -> None:
        """``/stream?streams=a/b``: events wrapped as ``{"stream", "data"}``."""
        names = [n for n in (websocket.query_params.get("streams") or "").split("/") if n]
        await self.serve(websocket, sender(websocket), combined=True, initial=names)

    async def serve(
        self, websocket: WebSocket, bot: str, combined: bool, initial: list[str]
    ) -> None:
        """One connection: accept, answer its requests, push its streams until it closes."""
        await websocket.accept()
        connection = Connection(websocket, self.stats.bot(bot), combined)
        self.stats.connected(connection.bot, 1)
        for name in initial:
            stream = self.events.stream(name)
            if stream is None:
                logger.warning("Stream %s in the connection URL is not served: ignored", name)
                self.stats.refuse([name])
            else:
                self.requests.subscribe(connection, [stream])
        pusher = asyncio.create_task(self._push(connection))
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", "replace")
                await self._send(connection, [self.requests.answer(connection, text)])
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the connection closed while answering
        finally:
            # Counted first: a cancelled connection (server shutdown) may not await again.
            self.stats.subscribed(connection.bot, -len(connection.streams))
            self.stats.connected(connection.bot, -1)
            pusher.cancel()
            await asyncio.gather(pusher, return_exceptions=True)

    async def _send(self, connection: Connection, payloads: list[bytes]) -> None:
        async with connection.send_lock:
            for payload in payloads:
                await connection.websocket.send_text(payload.decode())

    async def _push(self, connection: Connection) -> None:
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
                        event = self.events.ticker_event(stream, tick, now)
                        payloads.append(self._wrap(connection, stream, event))
                        continue
                    if not klines_due:
                        continue
                    length = stream.interval_ms
                    newest = kline_tick // length  # the candle in progress
                    oldest = max(last_kline // length, newest - CATCH_UP)
                    for index in range(oldest, newest):  # closed since the last tick
                        event = await self.events.closed_event(stream, index, now)
                        payloads.append(self._wrap(connection, stream, event))
                    event = self.events.live_event(stream, kline_tick, now)
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
    def _wrap(connection: Connection, stream: Stream, event: bytes) -> bytes:
        if not connection.combined:
            return event
        return b'{"stream":' + orjson.dumps(stream.name) + b',"data":' + event + b"}"


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
