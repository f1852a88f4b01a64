"""A fleet strategy that never trades on its own: only forced and followed actions.

Producer and consumer both run ``FollowQuiet``; the consumer records when each of its
loops starts (``follow_test_loop_log`` in its config) so tests can count loops.
"""

from __future__ import annotations

from datetime import datetime

from freqtrade.strategy import IStrategy
from pandas import DataFrame

from freqfleet.strategy import FleetStrategy


class LoopRecorder(IStrategy):
    """Appends every loop's start to the file named by ``follow_test_loop_log``."""

    def bot_loop_start(self, current_time: datetime, **kwargs) -> None:
        path = self.config.get("follow_test_loop_log")
        if path:
            with open(path, "a", encoding="utf-8") as log:
                log.write(f"{current_time.timestamp():.6f}\n")


class FollowQuietBase(LoopRecorder):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    minimal_roi = {"0": 100.0}
    stoploss = -0.99
    startup_candle_count = 0
    position_adjustment_enable = True
    max_entry_position_adjustment = -1

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 0
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe


class FollowQuiet(FleetStrategy, FollowQuietBase):
    pass
