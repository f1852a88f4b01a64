"""Funding and liquidation of a futures account on the market's time: who pays whom and
how much, the instants (Binance's 8 h or a shorter ``--funding-interval``), liquidation at
maintenance, and none of it depending on when the account is matched."""

from __future__ import annotations

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import (
    FUNDING_INTERVAL_MS,
    funding_rate,
    mark_price_ticks,
    next_funding_time,
)
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_records import FUNDING_FEE, ISOLATED, LIQUIDATION
from tests.kit import futures_book
from tests.kit.clock import Clock
from tests.kit.futures_book import BTC, ETH, SEED, make, market, new_exchange

TWO_MINUTES = 120_000


exchange, account = futures_book.exchange, futures_book.account


def _positive_funding_instant(
    start_ms: int, markets: tuple[int, ...], interval_ms: int = FUNDING_INTERVAL_MS
) -> int:
    t = next_funding_time(start_ms, interval_ms)
    while not all(funding_rate(SEED, m, t) > 0 for m in markets):
        t += interval_ms
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


def test_a_shorter_funding_interval_pays_at_each_of_its_instants(clock: Clock) -> None:
    exchange = new_exchange(clock, funding_interval_ms=TWO_MINUTES)
    account = make(exchange)
    # Between two of Binance's 8 h instants, so only the short interval's fall in it.
    clock.now_ms = next_funding_time(clock.now_ms) + 3_600_000
    start = clock.now_ms
    account.place(market("SELL", 2000), start)
    clock.now_ms = start + 7 * 60_000
    account.match(clock.now_ms)
    fees = [i for i in account.incomes if i.kind == FUNDING_FEE]
    instants = [next_funding_time(start, TWO_MINUTES) + n * TWO_MINUTES for n in range(3)]
    assert [i.time_ms for i in fees] == instants
    for fee in fees:
        value = fm.notional(
            account.markets[BTC], mark_price_ticks(exchange, BTC, fee.time_ms), -2000
        )
        rate = funding_rate(SEED, BTC, fee.time_ms)
        assert fee.amount == fm.funding_fee(value, rate)  # a short receives what a long pays
    # Binance's interval books nothing in the same stretch.
    binance = make(new_exchange(clock))
    binance.place(market("SELL", 2000), start)
    binance.match(clock.now_ms)
    assert not [i for i in binance.incomes if i.kind == FUNDING_FEE]
