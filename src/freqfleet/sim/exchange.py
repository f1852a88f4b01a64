"""The simulated exchange's market data: klines, tickers, book tickers, order books.

Why one place: tickers and order books must agree with the candles (the last price is the
close of the candle in progress, the best bid and ask straddle it), so they are all derived
here from the same :class:`~freqfleet.sim.candles.CandleStore` at the same ``now``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from freqfleet.sim.candles import CandleStore
from freqfleet.sim.funding import FUNDING_INTERVAL_MS
from freqfleet.sim.markets import SimMarket
from freqfleet.sim.models.base import MarketModel
from freqfleet.sim.timeframes import DAY_MS

SPREAD = 1e-4  # best ask - best bid, relative (one basis point, at least one tick)
LEVEL_GAP = 5e-5  # distance between order book levels, relative (at least one tick)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Day:
    """The rolling 24-hour window behind a 24hr ticker (prices in ticks)."""

    open_ms: int
    open: int
    high: int
    low: int
    last: int
    prev_close: int
    volume: int
    quote_volume: float
    trades: int


class SimExchange:
    """Market data of one model, as of ``clock()`` (milliseconds since the epoch)."""

    def __init__(
        self,
        model: MarketModel,
        clock: Callable[[], int] = wall_clock_ms,
        funding_interval_ms: int = FUNDING_INTERVAL_MS,
    ) -> None:
        self.model = model
        self.funding_interval_ms = funding_interval_ms
        """How often the perpetuals fund (Binance: 8 h; shorter makes funding happen in
        a short run)."""
        # Room for a few blocks per pair and interval (a block is ~100 KB at most).
        self.store = CandleStore(model, max_blocks=max(2048, 6 * len(model.markets)))
        self.clock = clock
        self.by_symbol: dict[str, int] = {m.symbol: i for i, m in enumerate(model.markets)}
        self._day_cache: dict[tuple[int, int], tuple] = {}
        self._lock = threading.Lock()

    @property
    def markets(self) -> list[SimMarket]:
        return self.model.markets

    # -- 24 hours -----------------------------------------------------------------------
    def day(self, market: int, now_ms: int) -> Day:
        """The last 24 hours of ``market`` up to ``now_ms`` (base-candle granularity)."""
        base_ms = self.model.base_ms
        current = now_ms // base_ms
        span = DAY_MS // base_ms
        key = (market, current)
        with self._lock:
            closed = self._day_cache.get(key)
        if closed is None:
            first = current - span + 1
            window = self.store.closed(market, base_ms, first - 1, span)
            closed = (
                first * base_ms,
                int(window.open[1]),
                int(window.high[1:].max()),
                int(window.low[1:].min()),
                int(window.close[0]),
                int(window.volume[1:].sum()),
                float(window.quote_volume[1:].sum()),
                int(window.trades[1:].sum()),
            )
            with self._lock:
                if len(self._day_cache) > 4 * len(self.markets) + 16:
                    self._day_cache.clear()
                self._day_cache[key] = closed
        open_ms, o, h, lo, prev_close, v, qv, n = closed
        live = self.store.live(market, base_ms, now_ms)
        return Day(
            open_ms=open_ms,
            open=o,
            high=max(h, live.high),
            low=min(lo, live.low),
            last=live.close,
            prev_close=prev_close,
            volume=v + live.volume,
            quote_volume=qv + live.quote_volume,
            trades=n + live.trades,
        )

    # -- order book ---------------------------------------------------------------------
    def book(
        self, market: int, now_ms: int, levels: int
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Bids and asks as (price ticks, quantity steps), best first, around the last price."""
        spec = self.markets[market]
        base_ms = self.model.base_ms
        live = self.store.live(market, base_ms, now_ms)
        last = live.close
        spread = max(1, round(last * SPREAD))
        best_bid = max(1, last - spread // 2)
        best_ask = best_bid + spread
        gap = max(1, round(last * LEVEL_GAP))
        # A typical level holds a few percent of a base candle's volume, and always enough
        # for several minimum-size orders so that dry-run fills find liquidity.
        recent = self.store.closed(market, base_ms, now_ms // base_ms - 1, 1)
        minimum = spec.min_notional * 20 / (last * spec.tick) / spec.step
        typical = max(float(recent.volume[0]) * 0.05, minimum)
        # Level i's two sizes are draws 2i and 2i+1, so a level's size does not depend on
        # how many levels were asked: the top of a 1,000-level book (what the account's
        # orders walk) is the 20-level book a bot reads, and the book ticker its first level.
        rng = np.random.default_rng([market, now_ms // 1000, 7])
        sizes = np.maximum(
            np.rint(
                typical
                * rng.lognormal(0.0, 0.6, size=(levels, 2))
                * (1.0 + 0.1 * np.arange(levels))[:, None]
            ),
            1,
        ).astype(np.int64)
        bids = [
            (best_bid - gap * i, int(sizes[i, 0])) for i in range(levels) if best_bid - gap * i > 0
        ]
        asks = [(best_ask + gap * i, int(sizes[i, 1])) for i in range(levels)]
        return bids, asks

    # -- JSON views ---------------------------------------------------------------------
    def ticker_24hr(self, market: int, now_ms: int, full: bool = True) -> dict[str, Any]:
        spec = self.markets[market]
        day = self.day(market, now_ms)
        price = spec.price_text
        base = {
            "symbol": spec.symbol,
            "openPrice": price(day.open),
            "highPrice": price(day.high),
            "lowPrice": price(day.low),
            "lastPrice": price(day.last),
            "volume": spec.amount_text(day.volume),
            "quoteVolume": f"{day.quote_volume:.8f}",
            "openTime": day.open_ms,
            "closeTime": now_ms,
            "firstId": 0,
            "lastId": max(day.trades - 1, 0),
            "count": day.trades,
        }
        if not full:
            return base
        (bid, bid_qty), (ask, ask_qty) = self._best(market, now_ms)
        change = day.last - day.open
        weighted = (
            day.quote_volume / (day.volume * spec.step) if day.volume else day.last * spec.tick
        )
        return {
            "symbol": spec.symbol,
            "priceChange": price(change),
            "priceChangePercent": f"{100.0 * change / day.open:.3f}",
            "weightedAvgPrice": f"{weighted:.{spec.price_decimals}f}",
            "prevClosePrice": price(day.prev_close),
            "lastPrice": price(day.last),
            "lastQty": spec.amount_text(max(1, day.volume // max(day.trades, 1))),
            "bidPrice": price(bid),
            "bidQty": spec.amount_text(bid_qty),
            "askPrice": price(ask),
            "askQty": spec.amount_text(ask_qty),
            **{k: v for k, v in base.items() if k not in ("symbol", "lastPrice")},
        }

    def _best(self, market: int, now_ms: int) -> tuple[tuple[int, int], tuple[int, int]]:
        bids, asks = self.book(market, now_ms, 1)
        return bids[0], asks[0]

    def book_ticker(self, market: int, now_ms: int) -> dict[str, Any]:
        spec = self.markets[market]
        (bid, bid_qty), (ask, ask_qty) = self._best(market, now_ms)
        return {
            "symbol": spec.symbol,
            "bidPrice": spec.price_text(bid),
            "bidQty": spec.amount_text(bid_qty),
            "askPrice": spec.price_text(ask),
            "askQty": spec.amount_text(ask_qty),
        }

    def price_ticker(self, market: int, now_ms: int) -> dict[str, Any]:
        spec = self.markets[market]
        live = self.store.live(market, self.model.base_ms, now_ms)
        return {"symbol": spec.symbol, "price": spec.price_text(live.close)}

    def depth(self, market: int, now_ms: int, limit: int) -> dict[str, Any]:
        spec = self.markets[market]
        bids, asks = self.book(market, now_ms, limit)
        return {
            "lastUpdateId": now_ms,
            "bids": [[spec.price_text(p), spec.amount_text(q)] for p, q in bids],
            "asks": [[spec.price_text(p), spec.amount_text(q)] for p, q in asks],
        }

    def avg_price(self, market: int, now_ms: int) -> dict[str, Any]:
        """Volume-weighted price of the last five minutes, as Binance's ``avgPrice``."""
        spec = self.markets[market]
        base_ms = self.model.base_ms
        count = max(1, 300_000 // base_ms)
        window = self.store.closed(market, base_ms, now_ms // base_ms - count, count)
        volume = float(window.volume.sum()) * spec.step
        price = (
            float(window.quote_volume.sum()) / volume
            if volume
            else float(window.close[-1]) * spec.tick
        )
        return {"mins": 5, "price": f"{price:.{spec.price_decimals}f}", "closeTime": now_ms}


__all__ = ["SimExchange", "wall_clock_ms"]
