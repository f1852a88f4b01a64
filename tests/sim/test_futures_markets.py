"""The perpetuals beside the spot markets: names, the exchangeInfo entry, leverage
brackets that keep maintenance margin continuous."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from freqfleet.sim.futures_markets import FuturesMarket, brackets_for, futures_markets
from freqfleet.sim.markets import SimMarket


def _btc() -> FuturesMarket:
    (market,) = futures_markets([SimMarket("BTC", "USDT", 2, 5)])
    return market


def test_only_usdt_markets_get_a_perpetual_with_the_spot_index() -> None:
    spot = [SimMarket("ETH", "BTC", 6, 3), SimMarket("SOL", "USDT", 2, 2)]
    (sol,) = futures_markets(spot)
    assert (sol.index, sol.spot) == (1, spot[1])
    assert (sol.symbol, sol.pair, sol.base, sol.quote, sol.settle) == (
        "SOLUSDT",
        "SOL/USDT:USDT",
        "SOL",
        "USDT",
        "USDT",
    )
    assert (sol.tick, sol.step, sol.min_notional) == (
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal(5),
    )


def test_the_exchange_info_entry_is_a_linear_perpetual() -> None:
    info = _btc().exchange_info()
    assert (info["contractType"], info["marginAsset"], info["status"]) == (
        "PERPETUAL",
        "USDT",
        "TRADING",
    )
    filters = {item["filterType"]: item for item in info["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01"
    assert filters["LOT_SIZE"]["stepSize"] == filters["LOT_SIZE"]["minQty"] == "0.00001"
    assert filters["MARKET_LOT_SIZE"]["stepSize"] == "0.00001"
    assert filters["MIN_NOTIONAL"]["notional"] == "5"
    whole = futures_markets([SimMarket("X", "USDT", 0, 0)])[0].exchange_info()
    assert {f["filterType"]: f for f in whole["filters"]}["PRICE_FILTER"]["tickSize"] == "1"


@pytest.mark.parametrize(("base", "top"), [("BTC", 125), ("SOL", 75), ("QZX", 50)])
def test_brackets_chain_and_keep_maintenance_margin_continuous(base: str, top: int) -> None:
    brackets = brackets_for(base)
    assert brackets[0].initial_leverage == top and brackets[0].notional_floor == 0
    assert brackets[-1].initial_leverage == 1
    assert [b.bracket for b in brackets] == list(range(1, len(brackets) + 1))
    for lower, upper in itertools.pairwise(brackets):
        assert upper.notional_floor == lower.notional_cap
        assert upper.initial_leverage < lower.initial_leverage
        assert upper.maint_margin_ratio > lower.maint_margin_ratio
        # Maintenance margin = notional * ratio - cum is the same on both sides of a floor.
        edge = Decimal(upper.notional_floor)
        assert edge * lower.maint_margin_ratio - lower.cum == (
            edge * upper.maint_margin_ratio - upper.cum
        )


def test_binance_btc_ladder_and_the_bracket_of_a_notional() -> None:
    btc = _btc()
    assert btc.max_leverage == 125
    assert btc.brackets[1].cum == Decimal(50) and btc.brackets[2].cum == Decimal(1300)
    assert btc.bracket_for(Decimal("49999.99")).bracket == 1
    assert btc.bracket_for(Decimal(50_000)).bracket == 2
    assert btc.bracket_for(Decimal(-60_000)).bracket == 2
    assert btc.bracket_for(Decimal(10) ** 12) == btc.brackets[-1]
    smaller = brackets_for("QZX")
    assert smaller[0].notional_cap < btc.brackets[0].notional_cap
