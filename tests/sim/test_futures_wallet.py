"""The futures wallet's margin: what isolated and cross positions and open orders take
from the available balance, at the mark price, to the unit."""

from __future__ import annotations

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import mark_price_ticks
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_records import ISOLATED, NewFuturesOrder
from freqfleet.sim.futures_wallet import adding
from tests.kit import futures_book
from tests.kit.clock import Clock
from tests.kit.futures_book import BTC, ETH, WALLET, market

exchange, account = futures_book.exchange, futures_book.account


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


def test_a_cross_position_counts_its_unrealised_pnl_and_margin_at_the_mark(
    account: FuturesAccount, exchange: SimExchange, clock: Clock
) -> None:
    account.set_leverage(BTC, 10, clock.now_ms)
    account.place(market("BUY", 3000), clock.now_ms)
    fee = account.trades[-1].commission
    for _ in range(3):
        clock.now_ms += 3_600_000
        pos = account.position(BTC)
        mark = mark_price_ticks(exchange, BTC, clock.now_ms)
        spec = account.markets[BTC]
        unrealized = fm.unrealized(spec, pos.qty, pos.entry_value, mark)
        margin = fm.initial_margin(fm.notional(spec, mark, pos.qty), 10)
        assert account.unrealized(BTC, clock.now_ms) == unrealized
        assert account.position_margin(BTC, clock.now_ms) == margin
        assert account.available(clock.now_ms) == max(0, WALLET - fee + unrealized - margin)
        assert account.maint_margin(BTC, clock.now_ms) == fm.maintenance_margin(
            spec, fm.notional(spec, mark, pos.qty)
        )


def test_open_orders_hold_margin_only_for_what_would_add_to_the_position(
    account: FuturesAccount, exchange: SimExchange, clock: Clock
) -> None:
    account.set_leverage(ETH, 5, clock.now_ms)
    account.place(market("BUY", 1000, ETH), clock.now_ms)
    mark = mark_price_ticks(exchange, ETH, clock.now_ms)
    far_above = mark * 2
    resting = NewFuturesOrder(ETH, "SELL", "LIMIT", 3000, price=far_above)
    before = account.available(clock.now_ms)
    account.place(resting, clock.now_ms)
    # 1000 of the sell's 3000 steps close the long: only 2000 would open a short.
    held = fm.initial_margin(fm.notional(account.markets[ETH], far_above, 2000), 5)
    assert account.order_margin(ETH) == held
    assert account.available(clock.now_ms) == before - held
    assert (adding(1000, "SELL", 3000), adding(-1000, "SELL", 3000)) == (2000, 3000)
    assert adding(1000, "SELL", 500) == 0
