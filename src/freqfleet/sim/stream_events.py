"""The streams' names and events: which stream a name means, and each event's bytes.

Kline events are built from the REST row of the same candle
(:class:`~freqfleet.sim.candles.CandleStore`'s rows, the same strings), so a closed candle
from a stream equals what ``/api/v3/klines`` answers for it; ticker events from the very
values REST's ``/api/v3/ticker/24hr`` answers at that moment. Trade ids (``f``, ``L``) are
synthetic: a candle's open time numbers its first trade.

Why caches: each event is built once per stream and tick and shared by every connection
subscribed to it.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool

from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.timeframes import interval_ms

logger = logging.getLogger("freqfleet.sim.streams")

SLOW_INTERVAL_MS = 3_600_000
"""Closed candles of intervals from 1h on may need a block generated: in a worker thread."""
_STREAM = re.compile(r"^([a-z0-9]{1,20})@kline_([0-9]{1,2}[smhdwM])\Z")
_TICKER_STREAM = re.compile(r"^([a-z0-9]{1,20})@(ticker|miniTicker)\Z")


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


class StreamEvents:
    """The streams of one :class:`SimExchange`: names resolved, events built and cached."""

    def __init__(self, exchange: SimExchange) -> None:
        self.exchange = exchange
        self._closed: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self._live: dict[tuple[int, int], bytes] = {}
        self._live_tick = -1
        self._tickers: dict[tuple[int, str], bytes] = {}
        self._ticker_tick = -1

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


__all__ = ["Stream", "StreamEvents"]
