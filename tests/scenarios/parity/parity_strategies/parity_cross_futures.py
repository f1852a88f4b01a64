"""ParityCrossFutures: ParityCross long and short, for the futures entry parity test.

For tests/scenarios/parity/test_futures_entry_parity_e2e.py: the close crossing its
3-candle exponential average; up enters a long and exits a short, down enters a short and
exits a long. Leverage by entry tag (``cross_up`` 3x, ``cross_down`` 2x), so that the
consumer's leverage must come from the producers' tags. No ``custom_exit``, ROI and
stoploss out of reach: whether a pair holds a trade at a candle, and on which side,
depends on its candles alone.

Entries are gated as ParityCross's are: no entry on a candle before the date read from
the file named by the config key ``parity_entries_from_file``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from freqtrade.strategy import IStrategy
from pandas import DataFrame

GATE_KEY = "parity_entries_from_file"
LEVERAGE = {"cross_up": 3.0, "cross_down": 2.0}


def entries_from(config: dict) -> pd.Timestamp | None:
    """The first candle that may carry an entry signal (None: no entries yet)."""
    path = config.get(GATE_KEY)
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return pd.Timestamp(text) if text else None


class ParityCrossFutures(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    startup_candle_count = 30
    process_only_new_candles = True
    minimal_roi = {"0": 100.0}
    stoploss = -0.99
    use_exit_signal = True
    exit_profit_only = False
    ignore_roi_if_entry_signal = False
    can_short = True

    slow_span = 3

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["ema_slow"] = dataframe["close"].ewm(span=self.slow_span, adjust=False).mean()
        return dataframe

    def _crossed(self, dataframe: DataFrame) -> tuple[pd.Series, pd.Series]:
        above = dataframe["close"] > dataframe["ema_slow"]
        below = dataframe["close"] < dataframe["ema_slow"]
        was_above = dataframe["close"].shift(1) >= dataframe["ema_slow"].shift(1)
        was_below = dataframe["close"].shift(1) <= dataframe["ema_slow"].shift(1)
        return above & was_below, below & was_above

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        up, down = self._crossed(dataframe)
        start = entries_from(self.config)
        allowed = dataframe["volume"] > 0
        allowed &= False if start is None else dataframe["date"] >= start
        dataframe.loc[up & allowed, "enter_long"] = 1
        dataframe.loc[up & allowed, "enter_tag"] = "cross_up"
        dataframe.loc[down & allowed, "enter_short"] = 1
        dataframe.loc[down & allowed, "enter_tag"] = "cross_down"
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        up, down = self._crossed(dataframe)
        dataframe.loc[down, "exit_long"] = 1
        dataframe.loc[up, "exit_short"] = 1
        dataframe.loc[down, "exit_tag"] = "cross_down"
        dataframe.loc[up, "exit_tag"] = "cross_up"
        return dataframe

    def leverage(
        self,
        pair: str,
        current_time,
        current_rate: float,
        proposed_leverage: float,
        max_leverage: float,
        entry_tag: str | None,
        side: str,
        **kwargs,
    ) -> float:
        return min(LEVERAGE.get(entry_tag or "", 1.0), max_leverage)
