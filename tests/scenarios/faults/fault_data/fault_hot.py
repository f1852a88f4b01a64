"""A fleet strategy for the fault tests: an entry signal on every candle, exits on a timer.

Every analysed candle carries ``enter_long`` (tag ``hot``), so a consumer with fresh
producer data and a free pair enters it within a loop: a missing entry means the
consumer refused it, not that no signal came. A trade is closed by ``custom_exit`` once
it is ``hold`` seconds old; the tests set ``hold`` per pair at run time in
``user_data/fault-hold.json`` (``{"default": 25, "BTC/USDT": 600}``), read by every bot
of the plan (they share the plan's ``user_data``).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from freqtrade.strategy import IStrategy
from pandas import DataFrame

from freqfleet.strategy import FleetStrategy

HOLD_FILE = "fault-hold.json"
DEFAULT_HOLD_SECS = 25.0


class FaultHotBase(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    startup_candle_count = 0
    minimal_roi = {"0": 100.0}
    stoploss = -0.99
    use_exit_signal = True
    can_short = False

    _hold: dict[str, float] | None = None
    _hold_read = 0.0

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["hot"] = 1.0
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 1
        dataframe["enter_tag"] = "hot"
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe

    def hold_secs(self, pair: str) -> float:
        now = time.monotonic()
        if self._hold is None or now - self._hold_read > 0.5:
            self._hold_read = now
            path = Path(self.config.get("user_data_dir") or "user_data") / HOLD_FILE
            try:
                self._hold = {str(k): float(v) for k, v in json.loads(path.read_text()).items()}
            except (OSError, ValueError, AttributeError):
                self._hold = {}
        return self._hold.get(pair, self._hold.get("default", DEFAULT_HOLD_SECS))

    def custom_exit(
        self,
        pair: str,
        trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs,
    ) -> str | None:
        age = (current_time - trade.open_date_utc).total_seconds()
        return "held" if age >= self.hold_secs(pair) else None


class FaultHot(FleetStrategy, FaultHotBase):
    pass
