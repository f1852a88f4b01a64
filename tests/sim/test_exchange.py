"""The simulator's market data at a moment: the last 24 hours, an order book around the
last price, and the tickers drawn from them, all agreeing with the candles."""

from __future__ import annotations

from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.timeframes import DAY_MS
from tests.kit.clock import NOW_MS


def test_the_day_spans_24_hours_of_candles_up_to_now(exchange: SimExchange) -> None:
    base = exchange.model.base_ms
    day = exchange.day(0, NOW_MS)
    assert day.open_ms == (NOW_MS // base - DAY_MS // base + 1) * base
    assert day.low <= min(day.open, day.last) and day.high >= max(day.open, day.last)
    live = exchange.store.live(0, base, NOW_MS)
    assert day.last == live.close
    assert day.volume > 0 and day.trades > 0
    assert exchange.day(0, NOW_MS) == day  # the same moment, the same answer


def test_the_book_is_sorted_around_the_last_price_with_a_spread(exchange: SimExchange) -> None:
    bids, asks = exchange.book(1, NOW_MS, 10)
    assert len(asks) == 10 and 0 < len(bids) <= 10
    assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
    assert [p for p, _ in asks] == sorted(p for p, _ in asks)
    last = exchange.store.live(1, exchange.model.base_ms, NOW_MS).close
    assert bids[0][0] < asks[0][0]
    assert bids[0][0] <= last <= asks[0][0]
    assert all(quantity >= 1 for _, quantity in bids + asks)
    assert exchange.book(1, NOW_MS, 10) == (bids, asks)


def test_a_deeper_book_begins_with_the_shallower_one(exchange: SimExchange) -> None:
    """What the account's orders walk (1,000 levels) is what a bot read (20 levels)."""
    bids, asks = exchange.book(3, NOW_MS, 1000)
    assert exchange.book(3, NOW_MS, 20) == (bids[:20], asks[:20])
    ticker = exchange.book_ticker(3, NOW_MS)
    depth = exchange.depth(3, NOW_MS, 5)
    assert [ticker["askPrice"], ticker["askQty"]] == depth["asks"][0]
    assert [ticker["bidPrice"], ticker["bidQty"]] == depth["bids"][0]


def test_tickers_and_depth_agree_with_the_book_and_the_day(exchange: SimExchange) -> None:
    market = exchange.markets[2]
    bids, asks = exchange.book(2, NOW_MS, 5)
    depth = exchange.depth(2, NOW_MS, 5)
    assert depth["bids"][0] == [market.price_text(bids[0][0]), market.amount_text(bids[0][1])]
    assert depth["asks"][-1][0] == market.price_text(asks[-1][0])
    book = exchange.book_ticker(2, NOW_MS)
    assert (book["bidPrice"], book["askPrice"]) == (depth["bids"][0][0], depth["asks"][0][0])
    ticker = exchange.ticker_24hr(2, NOW_MS)
    day = exchange.day(2, NOW_MS)
    assert ticker["symbol"] == market.symbol
    assert ticker["lastPrice"] == market.price_text(day.last)
    assert ticker["bidPrice"] == book["bidPrice"] and ticker["askPrice"] == book["askPrice"]
    assert ticker["openTime"] == day.open_ms and ticker["closeTime"] == NOW_MS
    assert exchange.price_ticker(2, NOW_MS) == {
        "symbol": market.symbol,
        "price": ticker["lastPrice"],
    }
    mini = exchange.ticker_24hr(2, NOW_MS, full=False)
    assert "bidPrice" not in mini and mini["lastPrice"] == ticker["lastPrice"]
    average = exchange.avg_price(2, NOW_MS)
    assert average["mins"] == 5
    assert float(ticker["lowPrice"]) <= float(average["price"]) <= float(ticker["highPrice"])


def test_the_clock_decides_what_now_is(exchange: SimExchange, clock) -> None:
    assert exchange.clock() == NOW_MS
    clock.now_ms += 3_600_000
    assert exchange.clock() == NOW_MS + 3_600_000
    assert exchange.by_symbol[exchange.markets[3].symbol] == 3
