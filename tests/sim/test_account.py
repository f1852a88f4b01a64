"""The account on a real synthetic market and a clock the tests move: fills, locked funds,
commissions and balances to the unit, and the same fills for the same orders."""

from __future__ import annotations

import pytest

from freqfleet.sim.account import (
    CANCELED,
    EXPIRED,
    FILLED,
    NEW,
    PARTIALLY_FILLED,
    Account,
    NewOrder,
)
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.models.synthetic import SyntheticModel
from tests.kit.clock import Clock

UNIT = 10**8
START_USDT = 100_000_000 * UNIT
BTC = 0  # BTC/USDT: price ticks of 0.1, quantity steps of 0.00001
MINUTE = 60_000


def btc_units(steps: int) -> int:
    return steps * 1000


def cost(price: int, qty: int) -> int:
    return price * qty * 100  # 0.1 x 0.00001 = 1e-6 quote, 100 units of 1e-8


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def exchange(clock: Clock) -> SimExchange:
    return SimExchange(SyntheticModel(pairs=4, seed=7), clock=clock)


@pytest.fixture
def account(exchange: SimExchange) -> Account:
    return Account(exchange, {"USDT": START_USDT}, first_id=1)


def balances(account: Account) -> dict[str, tuple[int, int]]:
    return account.balance_units()


def future_low(exchange: SimExchange, now_ms: int, minutes: int) -> tuple[int, int, list[int]]:
    """The current base candle's low, and the lows of the next ``minutes`` candles."""
    current = now_ms // MINUTE
    row = exchange.store.closed(BTC, MINUTE, current, 1)
    lows = exchange.store.closed(BTC, MINUTE, current + 1, minutes).low
    return (
        int(row.low[0]),
        int(exchange.store.live(BTC, MINUTE, now_ms).close),
        list(map(int, lows)),
    )


def test_a_large_market_buy_walks_the_book_and_pays_exact_fees(
    account: Account, exchange: SimExchange, clock: Clock
) -> None:
    _, asks = exchange.book(BTC, clock.now_ms, 5)
    qty = asks[0][1] + asks[1][1] + 1
    order = account.place(NewOrder(BTC, "BUY", "MARKET", qty=qty), clock.now_ms)
    assert order.status == FILLED and order.executed == qty
    trades = [account.trade(i) for i in order.trades]
    assert [(t.price, t.qty) for t in trades] == [asks[0], asks[1], (asks[2][0], 1)]
    assert order.cum_quote > cost(asks[0][0], qty)  # worse than the best price
    assert all(not t.maker and t.commission_asset == "BTC" for t in trades)
    assert [t.commission for t in trades] == [-(-btc_units(t.qty) // 1000) for t in trades]
    assert balances(account) == {
        "USDT": (START_USDT - sum(t.quote for t in trades), 0),
        "BTC": (btc_units(qty) - sum(t.commission for t in trades), 0),
    }
    again = account.place(NewOrder(BTC, "BUY", "MARKET", qty=1), clock.now_ms)
    assert account.trade(again.trades[0]).price == asks[2][0]  # the levels taken are gone


def test_a_quote_budget_market_buy_spends_at_most_the_budget(
    account: Account, clock: Clock
) -> None:
    order = account.place(NewOrder(BTC, "BUY", "MARKET", quote_qty=500 * UNIT), clock.now_ms)
    assert order.status == FILLED and order.orig_qty == order.executed > 0
    assert 500 * UNIT - order.cum_quote < cost(account.trade(order.trades[-1]).price, 1)
    assert balances(account)["USDT"] == (START_USDT - order.cum_quote, 0)


def test_a_resting_buy_locks_its_quote_and_fills_when_the_path_reaches_it(
    account: Account, exchange: SimExchange, clock: Clock
) -> None:
    placed = clock.now_ms
    current_low, last, lows = future_low(exchange, placed, 30)
    price = min(lows) + (last - min(lows)) // 4
    assert price < current_low  # nothing this minute: the price must come down first
    order = account.place(NewOrder(BTC, "BUY", "LIMIT", "GTC", qty=20, price=price), placed)
    assert order.status == NEW and order.locked == cost(price, 20)
    assert balances(account)["USDT"] == (START_USDT - cost(price, 20), cost(price, 20))
    clock.now_ms = placed + 31 * MINUTE
    account.match(clock.now_ms)
    assert order.status == FILLED and order.locked == 0
    trades = [account.trade(i) for i in order.trades]
    assert all(t.price == price and t.maker for t in trades)
    first_reach = next(i for i, low in enumerate(lows) if low <= price)
    candle_open = (placed // MINUTE + 1 + first_reach) * MINUTE
    assert candle_open < trades[0].time_ms <= candle_open + MINUTE
    assert balances(account) == {
        "USDT": (START_USDT - cost(price, 20), 0),
        "BTC": (btc_units(20) - sum(t.commission for t in trades), 0),
    }


def test_a_large_resting_order_fills_partially_then_cancels_what_is_left(
    account: Account, exchange: SimExchange, clock: Clock
) -> None:
    placed = clock.now_ms
    last = exchange.store.live(BTC, MINUTE, placed).close
    price = last - 1  # inside the spread: reached within moments, again and again
    coming = exchange.store.closed(BTC, MINUTE, placed // MINUTE, 6).volume
    qty = int(coming.sum()) // 4  # more than a tenth of the volume of the next 5 minutes
    order = account.place(NewOrder(BTC, "BUY", "LIMIT", "GTC", qty=qty, price=price), placed)
    assert order.status == NEW
    clock.now_ms = placed + 5 * MINUTE
    account.match(clock.now_ms)
    assert order.status == PARTIALLY_FILLED and 0 < order.executed < qty
    assert len(order.trades) > 1
    assert order.locked == cost(price, qty - order.executed)
    assert balances(account)["USDT"] == (START_USDT - cost(price, qty), order.locked)
    account.cancel(BTC, order.id, None, clock.now_ms)
    assert order.status == CANCELED and order.locked == 0
    assert balances(account)["USDT"] == (START_USDT - cost(price, order.executed), 0)
    with pytest.raises(BinanceError) as unknown:
        account.cancel(BTC, order.id, None, clock.now_ms)
    assert unknown.value.code == -2011


def test_ioc_keeps_what_it_takes_and_fok_takes_all_or_nothing(
    account: Account, exchange: SimExchange, clock: Clock
) -> None:
    _, asks = exchange.book(BTC, clock.now_ms, 5)
    limit, qty = asks[1][0], asks[0][1] + asks[1][1] + 10
    fok = NewOrder(BTC, "BUY", "LIMIT", "FOK", qty=qty, price=limit)
    order = account.place(fok, clock.now_ms)
    assert order.status == EXPIRED and order.executed == 0 and not order.trades
    assert balances(account) == {"USDT": (START_USDT, 0)}
    ioc = account.place(NewOrder(BTC, "BUY", "LIMIT", "IOC", qty=qty, price=limit), clock.now_ms)
    assert ioc.status == EXPIRED and ioc.executed == qty - 10
    assert balances(account)["USDT"] == (START_USDT - ioc.cum_quote, 0)
    clock.now_ms += 1000  # a new book
    _, asks = exchange.book(BTC, clock.now_ms, 5)
    fok = NewOrder(BTC, "BUY", "LIMIT", "FOK", qty=asks[0][1], price=asks[0][0])
    assert account.place(fok, clock.now_ms).status == FILLED


def test_a_resting_sell_locks_its_base_and_funds_are_checked(
    account: Account, clock: Clock
) -> None:
    bought = account.place(NewOrder(BTC, "BUY", "MARKET", qty=1000), clock.now_ms)
    held = balances(account)["BTC"][0]
    high = bought.cum_quote // 1000 * 2 // 100  # twice the price: it will not fill today
    sell = account.place(NewOrder(BTC, "SELL", "LIMIT", "GTC", qty=500, price=high), clock.now_ms)
    assert balances(account)["BTC"] == (held - btc_units(500), btc_units(500))
    before = balances(account)
    with pytest.raises(BinanceError) as refused:
        account.place(NewOrder(BTC, "SELL", "LIMIT", "GTC", qty=600, price=high), clock.now_ms)
    assert refused.value.code == -2010 and "insufficient balance" in refused.value.msg
    with pytest.raises(BinanceError):
        account.place(NewOrder(BTC, "BUY", "MARKET", qty=10**9), clock.now_ms)
    assert balances(account) == before and len(account.orders) == 2
    account.cancel(BTC, None, sell.client_id, clock.now_ms)
    assert balances(account)["BTC"] == (held, 0)


def test_client_order_ids_are_unique_among_open_orders(account: Account, clock: Clock) -> None:
    low = NewOrder(BTC, "BUY", "LIMIT", "GTC", qty=10, price=1000, client_id="mine-1")
    first = account.place(low, clock.now_ms)
    with pytest.raises(BinanceError) as duplicate:
        account.place(low, clock.now_ms)
    assert (duplicate.value.code, duplicate.value.msg) == (-2010, "Duplicate order sent.")
    assert account.order(BTC, None, "mine-1", clock.now_ms) is first
    account.cancel(BTC, first.id, None, clock.now_ms)
    second = account.place(low, clock.now_ms)
    assert account.order(BTC, None, "mine-1", clock.now_ms) is second
    generated = account.place(
        NewOrder(BTC, "BUY", "LIMIT", "GTC", qty=10, price=1000), clock.now_ms
    )
    assert len(generated.client_id) == 22 and generated.client_id.isalnum()
    with pytest.raises(BinanceError) as missing:
        account.order(BTC, 999_999, None, clock.now_ms)
    assert missing.value.code == -2013


def test_a_balance_changed_behind_the_bots_back_never_goes_below_zero(account: Account) -> None:
    assert account.adjust("USDT", -START_USDT + UNIT).free == UNIT
    with pytest.raises(ValueError, match="below zero"):
        account.adjust("USDT", -2 * UNIT)
    assert account.adjust("ETH", 3 * UNIT).free == 3 * UNIT


def run_orders(matched_every_second: bool) -> tuple[list[tuple], dict[str, tuple[int, int]]]:
    clock = Clock()
    exchange = SimExchange(SyntheticModel(pairs=4, seed=7), clock=clock)
    account = Account(exchange, {"USDT": START_USDT}, first_id=1)
    start = clock.now_ms
    last = exchange.store.live(BTC, MINUTE, start).close
    plan = [
        (0, NewOrder(BTC, "BUY", "MARKET", qty=3000)),
        (1_500, NewOrder(BTC, "BUY", "LIMIT", "GTC", qty=90_000, price=last - 3)),
        (70_250, NewOrder(BTC, "SELL", "LIMIT", "GTC", qty=2000, price=last + 5)),
        (95_000, NewOrder(2, "BUY", "MARKET", quote_qty=1000 * UNIT)),
    ]
    for t in range(0, 4 * MINUTE, 1000 if matched_every_second else 4 * MINUTE):
        clock.now_ms = start + t
        for at, new in plan:
            if t <= at < t + (1000 if matched_every_second else 4 * MINUTE):
                account.place(new, start + at)
        account.match(clock.now_ms)
    account.match(start + 4 * MINUTE)
    fills = sorted((t.time_ms, t.order_id, t.price, t.qty, t.commission) for t in account.trades)
    return fills, account.balance_units()


def test_same_orders_at_the_same_times_give_the_same_fills() -> None:
    every_second = run_orders(True)
    assert len(every_second[0]) > 10
    assert run_orders(True) == every_second
    # Matching only when an order comes and at the end reads the same path: the same fills.
    assert run_orders(False) == every_second
