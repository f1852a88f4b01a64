"""A fleet strategy that exits only in ``custom_exit``, at random.

Every candle is an entry signal and each ``custom_exit`` call closes the trade with
probability ``follow_test_exit_chance`` (config), drawn from a generator seeded per
process: a consumer running the same callback could not reproduce the producer's exits.
"""

from __future__ import annotations

import os
import random
import time
from datetime import datetime

from follow_quiet import LoopRecorder
from freqtrade.persistence import Trade
from pandas import DataFrame

from freqfleet.strategy import FleetStrategy


class FollowRandomExitBase(LoopRecorder):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    minimal_roi = {"0": 100.0}
    stoploss = -0.99
    startup_candle_count = 0
    use_exit_signal = True

    _dice = random.Random(os.getpid() ^ time.time_ns())

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 1
        dataframe["enter_tag"] = "always"
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe

    def custom_exit(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs,
    ) -> str | None:
        if self._dice.random() < float(self.config.get("follow_test_exit_chance", 0.15)):
            return "dice"
        return None


class FollowRandomExit(FleetStrategy, FollowRandomExitBase):
    pass
