"""The benchmarks' CPU-heavy sample strategy, run by freqtrade on the bundled candles: a
wide frame with its informative timeframes, and signals that fire."""

from __future__ import annotations

from pathlib import Path

import pytest
from freqtrade.data.dataprovider import DataProvider

from tests.kit.fleet_strategy import CandleExchange, bot_config, candles, load_strategy

PAIR = "ETH/BTC"


def resampled(frame, rule: str):
    grouped = frame.set_index("date").resample(rule, label="left", closed="left")
    out = grouped.agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    return out.dropna().reset_index()


@pytest.mark.timeout(300)
def test_a_wide_frame_with_informative_columns_and_signals(user_data: Path) -> None:
    config = bot_config(user_data, "FleetHeavySampleStrategy")
    strategy = load_strategy(config)
    assert strategy.fleet_role == "producer" and strategy.timeframe == "5m"
    base = candles(PAIR, 1500)
    exchange = CandleExchange()
    exchange.set(PAIR, base, "5m")
    exchange.set(PAIR, resampled(base, "15min"), "15m")
    exchange.set(PAIR, resampled(base, "1h"), "1h")
    strategy.dp = DataProvider(config, exchange)
    frame = strategy.analyze_ticker(base.copy(), {"pair": PAIR})
    assert len(frame) == len(base)
    assert frame.shape[1] >= 200
    informative = [column for column in frame.columns if column.endswith(("_15m", "_1h"))]
    assert informative and frame[informative].iloc[-200:].notna().all().all()
    assert frame["enter_long"].fillna(0).sum() >= 1
    assert frame["exit_long"].fillna(0).sum() >= 1
