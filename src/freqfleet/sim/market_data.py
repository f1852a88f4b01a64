"""Binance's market data endpoints over a :class:`SimExchange`: klines, 24hr tickers,
price and book tickers, depth, average price.

Each endpoint reads its parameters with Binance's rules and returns (body, weight) to the
route wrapper (:class:`freqfleet.sim.routing.GetRoutes`), which answers errors and counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from freqfleet.sim import binance_errors as errors
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.routing import Deferred, Endpoint, Params
from freqfleet.sim.timeframes import interval_ms
from freqfleet.sim.weights import depth_weight, one_or_many_weight, ticker_24hr_weight

logger = logging.getLogger("freqfleet.sim.app")

DEPTH_MAX = 5000
KLINES_MAX = 1000
KLINES_DEFAULT = 500
UTC_ZONES = frozenset({"0", "+0", "-0", "0:00", "+0:00", "00:00", "+00:00", "-00:00"})
# Intervals from this length on may need long generation (cold: 1h ~30 ms, 1d ~300 ms for
# 1,000 candles); shorter ones cost a few ms at most and are answered inline.
SLOW_INTERVAL_MS = 3_600_000


def market_index(exchange: SimExchange, symbol: str) -> int:
    index = exchange.by_symbol.get(symbol)
    if index is None:
        raise errors.invalid_symbol()
    return index


def symbol_list(exchange: SimExchange, params: Params) -> list[int] | None:
    """``symbol`` or ``symbols`` (not both) as market indices; None means all."""
    symbol = params.text("symbol")
    symbols = params.symbols()
    if symbol is not None and symbols is not None:
        raise errors.both_symbol_and_symbols()
    if symbol is not None:
        return [market_index(exchange, symbol)]
    if symbols is not None:
        if not symbols:
            raise errors.invalid_data("symbols")
        return [market_index(exchange, s) for s in symbols]
    return None


class MarketData:
    """The market data endpoints of one exchange."""

    def __init__(self, exchange: SimExchange) -> None:
        self.exchange = exchange

    def klines(self, params: Params, now_ms: int) -> tuple[Any, int]:
        exchange = self.exchange
        market = market_index(exchange, params.required("symbol"))
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

    def ticker_24hr(self, params: Params, now_ms: int) -> tuple[Any, int]:
        exchange = self.exchange
        markets = symbol_list(exchange, params)
        kind = params.text("type") or "FULL"
        if kind not in ("FULL", "MINI"):
            raise errors.invalid_data("type")
        weight = ticker_24hr_weight(None if markets is None else len(markets))
        full = kind == "FULL"
        if markets is not None and params.text("symbol") is not None:
            return exchange.ticker_24hr(markets[0], now_ms, full), weight
        selected = range(len(exchange.markets)) if markets is None else markets
        return [exchange.ticker_24hr(i, now_ms, full) for i in selected], weight

    def one_or_many(self, view: Callable[[int, int], dict]) -> Endpoint:
        """An endpoint answering ``view`` of one symbol, of a list, or of every market
        (``/api/v3/ticker/price``, ``/api/v3/ticker/bookTicker``)."""
        exchange = self.exchange

        def endpoint(params: Params, now_ms: int) -> tuple[Any, int]:
            markets = symbol_list(exchange, params)
            weight = one_or_many_weight(None if markets is None else len(markets))
            if markets is not None and params.text("symbol") is not None:
                return view(markets[0], now_ms), weight
            selected = range(len(exchange.markets)) if markets is None else markets
            return [view(i, now_ms) for i in selected], weight

        return endpoint

    def depth(self, params: Params, now_ms: int) -> tuple[Any, int]:
        market = market_index(self.exchange, params.required("symbol"))
        limit = params.integer("limit")
        if limit is None:
            limit = 100
        if not 1 <= limit <= DEPTH_MAX:
            raise errors.invalid_data("limit")
        return self.exchange.depth(market, now_ms, limit), depth_weight(limit)

    def avg_price(self, params: Params, now_ms: int) -> tuple[Any, int]:
        market = market_index(self.exchange, params.required("symbol"))
        return self.exchange.avg_price(market, now_ms), 2


__all__ = ["MarketData", "market_index", "symbol_list"]
