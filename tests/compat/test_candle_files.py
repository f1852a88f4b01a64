"""Funding rates written in the layout of the freqtrade that runs are read back by it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from freqtrade.data.history import get_datahandler
from freqtrade.enums import CandleType, TradingMode

from freqfleet.compat.candle_files import funding_rate_frame, funding_rates_have_own_columns


def test_funding_rates_round_trip_through_freqtrades_own_handler(tmp_path: Path) -> None:
    dates = pd.date_range("2026-01-01", periods=6, freq="8h", tz="UTC")
    rates = pd.DataFrame({"date": dates, "funding_rate": [1e-4, -2.5e-4, 0.0, 7.5e-4, 1e-4, 3e-5]})
    handler = get_datahandler(tmp_path, "feather")
    pair = "BTC/USDT:USDT"
    handler.ohlcv_store(pair, "1h", funding_rate_frame(rates), CandleType.FUNDING_RATE)
    loaded = handler.ohlcv_load(
        pair, "1h", fill_missing=False, drop_incomplete=False, candle_type=CandleType.FUNDING_RATE
    )
    # Where the rate is, by layout: freqtrade's funding fee reads it from there.
    column = "funding_rate" if funding_rates_have_own_columns() else "open"
    assert loaded["date"].tolist() == dates.tolist()
    assert loaded[column].tolist() == rates["funding_rate"].tolist()
    stored = list(tmp_path.glob("**/*funding_rate*"))
    assert len(stored) == 1 and TradingMode.FUTURES.value in stored[0].parts
