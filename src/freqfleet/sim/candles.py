"""Candles of every interval from a model's base candles, cached and pre-serialised.

Why this module: bots ask for the newest 1,000 candles of every pair once per candle, so a
kline request must cost microseconds, not a generation run. Candles are computed in
aligned blocks per (market, interval) and kept as numeric arrays plus their Binance JSON
rows; a request joins a byte slice of one or two cached blocks with the candle in
progress, which is the only part computed per request.

Consistency rules (the same for every model):
- an interval's candle aggregates the base candles it covers (first open, max high, min
  low, last close, summed volumes), so 1m, 5m, ... 1d always agree;
- the candle in progress shows the closed base candles so far plus the base candle in
  progress revealed pro rata (its close moves from its open towards its final close), so
  at the close it equals the closed candle served from then on.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from freqfleet.sim.markets import SimMarket
from freqfleet.sim.models.base import BaseCandles, MarketModel

BLOCK = 500  # candles per cached block (fewer for long intervals, see ``block_length``)
BLOCK_BASE_CANDLES = 200_000  # at most this many base candles generated per block


def block_length(ratio: int) -> int:
    """Candles per cached block for an interval of ``ratio`` base candles."""
    return max(8, min(BLOCK, BLOCK_BASE_CANDLES // ratio))


@dataclass(frozen=True)
class Candle:
    """One candle, numeric (prices in ticks, volumes in steps)."""

    open_ms: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    quote_volume: float
    trades: int
    taker_volume: int


@dataclass
class _Block:
    """Closed candles of one block; their JSON rows are made on first use."""

    candles: BaseCandles
    first_open_ms: int
    rows: bytes | None = None
    offsets: np.ndarray | None = None  # start of row i in ``rows``; offsets[-1] == len(rows)


def row_template(spec: SimMarket) -> str:
    """A ``%`` template writing one kline exactly as Binance does (numbers as strings).

    Prices and amounts are integers of ticks/steps scaled once to floats; printing them
    with the market's decimals gives the exact decimal (far below 15 significant digits).
    """
    price = f'"%.{spec.price_decimals}f"'
    amount = f'"%.{spec.amount_decimals}f"'
    return f'[%d,{price},{price},{price},{price},{amount},%d,"%.8f",%d,{amount},"%.8f","0"]'


def aggregate(base: BaseCandles, ratio: int) -> BaseCandles:
    """Group every ``ratio`` consecutive base candles into one (length multiple of ratio)."""
    if ratio == 1:
        return base

    def grid(values: np.ndarray) -> np.ndarray:
        return values.reshape(-1, ratio)

    return BaseCandles(
        open=grid(base.open)[:, 0].copy(),
        high=grid(base.high).max(axis=1),
        low=grid(base.low).min(axis=1),
        close=grid(base.close)[:, -1].copy(),
        volume=grid(base.volume).sum(axis=1),
        quote_volume=grid(base.quote_volume).sum(axis=1),
        trades=grid(base.trades).sum(axis=1),
        taker_volume=grid(base.taker_volume).sum(axis=1),
    )


def _partial(
    base: BaseCandles, i: int, fraction: float
) -> tuple[int, int, int, int, int, float, int, int]:
    """Base candle ``i`` as seen ``fraction`` of the way through it."""
    o, h, lo, c = (int(base.open[i]), int(base.high[i]), int(base.low[i]), int(base.close[i]))
    close = o + round((c - o) * fraction)
    high = max(o, close, o + round((h - o) * fraction))
    low = min(o, close, o - round((o - lo) * fraction))
    return (
        o,
        high,
        low,
        close,
        round(int(base.volume[i]) * fraction),
        float(base.quote_volume[i]) * fraction,
        round(int(base.trades[i]) * fraction),
        round(int(base.taker_volume[i]) * fraction),
    )


class CandleStore:
    """Serves candles of any supported interval for a model, with an LRU block cache."""

    def __init__(self, model: MarketModel, max_blocks: int = 4096) -> None:
        self.model = model
        self.max_blocks = max_blocks
        self._blocks: OrderedDict[tuple[int, int, int], _Block] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def markets(self) -> list[SimMarket]:
        return self.model.markets

    # -- blocks of closed candles -------------------------------------------------------
    def _block(self, market: int, interval_ms: int, number: int) -> _Block:
        key = (market, interval_ms, number)
        with self._lock:
            block = self._blocks.get(key)
            if block is not None:
                self._blocks.move_to_end(key)
                return block
        ratio = interval_ms // self.model.base_ms
        length = block_length(ratio)
        base = self.model.base_candles(market, number * length * ratio, length * ratio)
        candles = aggregate(base, ratio)
        block = _Block(candles, number * length * interval_ms)
        with self._lock:
            self._blocks[key] = block
            while len(self._blocks) > self.max_blocks:
                self._blocks.popitem(last=False)
        return block

    def _rows(self, market: int, interval_ms: int, block: _Block) -> tuple[bytes, np.ndarray]:
        """The block's JSON rows, each followed by a comma, and their offsets."""
        if block.rows is None or block.offsets is None:
            block.rows, block.offsets = self._serialise(market, interval_ms, block)
        return block.rows, block.offsets

    def _serialise(self, market: int, interval_ms: int, block: _Block) -> tuple[bytes, np.ndarray]:
        spec = self.markets[market]
        candles = block.candles
        template = row_template(spec)
        tick, step = spec.tick, spec.step
        count = len(candles)
        opens = block.first_open_ms + interval_ms * np.arange(count, dtype=np.int64)
        volume = candles.volume.astype(np.float64)
        taker_quote = np.divide(
            candles.quote_volume * candles.taker_volume,
            volume,
            out=np.zeros(count),
            where=volume > 0,
        )
        columns = zip(
            opens.tolist(),
            (candles.open * tick).tolist(),
            (candles.high * tick).tolist(),
            (candles.low * tick).tolist(),
            (candles.close * tick).tolist(),
            (volume * step).tolist(),
            (opens + (interval_ms - 1)).tolist(),
            candles.quote_volume.tolist(),
            candles.trades.tolist(),
            (candles.taker_volume * step).tolist(),
            taker_quote.tolist(),
            strict=True,
        )
        encoded = [(template % values).encode() for values in columns]
        offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum([len(row) + 1 for row in encoded], out=offsets[1:])
        return b",".join(encoded) + b",", offsets

    @staticmethod
    def _row(spec: SimMarket, open_ms: int, interval_ms: int, candle: Candle) -> str:
        """One kline (the candle in progress) exactly as Binance writes it."""
        taker_quote = (
            candle.quote_volume * candle.taker_volume / candle.volume if candle.volume else 0.0
        )
        return row_template(spec) % (
            open_ms,
            candle.open * spec.tick,
            candle.high * spec.tick,
            candle.low * spec.tick,
            candle.close * spec.tick,
            candle.volume * spec.step,
            open_ms + interval_ms - 1,
            candle.quote_volume,
            candle.trades,
            candle.taker_volume * spec.step,
            taker_quote,
        )

    def closed(self, market: int, interval_ms: int, start: int, count: int) -> BaseCandles:
        """Numeric closed candles ``start .. start+count-1`` (interval indices)."""
        parts = []
        index = start
        end = start + count
        length = block_length(interval_ms // self.model.base_ms)
        while index < end:
            number = index // length
            block = self._block(market, interval_ms, number).candles
            lo = index - number * length
            hi = min(length, end - number * length)
            parts.append((block, lo, hi))
            index = number * length + hi
        fields = BaseCandles.__dataclass_fields__
        return BaseCandles(
            **{
                name: np.concatenate([getattr(b, name)[lo:hi] for b, lo, hi in parts])
                if parts
                else np.zeros(0)
                for name in fields
            }
        )

    def closed_rows(self, market: int, interval_ms: int, start: int, count: int) -> bytes:
        """JSON rows (each followed by a comma) of closed candles ``start ..``."""
        chunks = []
        index = start
        end = start + count
        length = block_length(interval_ms // self.model.base_ms)
        while index < end:
            number = index // length
            rows, offsets = self._rows(
                market, interval_ms, self._block(market, interval_ms, number)
            )
            lo = index - number * length
            hi = min(length, end - number * length)
            chunks.append(rows[offsets[lo] : offsets[hi]])
            index = number * length + hi
        return b"".join(chunks)

    # -- the candle in progress ---------------------------------------------------------
    def live(self, market: int, interval_ms: int, now_ms: int) -> Candle:
        """The candle of ``interval_ms`` containing ``now_ms``, as it looks at ``now_ms``."""
        base_ms = self.model.base_ms
        open_ms = now_ms - now_ms % interval_ms
        first = open_ms // base_ms
        current = now_ms // base_ms
        fraction = (now_ms - current * base_ms) / base_ms
        tail = self.closed(market, base_ms, current, 1)
        o, h, lo, c, v, qv, n, tv = _partial(tail, 0, fraction)
        if current > first:
            done = self.closed(market, base_ms, first, current - first)
            o = int(done.open[0])
            h = max(h, int(done.high.max()))
            lo = min(lo, int(done.low.min()))
            v += int(done.volume.sum())
            qv += float(done.quote_volume.sum())
            n += int(done.trades.sum())
            tv += int(done.taker_volume.sum())
        return Candle(open_ms, o, h, lo, c, v, qv, n, tv)

    def live_row(self, market: int, interval_ms: int, now_ms: int) -> bytes:
        candle = self.live(market, interval_ms, now_ms)
        return self._row(self.markets[market], candle.open_ms, interval_ms, candle).encode()

    def kline_range(
        self, interval_ms: int, now_ms: int, start_ms: int | None, end_ms: int | None, limit: int
    ) -> tuple[int, int]:
        """First and last interval index a kline request covers (first > last: none)."""
        now_index = now_ms // interval_ms
        first_listed = -(-self.model.listed_ms // interval_ms)
        last = now_index if end_ms is None else min(now_index, end_ms // interval_ms)
        if start_ms is not None:
            first = max(-(-start_ms // interval_ms), first_listed)
            last = min(last, first + limit - 1)
        else:
            first = max(last - limit + 1, first_listed)
        return first, last

    def is_cached(
        self,
        market: int,
        interval_ms: int,
        now_ms: int,
        start_ms: int | None,
        end_ms: int | None,
        limit: int,
    ) -> bool:
        """Whether a kline request finds all its blocks ready (no generation needed)."""
        first, last = self.kline_range(interval_ms, now_ms, start_ms, end_ms, limit)
        if first > last:
            return True
        length = block_length(interval_ms // self.model.base_ms)
        needed = {(interval_ms, number) for number in range(first // length, last // length + 1)}
        # The candle in progress reads the base candles since its open.
        base_ms = self.model.base_ms
        base_length = block_length(1)
        open_index = (now_ms - now_ms % interval_ms) // base_ms
        needed |= {
            (base_ms, number)
            for number in range(open_index // base_length, now_ms // base_ms // base_length + 1)
        }
        with self._lock:
            for interval, number in needed:
                block = self._blocks.get((market, interval, number))
                if block is None or (interval == interval_ms and block.rows is None):
                    return False
        return True

    def klines(
        self,
        market: int,
        interval_ms: int,
        now_ms: int,
        start_ms: int | None,
        end_ms: int | None,
        limit: int,
    ) -> bytes:
        """The JSON body of ``GET /api/v3/klines`` with Binance's range semantics.

        startTime: candles opening at or after it, oldest first, at most ``limit``;
        endTime only: the ``limit`` newest candles opening at or before it; neither: the
        ``limit`` newest, the last one being the candle in progress. Nothing opens after
        now or before the market was listed.
        """
        now_index = now_ms // interval_ms
        first, last = self.kline_range(interval_ms, now_ms, start_ms, end_ms, limit)
        if first > last:
            return b"[]"
        closed_last = min(last, now_index - 1)
        body = (
            self.closed_rows(market, interval_ms, first, closed_last - first + 1)
            if closed_last >= first
            else b""
        )
        if last == now_index:
            body += self.live_row(market, interval_ms, now_ms)
        else:
            body = body[:-1]
        return b"[" + body + b"]"


__all__ = ["BLOCK", "Candle", "CandleStore", "aggregate", "block_length"]
