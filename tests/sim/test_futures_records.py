"""The futures account's records as the account leaves them: an order's state and what is
left of it, the trades and income each fill writes, a symbol's margin type."""

from __future__ import annotations

from freqfleet.sim.account import CANCELED, EXPIRED, FILLED
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import mark_price_ticks
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_records import (
    COMMISSION,
    CROSSED,
    ISOLATED,
    REALIZED_PNL,
    NewFuturesOrder,
)
from tests.kit import futures_book
from tests.kit.clock import Clock
from tests.kit.futures_book import BTC, market

exchange, account = futures_book.exchange, futures_book.account


def test_an_order_is_open_with_what_is_left_until_it_fills_or_ends(
    account: FuturesAccount, exchange: SimExchange, clock: Clock
) -> None:
    filled = account.place(market("BUY", 2000), clock.now_ms)
    assert (filled.status, filled.is_open, filled.remaining) == (FILLED, False, 0)
    assert filled.executed == filled.orig_qty == 2000
    mark = mark_price_ticks(exchange, BTC, clock.now_ms)
    resting = account.place(
        NewFuturesOrder(BTC, "BUY", "LIMIT", 1500, price=mark // 2), clock.now_ms
    )
    assert resting.is_open and resting.remaining == 1500 and not resting.trades
    account.cancel(BTC, resting.id, None, clock.now_ms)
    assert (resting.status, resting.is_open, resting.remaining) == (CANCELED, False, 1500)
    expired = account.place(
        NewFuturesOrder(BTC, "BUY", "LIMIT", 700, "IOC", price=mark // 2), clock.now_ms
    )
    assert (expired.status, expired.is_open, expired.remaining) == (EXPIRED, False, 700)


def test_each_fill_writes_a_trade_and_its_income_records(
    account: FuturesAccount, clock: Clock
) -> None:
    opened = account.place(market("BUY", 2000), clock.now_ms)
    clock.now_ms += 60_000
    closed = account.place(market("SELL", 2000), clock.now_ms)
    for order in (opened, closed):
        trades = [t for t in account.trades if t.order_id == order.id]
        assert [t.id for t in trades] == order.trades
        assert sum(t.qty for t in trades) == order.executed
        assert sum(t.quote for t in trades) == order.cum_quote
        assert all(t.symbol == "BTCUSDT" and t.side == order.side for t in trades)
    closing = [t for t in account.trades if t.order_id == closed.id]
    realized = [i for i in account.incomes if i.kind == REALIZED_PNL]
    assert [i.trade_id for i in realized] == [t.id for t in closing if t.realized_pnl]
    commissions = [i for i in account.incomes if i.kind == COMMISSION]
    assert sorted(-i.amount for i in commissions) == sorted(t.commission for t in account.trades)


def test_a_symbols_margin_type_is_cross_until_set_isolated(
    account: FuturesAccount, clock: Clock
) -> None:
    assert account.setting(BTC).margin_type == CROSSED and not account.setting(BTC).isolated
    account.set_margin_type(BTC, ISOLATED, clock.now_ms)
    assert account.setting(BTC).isolated
    account.place(market("SELL", 1000), clock.now_ms)
    assert account.position(BTC).qty == -1000 and account.position(BTC).isolated_margin > 0
