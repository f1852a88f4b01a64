"""Futures margin formulas on real perpetuals' brackets: initial and maintenance margin,
unrealised PnL, the liquidation price (where margin balance meets maintenance margin) and
funding's sign."""

from __future__ import annotations

from decimal import Decimal

import pytest

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.futures_markets import FuturesMarket, futures_markets
from freqfleet.sim.models.synthetic import SyntheticModel

UNIT = 10**8


@pytest.fixture(scope="module")
def btc() -> FuturesMarket:
    market = futures_markets(SyntheticModel(pairs=2, seed=7).markets)[0]
    assert market.symbol == "BTCUSDT" and (market.price_decimals, market.amount_decimals) == (
        1,
        5,
    )
    return market


def test_initial_margin_is_notional_over_leverage_rounded_up() -> None:
    assert fm.initial_margin(1000 * UNIT, 20) == 50 * UNIT
    assert fm.initial_margin(10, 3) == 4


def test_maintenance_margin_takes_the_notionals_bracket_and_its_cum(btc: FuturesMarket) -> None:
    small = 10_000 * UNIT
    assert fm.maintenance_margin(btc, small) == small * 4 // 1000  # 0.4 %, cum 0
    large = 100_000 * UNIT  # second bracket: 0.5 % - 50 USDT
    assert fm.maintenance_margin(btc, large) == large * 5 // 1000 - 50 * UNIT
    # continuous at the bracket boundary
    cap = 50_000 * UNIT
    assert fm.maintenance_margin(btc, cap) == cap * 4 // 1000


def test_unrealised_pnl_of_a_long_and_a_short(btc: FuturesMarket) -> None:
    qty = 100_000  # 1 BTC
    entry = fm.notional(btc, 500_000, qty)  # at 50,000.0
    assert fm.unrealized(btc, qty, entry, 510_000) == 1000 * UNIT
    assert fm.unrealized(btc, -qty, entry, 510_000) == -1000 * UNIT


@pytest.mark.parametrize("qty", [100_000, -100_000])
@pytest.mark.parametrize("leverage", [5, 20, 100])
def test_at_the_liquidation_price_margin_balance_meets_maintenance(
    btc: FuturesMarket, qty: int, leverage: int
) -> None:
    entry = fm.notional(btc, 500_000, qty)
    margin = fm.initial_margin(entry, leverage)
    price = fm.liquidation_price(btc, qty, entry, margin)
    assert (price < 50_000) if qty > 0 else (price > 50_000)
    ticks = int(price * 10)
    balance = margin + fm.unrealized(btc, qty, entry, ticks)
    maint = fm.maintenance_margin(btc, fm.notional(btc, ticks, qty))
    # one tick of the price moves 0.1 USDT on 1 BTC: they meet within a tick
    assert abs(balance - maint) <= UNIT // 10 + UNIT // 100


def test_funding_fee_is_notional_times_rate_half_up() -> None:
    assert fm.funding_fee(1000 * UNIT, Decimal("0.0001")) == 10_000_000
    assert fm.funding_fee(1000 * UNIT, Decimal("-0.00025")) == -25_000_000
    assert fm.funding_fee(5, Decimal("0.1")) == 1  # 0.5 rounds up


def test_max_notional_shrinks_as_leverage_grows(btc: FuturesMarket) -> None:
    assert fm.max_notional(btc, 125) == 50_000
    assert fm.max_notional(btc, 20) == 15_000_000
    assert fm.max_notional(btc, 1) == 500_000_000
