"""What a futures bot asks beyond a spot bot, for the plan's weight estimate: its API's
paths and candle limit, the funding reads of dry-run trades (more in cross margin, none
live or on spot), and whether freqtrade takes futures candles from streams."""

from __future__ import annotations

import pytest

from freqfleet.fleet.futures_weight import (
    FUTURES_PATHS,
    SPOT_PATHS,
    api_paths,
    funding_weight,
)
from freqfleet.gateway.profile import BINANCE_FUTURES

ISOLATED = {"trading_mode": "futures", "margin_mode": "isolated", "dry_run": True}


def test_a_futures_bot_asks_the_fapi_for_fewer_candles() -> None:
    assert api_paths(ISOLATED) is FUTURES_PATHS
    assert api_paths({"trading_mode": "spot"}) is api_paths({}) is SPOT_PATHS
    assert all(path.startswith("/fapi/") for path in vars(FUTURES_PATHS).values() if "/" in path)
    assert int(FUTURES_PATHS.candle_limit) < int(SPOT_PATHS.candle_limit)


def test_funding_reads_grow_with_open_dry_run_trades_and_cross_margin() -> None:
    one = funding_weight(ISOLATED, 1, BINANCE_FUTURES)
    assert one > 0
    assert funding_weight(ISOLATED, 6, BINANCE_FUTURES) == pytest.approx(6 * one)
    cross = funding_weight({**ISOLATED, "margin_mode": "cross"}, 6, BINANCE_FUTURES)
    premium = BINANCE_FUTURES.weight("/fapi/v1/premiumIndex", {})
    assert cross == pytest.approx(6 * one + 6 * premium / 30)
    # Nothing for no trades, for spot, or for a live bot (it reads the account's income).
    assert funding_weight(ISOLATED, 0, BINANCE_FUTURES) == 0
    assert funding_weight({"trading_mode": "spot"}, 6, BINANCE_FUTURES) == 0
    assert funding_weight({**ISOLATED, "dry_run": False}, 6, BINANCE_FUTURES) == 0
