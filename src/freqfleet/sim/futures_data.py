"""Binance USD-M futures market data over a :class:`SimExchange`: klines (trade, mark and
index price), premium index, funding rate history, tickers, depth, exchangeInfo.

Why the spot market's data: a perpetual here trades at its spot market's price (see
:mod:`freqfleet.sim.futures_markets`), so its candles, tickers and book are the spot
market's, in the futures API's shapes, limits and weights. Mark and index price candles
are the same prices with no volume (Binance sends zeros there), and the mark price is the
last price (:func:`freqfleet.sim.funding.mark_price_ticks`).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI

from freqfleet.sim import binance_errors as errors
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import (
    funding_rate,
    funding_times,
    mark_price_ticks,
    model_seed,
    next_funding_time,
)
from freqfleet.sim.futures_markets import FuturesMarket, futures_markets
from freqfleet.sim.general import ping, server_time
from freqfleet.sim.market_data import SLOW_INTERVAL_MS, UTC_ZONES
from freqfleet.sim.request_stats import Stats
from freqfleet.sim.routing import Deferred, GetRoutes, Params
from freqfleet.sim.timeframes import interval_ms
from freqfleet.sim.weights import (
    BINANCE_FUTURES_WEIGHT_LIMIT,
    WeightMeter,
    futures_depth_weight,
    futures_klines_weight,
    futures_weight,
)

KLINES_MAX = 1500
KLINES_DEFAULT = 500
DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
HOUR_MS = 3_600_000
FUNDING_DEFAULT = 100
FUNDING_MAX = 1000
# Columns of a mark or index price kline that Binance leaves at zero (volumes, trades).
_PRICE_ONLY_ZEROS = {5: "0", 7: "0", 8: 0, 9: "0", 10: "0"}


def _weight(path: str, selected: list[FuturesMarket] | None) -> int:
    """The weight the gateway's futures profile gives ``path`` for one symbol or all."""
    return futures_weight(path, {"symbol": selected[0].symbol} if selected else {})


def _price_only(body: bytes) -> bytes:
    """Klines as mark/index price candles: the prices, no volumes."""
    rows = orjson.loads(body)
    for row in rows:
        for column, zero in _PRICE_ONLY_ZEROS.items():
            row[column] = zero
    return orjson.dumps(rows)


class FuturesData:
    """The public futures endpoints of one exchange."""

    def __init__(self, exchange: SimExchange, weight_limit: int | None = None) -> None:
        self.exchange = exchange
        self.markets = futures_markets(exchange.markets)
        self.by_symbol: dict[str, FuturesMarket] = {m.symbol: m for m in self.markets}
        self.seed = model_seed(exchange)
        self.weight_limit = weight_limit
        self.meter = WeightMeter(weight_limit)
        self.symbols_json = orjson.dumps([m.exchange_info() for m in self.markets])

    def market(self, symbol: str) -> FuturesMarket:
        market = self.by_symbol.get(symbol)
        if market is None:
            raise errors.invalid_symbol()
        return market

    def _one_or_all(self, params: Params) -> list[FuturesMarket] | None:
        """``symbol`` as one market, or None for every market."""
        symbol = params.text("symbol")
        return None if symbol is None else [self.market(symbol)]

    # -- general --------------------------------------------------------------------------
    def exchange_info(self, params: Params, now_ms: int) -> tuple[Any, int]:
        head = {
            "timezone": "UTC",
            "serverTime": now_ms,
            "futuresType": "U_MARGINED",
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": self.weight_limit or BINANCE_FUTURES_WEIGHT_LIMIT,
                },
                {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
            ],
            "exchangeFilters": [],
            "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
        }
        return orjson.dumps(head)[:-1] + b',"symbols":' + self.symbols_json + b"}", 1

    # -- candles --------------------------------------------------------------------------
    def klines(self, params: Params, now_ms: int) -> tuple[Any, int]:
        return self._klines(params, now_ms, "symbol", price_only=False)

    def mark_price_klines(self, params: Params, now_ms: int) -> tuple[Any, int]:
        return self._klines(params, now_ms, "symbol", price_only=True)

    def index_price_klines(self, params: Params, now_ms: int) -> tuple[Any, int]:
        return self._klines(params, now_ms, "pair", price_only=True)

    def _klines(self, params: Params, now_ms: int, key: str, price_only: bool) -> tuple[Any, int]:
        exchange = self.exchange
        market = self.market(params.required(key)).index
        length = interval_ms(params.required("interval"))
        if length is None or length % exchange.model.base_ms:
            raise errors.invalid_interval()
        start = params.integer("startTime")
        end = params.integer("endTime")
        limit = params.integer("limit")
        limit = KLINES_DEFAULT if limit is None else limit
        zone = params.text("timeZone")
        if zone is not None and zone not in UTC_ZONES:
            raise errors.invalid_data("timeZone")
        if not 1 <= limit <= KLINES_MAX:
            raise errors.invalid_data("limit")
        if start is not None and end is not None and start > end:
            raise errors.start_after_end()
        store = exchange.store

        def body() -> bytes:
            rows = store.klines(market, length, now_ms, start, end, limit)
            return _price_only(rows) if price_only else rows

        weight = futures_klines_weight(limit)
        fast = length < SLOW_INTERVAL_MS or store.is_cached(
            market, length, now_ms, start, end, limit
        )
        # Long intervals may need generating, price-only candles rewriting: a worker thread.
        return (body() if fast and not price_only else Deferred(body)), weight

    # -- funding --------------------------------------------------------------------------
    def premium_index(self, params: Params, now_ms: int) -> tuple[Any, int]:
        selected = self._one_or_all(params)
        markets = self.markets if selected is None else selected
        upcoming = next_funding_time(now_ms, self.exchange.funding_interval_ms)
        views = []
        for market in markets:
            mark = market.spot.price_text(mark_price_ticks(self.exchange, market.index, now_ms))
            rate = funding_rate(self.seed, market.index, upcoming)
            views.append(
                {
                    "symbol": market.symbol,
                    "markPrice": mark,
                    "indexPrice": mark,
                    "estimatedSettlePrice": mark,
                    "lastFundingRate": f"{rate:.8f}",
                    "interestRate": "0.00010000",
                    "nextFundingTime": upcoming,
                    "time": now_ms,
                }
            )
        return (views[0] if selected is not None else views), _weight(
            "/fapi/v1/premiumIndex", selected
        )

    def funding_rate_history(self, params: Params, now_ms: int) -> tuple[Any, int]:
        """Funding instants with their rates and mark prices: from ``startTime`` on (at
        most ``limit``), else the ``limit`` newest up to ``endTime`` (or now)."""
        selected = self._one_or_all(params)
        start = params.integer("startTime")
        end = params.integer("endTime")
        limit = params.integer("limit")
        limit = FUNDING_DEFAULT if limit is None else limit
        if not 1 <= limit <= FUNDING_MAX:
            raise errors.invalid_data("limit")
        if start is not None and end is not None and start > end:
            raise errors.start_after_end()
        markets = self.markets if selected is None else selected
        last = now_ms if end is None else min(end, now_ms)
        first = max(self.exchange.model.listed_ms, start if start is not None else 0) - 1
        times = funding_times(first, last, self.exchange.funding_interval_ms)
        # Rows run by time, then market: only the instants the limit reaches are worked out.
        needed = -(-limit // len(markets)) if markets else 0
        times = times[:needed] if start is not None else times[len(times) - needed :]
        return Deferred(lambda: self._funding_rows(markets, times, limit, start is not None)), 1

    def _funding_rows(
        self, markets: list[FuturesMarket], times: list[int], limit: int, oldest_first: bool
    ) -> bytes:
        rows = []
        opens = {m.index: self._prices_at(m.index, times) for m in markets}
        for number, moment in enumerate(times):
            for market in markets:
                rate = funding_rate(self.seed, market.index, moment)
                rows.append(
                    {
                        "symbol": market.symbol,
                        "fundingTime": moment,
                        "fundingRate": f"{rate:.8f}",
                        "markPrice": market.spot.price_text(opens[market.index][number]),
                    }
                )
        rows = rows[:limit] if oldest_first else rows[-limit:]
        return orjson.dumps(rows)

    def _prices_at(self, market: int, times: list[int]) -> list[int]:
        """The mark price at consecutive funding instants: the opens of their 1h candles,
        read at once (the blocks bots' own 1h and mark candles use, rather than a block of
        base candles per instant)."""
        if not times:
            return []
        interval = self.exchange.funding_interval_ms
        if HOUR_MS % self.exchange.model.base_ms or interval % HOUR_MS:
            return [mark_price_ticks(self.exchange, market, t) for t in times]
        first = times[0] // HOUR_MS
        count = (times[-1] - times[0]) // HOUR_MS + 1
        candles = self.exchange.store.closed(market, HOUR_MS, first, count)
        step = interval // HOUR_MS
        return [int(price) for price in candles.open[::step]]

    # -- tickers and book -----------------------------------------------------------------
    def ticker_24hr(self, params: Params, now_ms: int) -> tuple[Any, int]:
        selected = self._one_or_all(params)
        markets = self.markets if selected is None else selected
        dropped = ("bidPrice", "bidQty", "askPrice", "askQty", "prevClosePrice")
        views = [
            {
                key: value
                for key, value in self.exchange.ticker_24hr(m.index, now_ms).items()
                if key not in dropped
            }
            for m in markets
        ]
        return (views[0] if selected else views), _weight("/fapi/v1/ticker/24hr", selected)

    def book_ticker(self, params: Params, now_ms: int) -> tuple[Any, int]:
        selected = self._one_or_all(params)
        markets = self.markets if selected is None else selected
        views = [
            {**self.exchange.book_ticker(m.index, now_ms), "lastUpdateId": now_ms, "time": now_ms}
            for m in markets
        ]
        return (views[0] if selected else views), _weight("/fapi/v1/ticker/bookTicker", selected)

    def price_ticker(self, params: Params, now_ms: int) -> tuple[Any, int]:
        selected = self._one_or_all(params)
        markets = self.markets if selected is None else selected
        views = [{**self.exchange.price_ticker(m.index, now_ms), "time": now_ms} for m in markets]
        return (views[0] if selected else views), _weight("/fapi/v1/ticker/price", selected)

    def depth(self, params: Params, now_ms: int) -> tuple[Any, int]:
        market = self.market(params.required("symbol"))
        limit = params.integer("limit")
        limit = 500 if limit is None else limit
        if limit not in DEPTH_LIMITS:
            raise errors.invalid_data("limit")
        book = self.exchange.depth(market.index, now_ms, limit)
        return {**book, "E": now_ms, "T": now_ms}, futures_depth_weight(limit)


def install_futures_public(
    app: FastAPI, exchange: SimExchange, stats: Stats, weight_limit: int | None
) -> FuturesData:
    """Register the public ``/fapi`` endpoints on ``app``, with their own weight meter
    (Binance counts USD-M futures apart from spot, 2,400 a minute); ``weight_limit``, when
    set, is enforced on it too. The meter is ``app.state.futures_meter`` (and the
    returned endpoints' ``meter``)."""
    data = FuturesData(exchange, weight_limit)
    meter = data.meter
    app.state.futures_meter = meter
    app.state.futures = data
    routes = GetRoutes(app, exchange, stats, meter)
    routes.add("/fapi/v1/ping", ping)
    routes.add("/fapi/v1/time", server_time)
    routes.add("/fapi/v1/exchangeInfo", data.exchange_info)
    routes.add("/fapi/v1/klines", data.klines)
    routes.add("/fapi/v1/markPriceKlines", data.mark_price_klines)
    routes.add("/fapi/v1/indexPriceKlines", data.index_price_klines)
    routes.add("/fapi/v1/premiumIndex", data.premium_index)
    routes.add("/fapi/v1/fundingRate", data.funding_rate_history)
    routes.add("/fapi/v1/ticker/24hr", data.ticker_24hr)
    routes.add("/fapi/v1/ticker/bookTicker", data.book_ticker)
    routes.add("/fapi/v1/ticker/price", data.price_ticker)
    routes.add("/fapi/v2/ticker/price", data.price_ticker)
    routes.add("/fapi/v1/depth", data.depth)
    return data


__all__ = ["DEPTH_LIMITS", "KLINES_MAX", "FuturesData", "install_futures_public"]
