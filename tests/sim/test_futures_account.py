"""The futures account on a real synthetic market and a clock the tests move: orders,
positions, realised PnL and commissions to the unit, margin rules, reduce-only, leverage
and margin type changes, partial fills (settlement, the wallet's margin and the records
have their own tests)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.account import EXPIRED, FILLED, NEW, PARTIALLY_FILLED
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import mark_price_ticks
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_records import COMMISSION, ISOLATED, REALIZED_PNL, NewFuturesOrder
from tests.kit import futures_book
from tests.kit.clock import Clock
from tests.kit.futures_book import BTC, UNIT, WALLET, booked, make, market

exchange, account = futures_book.exchange, futures_book.account


def test_a_long_opened_and_closed_books_its_pnl_and_taker_fees_exactly(
    account: FuturesAccount, clock: Clock
) -> None:
    opened = account.place(market("BUY", 2000), clock.now_ms)
    assert opened.status == FILLED and account.position(BTC).qty == 2000
    assert account.position(BTC).entry_value == opened.cum_quote
    clock.now_ms += 3_600_000
    closed = account.place(market("SELL", 2000), clock.now_ms)
    assert account.position(BTC).qty == 0
    pnl = closed.cum_quote - opened.cum_quote
    fees = [t.commission for t in account.trades]
    assert fees == [fm.commission(t.quote, Decimal(5)) for t in account.trades]
    assert booked(account, REALIZED_PNL) == pnl
    assert booked(account, COMMISSION) == -sum(fees)
    assert account.wallet == WALLET + pnl - sum(fees)
    assert sum(t.realized_pnl for t in account.trades) == pnl


def test_a_sell_larger_than_the_long_flips_it_to_a_short(
    account: FuturesAccount, clock: Clock
) -> None:
    account.place(market("BUY", 1000), clock.now_ms)
    clock.now_ms += 60_000
    flip = account.place(market("SELL", 3000), clock.now_ms)
    pos = account.position(BTC)
    assert pos.qty == -2000
    # the short's entry is the flip's fills beyond the closed 1000 steps
    assert pos.entry_value == flip.cum_quote - flip.cum_quote * 1000 // 3000


def test_reduce_only_is_rejected_without_a_position_and_capped_at_it(
    account: FuturesAccount, clock: Clock
) -> None:
    with pytest.raises(BinanceError) as refused:
        account.place(market("SELL", 1000, reduce_only=True), clock.now_ms)
    assert refused.value.code == -2022 and not account.orders
    account.place(market("BUY", 1000), clock.now_ms)
    with pytest.raises(BinanceError):
        account.place(market("BUY", 1000, reduce_only=True), clock.now_ms)
    closing = account.place(market("SELL", 5000, reduce_only=True), clock.now_ms)
    assert closing.executed == 1000 and closing.status == FILLED
    assert account.position(BTC).qty == 0


def test_an_order_beyond_the_margin_is_refused_and_leaves_no_trace(
    exchange: SimExchange, clock: Clock
) -> None:
    account = make(exchange, wallet=100 * UNIT)
    account.set_leverage(BTC, 2, clock.now_ms)
    with pytest.raises(BinanceError) as refused:
        account.place(market("BUY", 1_000), clock.now_ms)  # ~0.01 BTC: ~800 USDT at 2x
    assert refused.value.code == -2019 and refused.value.msg == "Margin is insufficient."
    assert not account.orders and account.wallet == 100 * UNIT


def test_a_resting_limit_order_fills_over_time_as_a_maker(
    exchange: SimExchange, clock: Clock
) -> None:
    account = make(exchange, wallet=100_000_000 * UNIT)
    mark = mark_price_ticks(exchange, BTC, clock.now_ms)
    price = mark - mark // 400  # 0.25 % below
    order = account.place(NewFuturesOrder(BTC, "BUY", "LIMIT", 10**7, price=price), clock.now_ms)
    assert order.status == NEW and account.order_margin(BTC) > 0
    for _ in range(48):
        clock.now_ms += 1_800_000
        account.match(clock.now_ms)
        if order.executed:
            break
    assert order.executed, "the price never came down 0.25 % in a day"
    assert order.status == PARTIALLY_FILLED and order.is_open
    assert all(t.maker and t.price == price for t in account.trades)
    assert [t.commission for t in account.trades] == [
        fm.commission(t.quote, Decimal(2)) for t in account.trades
    ]
    assert account.position(BTC).qty == order.executed
    account.cancel(BTC, order.id, None, clock.now_ms)
    assert account.order_margin(BTC) == 0


def test_an_ioc_limit_beyond_the_book_expires_unfilled(
    account: FuturesAccount, exchange: SimExchange, clock: Clock
) -> None:
    mark = mark_price_ticks(exchange, BTC, clock.now_ms)
    order = account.place(
        NewFuturesOrder(BTC, "BUY", "LIMIT", 1000, "IOC", price=mark // 2), clock.now_ms
    )
    assert order.status == EXPIRED and account.position(BTC).qty == 0


def test_leverage_changes_follow_binances_rules(exchange: SimExchange, clock: Clock) -> None:
    account = make(exchange, wallet=100_000 * UNIT)
    assert account.setting(BTC).leverage == 20
    with pytest.raises(BinanceError) as bad:
        account.set_leverage(BTC, 126, clock.now_ms)
    assert (bad.value.code, bad.value.msg) == (-4028, "Leverage 126 is not valid")
    account.set_margin_type(BTC, ISOLATED, clock.now_ms)
    account.set_leverage(BTC, 20, clock.now_ms)
    account.place(market("BUY", 70_000), clock.now_ms)  # ~0.7 BTC, above 125x's cap
    with pytest.raises(BinanceError) as too_big:
        account.set_leverage(BTC, 125, clock.now_ms)
    assert too_big.value.code == -2027
    before = account.position(BTC).isolated_margin
    account.set_leverage(BTC, 5, clock.now_ms)  # lower: more margin moves in
    assert account.position(BTC).isolated_margin > before
    with pytest.raises(BinanceError) as no_change:
        account.set_margin_type(BTC, ISOLATED, clock.now_ms)
    assert no_change.value.code == -4046
    with pytest.raises(BinanceError) as with_position:
        account.set_margin_type(BTC, "CROSSED", clock.now_ms)
    assert with_position.value.code == -4048
