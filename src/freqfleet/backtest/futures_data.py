"""Futures data for a fleet backtest: USDT perpetuals made from spot recordings.

Why synthetic: freqtrade backtests futures only with three files per pair in the data
folder's ``futures/`` (``<pair>-<tf>-futures``, the ``mark`` candles of the exchange's mark
timeframe and the ``funding_rate`` history, from which it books funding fees), and the
bundled recording is spot, quoted in BTC. Each recorded ``BASE/BTC`` becomes the perpetual
``BASE/USDT:USDT`` at 10,000 USDT per BTC (about the price of early 2018); the mark price
is the traded price (as on the simulator), funding is paid every 8 hours at the
simulator's deterministic rates (``freqfleet.sim.funding``). The spot candles are written
beside them: the simulator replays them to list the markets (its perpetuals are its USDT
spot markets), which is where the backtest takes markets from.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
from freqtrade.data.history import get_datahandler
from freqtrade.enums import CandleType

from freqfleet.compat import funding_rate_frame
from freqfleet.sim import funding_rate, funding_times

SETTLE = "USDT"
USDT_PER_BTC = 10_000
MARK_TIMEFRAME = "1h"
"""freqtrade's ``mark_ohlcv_timeframe`` and ``funding_fee_timeframe`` on Binance."""
_AGGREGATE = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def perpetual_of(spot_pair: str) -> str:
    """``ETH/BTC`` -> ``ETH/USDT:USDT``."""
    return f"{spot_pair.split('/')[0]}/{SETTLE}:{SETTLE}"


def write_futures_dataset(
    source: Path, target: Path, pairs: list[str], timeframe: str = "5m", seed: int = 7
) -> list[str]:
    """Write perpetuals of ``pairs`` (recorded in ``source``) to ``target``; their names.

    Writes ``target/BASE_USDT-<tf>.feather`` (spot, for the simulator's markets) and
    ``target/futures/BASE_USDT_USDT-<tf>-futures``, ``-1h-mark`` and ``-1h-funding_rate``.
    """
    reader = get_datahandler(source, "feather")
    writer = get_datahandler(target, "feather")
    written = []
    for index, pair in enumerate(pairs):
        candles = reader.ohlcv_load(pair, timeframe, CandleType.SPOT)
        if candles.empty:
            continue
        for column in ("open", "high", "low", "close"):
            candles[column] = (candles[column] * USDT_PER_BTC).round(6)
        perpetual = perpetual_of(pair)
        writer.ohlcv_store(f"{perpetual.split(':')[0]}", timeframe, candles, CandleType.SPOT)
        writer.ohlcv_store(perpetual, timeframe, candles, CandleType.FUTURES)
        mark = _resample(candles, MARK_TIMEFRAME)
        writer.ohlcv_store(perpetual, MARK_TIMEFRAME, mark, CandleType.MARK)
        writer.ohlcv_store(
            perpetual,
            MARK_TIMEFRAME,
            funding_rate_frame(funding_history(candles, index, seed)),
            CandleType.FUNDING_RATE,
        )
        written.append(perpetual)
    return written


def funding_history(candles: pd.DataFrame, market_index: int, seed: int) -> pd.DataFrame:
    """The funding rate at every 8-hour funding time the candles span (the simulator's)."""
    start_ms = int(candles["date"].iat[0].value // 1_000_000) - 1
    end_ms = int(candles["date"].iat[-1].value // 1_000_000)
    times = funding_times(start_ms, end_ms)
    rates = [float(Decimal(funding_rate(seed, market_index, t))) for t in times]
    return pd.DataFrame({"date": pd.to_datetime(times, unit="ms", utc=True), "funding_rate": rates})


def _resample(candles: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    from freqtrade.exchange import timeframe_to_minutes

    rule = f"{timeframe_to_minutes(timeframe)}min"
    frame = candles.set_index("date").resample(rule, label="left", closed="left").agg(_AGGREGATE)
    return frame.dropna().reset_index()


__all__ = [
    "MARK_TIMEFRAME",
    "SETTLE",
    "USDT_PER_BTC",
    "funding_history",
    "perpetual_of",
    "write_futures_dataset",
]
