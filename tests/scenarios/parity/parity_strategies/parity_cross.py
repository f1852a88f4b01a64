"""ParityCross: a light plain strategy whose entries and exits are decided per candle.

For the end-to-end parity test (tests/scenarios/parity/test_entry_parity_e2e.py): the close crossing
its 3-candle exponential average, up to enter and down to exit (the fast/slow crossing of
``FleetSampleStrategy`` with a fast span of 1, so that 16 pairs give enough entries in a
few minutes); no ``custom_exit``, ROI and stoploss out of reach. So whether a pair holds a
trade at a candle depends on its candles alone, and with limited slots the slot state at
each candle is the same in every bot that entered the same pairs on the same candles.

Entries are gated by a candle date read from the file named by the config key
``parity_entries_from_file``: no entry signal on a candle before that date (none at all
while the file is missing). The test writes the file once every bot has warmed up, so a
plain bot and a fleet start trading on the same candle with the same (empty) slots.

``parity_analysis_delay`` (seconds, default 0) makes each pair's analysis that much
slower without changing any decision: given to the producers only, it stands for a heavy
strategy whose analysed frames reach the consumer spread over several of its loops.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from freqtrade.strategy import IStrategy
from pandas import DataFrame

GATE_KEY = "parity_entries_from_file"
DELAY_KEY = "parity_analysis_delay"


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


class ParityCross(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    startup_candle_count = 30
    process_only_new_candles = True
    minimal_roi = {"0": 100.0}
    stoploss = -0.99
    use_exit_signal = True
    exit_profit_only = False
    ignore_roi_if_entry_signal = False
    can_short = False

    fast_span = 1
    slow_span = 3

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        delay = float(self.config.get(DELAY_KEY) or 0)
        if delay > 0:
            time.sleep(delay)
        close = dataframe["close"]
        dataframe["ema_fast"] = close.ewm(span=self.fast_span, adjust=False).mean()
        dataframe["ema_slow"] = close.ewm(span=self.slow_span, adjust=False).mean()
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        crossed_up = (dataframe["ema_fast"] > dataframe["ema_slow"]) & (
            dataframe["ema_fast"].shift(1) <= dataframe["ema_slow"].shift(1)
        )
        start = entries_from(self.config)
        enter = crossed_up & (dataframe["volume"] > 0)
        enter &= False if start is None else dataframe["date"] >= start
        dataframe.loc[enter, "enter_long"] = 1
        dataframe.loc[enter, "enter_tag"] = "cross_up"
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        crossed_down = (dataframe["ema_fast"] < dataframe["ema_slow"]) & (
            dataframe["ema_fast"].shift(1) >= dataframe["ema_slow"].shift(1)
        )
        dataframe.loc[crossed_down, "exit_long"] = 1
        dataframe.loc[crossed_down, "exit_tag"] = "cross_down"
        return dataframe
