"""A simulated spot market as Binance describes it: names, tick and step written exactly,
the filters ccxt reads precision and limits from."""

from __future__ import annotations

import pytest

from freqfleet.sim.markets import SimMarket, decimals_for_tick


def test_names_tick_step_and_minimum_notional() -> None:
    market = SimMarket("ETH", "BTC", price_decimals=6, amount_decimals=3)
    assert (market.symbol, market.pair) == ("ETHBTC", "ETH/BTC")
    assert market.tick == pytest.approx(1e-6) and market.step == pytest.approx(1e-3)
    assert market.min_notional == 0.0001
    assert SimMarket("XYZ", "EUR", 2, 2).min_notional == 1.0


@pytest.mark.parametrize(
    ("ticks", "decimals", "text"),
    [(123456, 2, "1234.56"), (5, 3, "0.005"), (-5, 3, "-0.005"), (42, 0, "42"), (0, 4, "0.0000")],
)
def test_prices_are_written_exactly(ticks: int, decimals: int, text: str) -> None:
    assert SimMarket("BTC", "USDT", decimals, decimals).price_text(ticks) == text
    assert SimMarket("BTC", "USDT", decimals, decimals).amount_text(ticks) == text


@pytest.mark.parametrize(
    ("tick", "decimals"), [(1.0, 0), (0.1, 1), (0.01, 2), (1e-8, 8), (1e-10, 8), (10.0, 0)]
)
def test_decimals_of_a_tick(tick: float, decimals: int) -> None:
    assert decimals_for_tick(tick) == decimals


def test_the_exchange_info_carries_the_filters_ccxt_reads() -> None:
    # ccxt's reading of them is checked against a running simulator in test_ccxt.py.
    market = SimMarket("SOL", "USDT", price_decimals=2, amount_decimals=3)
    info = market.exchange_info()
    filters = {item["filterType"]: item for item in info["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00100000"
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    assert (info["symbol"], info["baseAsset"], info["quoteAsset"]) == ("SOLUSDT", "SOL", "USDT")
    assert info["status"] == "TRADING"
