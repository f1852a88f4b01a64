"""The futures account on a real synthetic market and a clock the tests move: positions,
realised PnL and commissions to the unit, margin rules, reduce-only, leverage and margin
type changes, partial fills, funding and liquidation on market time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.account import EXPIRED, FILLED, NEW, PARTIALLY_FILLED
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import FUNDING_INTERVAL_MS, funding_rate, mark_price_ticks
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_markets import futures_markets
from freqfleet.sim.futures_records import (
    COMMISSION,
    FUNDING_FEE,
    ISOLATED,
    LIQUIDATION,
    REALIZED_PNL,
    NewFuturesOrder,
)
from freqfleet.sim.models.synthetic import SyntheticModel
from tests.kit.clock import Clock

UNIT = 10**8
WALLET = 10_000 * UNIT
BTC, ETH = 0, 1  # BTCUSDT: ticks of 0.1, steps of 0.00001
SEED = 7


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def exchange(clock: Clock) -> SimExchange:
    return SimExchange(SyntheticModel(pairs=4, seed=SEED), clock=clock)


def make(exchange: SimExchange, wallet: int = WALLET) -> FuturesAccount:
    markets = futures_markets(exchange.markets)
    return FuturesAccount(exchange, markets, wallet, SEED, first_id=1)


@pytest.fixture
def account(exchange: SimExchange) -> FuturesAccount:
    return make(exchange)


def market(side: str, qty: int, symbol: int = BTC, reduce_only: bool = False) -> NewFuturesOrder:
    return NewFuturesOrder(symbol, side, "MARKET", qty, reduce_only=reduce_only)


def booked(account: FuturesAccount, kind: str) -> int:
    return sum(i.amount for i in account.incomes if i.kind == kind)


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


def test_an_isolated_position_takes_its_margin_from_the_available_balance(
    account: FuturesAccount, clock: Clock
) -> None:
    account.set_margin_type(BTC, ISOLATED, clock.now_ms)
    account.set_leverage(BTC, 10, clock.now_ms)
    order = account.place(market("SELL", 5000), clock.now_ms)
    pos = account.position(BTC)
    fee = account.trades[-1].commission
    assert pos.isolated_margin == sum(fm.initial_margin(t.quote, 10) for t in account.trades)
    assert account.available(clock.now_ms) == WALLET - fee - pos.isolated_margin
    assert pos.isolated_margin >= order.cum_quote // 10
    account.place(market("BUY", 5000, reduce_only=True), clock.now_ms)
    assert account.position(BTC).isolated_margin == 0
    assert account.available(clock.now_ms) == account.wallet


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


def _positive_funding_instant(start_ms: int, markets: tuple[int, ...]) -> int:
    t = (start_ms // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS
    while not all(funding_rate(SEED, m, t) > 0 for m in markets):
        t += FUNDING_INTERVAL_MS
    return t


def test_funding_longs_pay_and_shorts_receive_when_the_rate_is_positive(
    account: FuturesAccount, exchange: SimExchange, clock: Clock
) -> None:
    instant = _positive_funding_instant(clock.now_ms, (BTC, ETH))
    clock.now_ms = instant - 5_000
    account.place(market("BUY", 2000), clock.now_ms)
    account.place(market("SELL", 100, ETH), clock.now_ms)  # 0.01 ETH
    wallet = account.wallet
    clock.now_ms = instant + 5_000
    account.match(clock.now_ms)
    fees = {i.symbol: i for i in account.incomes if i.kind == FUNDING_FEE}
    assert set(fees) == {"BTCUSDT", "ETHUSDT"}
    for symbol, index, qty in (("BTCUSDT", BTC, 2000), ("ETHUSDT", ETH, -100)):
        spec = account.markets[index]
        value = fm.notional(spec, mark_price_ticks(exchange, index, instant), qty)
        amount = fm.funding_fee(value, funding_rate(SEED, index, instant))
        assert fees[symbol].time_ms == instant
        assert fees[symbol].amount == (-amount if qty > 0 else amount)
    assert fees["BTCUSDT"].amount < 0 < fees["ETHUSDT"].amount
    assert account.wallet == wallet + sum(i.amount for i in fees.values())


def _liquidated_side(exchange: SimExchange, clock: Clock) -> tuple[FuturesAccount, int]:
    """An isolated 125x position (long or short, whichever the path liquidates first)."""
    for side in ("BUY", "SELL"):
        account = make(exchange)
        account.set_margin_type(BTC, ISOLATED, clock.now_ms)
        account.set_leverage(BTC, 125, clock.now_ms)
        account.place(market(side, 5000), clock.now_ms)
        account.match(clock.now_ms + 6 * 3_600_000)
        if any(o.type == LIQUIDATION for o in account.orders.values()):
            return account, 1 if side == "BUY" else -1
    raise AssertionError("neither side liquidated in 6 hours at 125x")


def test_a_position_is_liquidated_when_its_margin_meets_maintenance(
    exchange: SimExchange, clock: Clock
) -> None:
    account, sign = _liquidated_side(exchange, clock)
    liquidation = next(o for o in account.orders.values() if o.type == LIQUIDATION)
    at = liquidation.time_ms
    assert liquidation.client_id == f"autoclose-{at}" and at % 1000 == 0
    assert account.position(BTC).qty == 0
    trade = account.trades[-1]
    assert trade.price == mark_price_ticks(exchange, BTC, at) and trade.realized_pnl < 0
    # just before, it was not due: margin balance above maintenance at the mark
    entry = account.trades[0]
    margin = fm.initial_margin(entry.quote, 125)
    before = mark_price_ticks(exchange, BTC, at - 1000)
    qty = sign * entry.qty
    balance = margin + fm.unrealized(account.markets[BTC], qty, entry.quote, before)
    assert balance > fm.maintenance_margin(
        account.markets[BTC], fm.notional(account.markets[BTC], before, qty)
    )


def test_funding_and_liquidation_do_not_depend_on_when_the_account_is_matched(
    exchange: SimExchange, clock: Clock
) -> None:
    def run(step_ms: int) -> list[tuple[str, int, int]]:
        account = make(exchange)
        start = clock.now_ms
        account.set_leverage(BTC, 50, start)
        account.place(market("BUY", 20_000), start)
        account.place(market("SELL", 1_000, ETH), start)
        for t in range(start, start + 20 * 3_600_000, step_ms):
            account.match(t)
        account.match(start + 20 * 3_600_000)
        return [(i.kind, i.amount, i.time_ms) for i in account.incomes]

    every_minute = run(60_000)
    assert any(kind == FUNDING_FEE for kind, _, _ in every_minute)
    assert every_minute == run(7 * 3_600_000 + 123)
