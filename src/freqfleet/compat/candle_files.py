"""How freqtrade stores funding-rate candles, which changed among the tested releases.

Why here: from 2026.9 (``freqtrade.candle_columns``) a funding-rate file holds ``date,
funding_rate`` and freqtrade's data handlers refuse anything else on write (they still read
the older layout); before, funding rates were stored as OHLCV candles with the rate in
``open``. freqfleet's futures backtest data is written with the handler of the freqtrade it
runs on, so it asks here for the layout that freqtrade writes.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

LEGACY_COLUMNS = ["date", "open", "high", "low", "close", "volume"]


def funding_rates_have_own_columns() -> bool:
    """Whether this freqtrade stores funding rates as ``date, funding_rate``."""
    return importlib.util.find_spec("freqtrade.candle_columns") is not None


def funding_rate_frame(rates: pd.DataFrame) -> pd.DataFrame:
    """``rates`` (``date``, ``funding_rate``) in the layout this freqtrade stores: as is, or
    as OHLCV candles with the rate in every price column and no volume."""
    if funding_rates_have_own_columns():
        return rates.loc[:, ["date", "funding_rate"]]
    import pandas as pd  # only here: the command line starts without pandas

    rate = rates["funding_rate"]
    return pd.DataFrame(
        {
            "date": rates["date"],
            "open": rate,
            "high": rate,
            "low": rate,
            "close": rate,
            "volume": 0.0,
        }
    ).loc[:, LEGACY_COLUMNS]


__all__ = ["funding_rate_frame", "funding_rates_have_own_columns"]
