"""Strategies shipped with freqfleet for demos, tests and a first fleet.

``FleetSampleStrategy`` is light (a few exponential averages on 1m or 5m candles) and
signals often, so a demo fleet trades within minutes. ``DummyConsumerStrategy`` runs only
as a consumer and trades whatever the producers signal. ``FleetHeavySampleStrategy``
(``heavy_sample``, re-exported here so that ``freqfleet plan`` finds it by name) is the
opposite of the light sample: about 100 ms of analysis per pair and candle on one core,
the kind of strategy a fleet is for (``bench/fleet_scaling.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from freqtrade.persistence import Trade
from freqtrade.strategy import IStrategy
from pandas import DataFrame

from freqfleet.errors import StrategySetupError
from freqfleet.strategy.fleet import FleetStrategy, is_consumer_config
from freqfleet.strategy.heavy_sample import FleetHeavySampleStrategy as FleetHeavySampleStrategy


class FleetSampleStrategy(FleetStrategy, IStrategy):
    """Fast/slow exponential average crossings with a momentum filter.

    Signals every few candles on 1m and 5m data. ``custom_exit`` reads the ``momentum``
    column from the analysed dataframe, which on a consumer is the producer's.
    """

    INTERFACE_VERSION = 3
    timeframe = "5m"
    startup_candle_count = 30
    process_only_new_candles = True
    minimal_roi = {"0": 0.05}
    stoploss = -0.05
    use_exit_signal = True
    exit_profit_only = False
    can_short = False

    fast_span = 3
    slow_span = 8

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        close = dataframe["close"]
        dataframe["ema_fast"] = close.ewm(span=self.fast_span, adjust=False).mean()
        dataframe["ema_slow"] = close.ewm(span=self.slow_span, adjust=False).mean()
        dataframe["momentum"] = close.pct_change(3)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        crossed_up = (dataframe["ema_fast"] > dataframe["ema_slow"]) & (
            dataframe["ema_fast"].shift(1) <= dataframe["ema_slow"].shift(1)
        )
        enter = crossed_up & (dataframe["volume"] > 0)
        dataframe.loc[enter, "enter_long"] = 1
        dataframe.loc[enter, "enter_tag"] = "ema_cross_up"
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        crossed_down = (dataframe["ema_fast"] < dataframe["ema_slow"]) & (
            dataframe["ema_fast"].shift(1) >= dataframe["ema_slow"].shift(1)
        )
        dataframe.loc[crossed_down, "exit_long"] = 1
        dataframe.loc[crossed_down, "exit_tag"] = "ema_cross_down"
        return dataframe

    def custom_exit(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs: Any,
    ) -> str | None:
        """Take a small profit when momentum turns negative."""
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        if dataframe.empty or "momentum" not in dataframe.columns:
            return None
        momentum = dataframe["momentum"].iat[-1]
        if current_profit > 0.005 and momentum == momentum and momentum < 0:
            return "momentum_fade"
        return None


class FleetFuturesSampleStrategy(FleetSampleStrategy):
    """The light sample on futures: long on an upward crossing, short on a downward one.

    Each crossing closes the other side's trade. ``leverage`` is chosen by entry tag, so
    a consumer must see the producers' tags to size its trades as a plain bot would.
    Runs with ``trading_mode: futures``; on spot freqtrade refuses ``can_short``.
    """

    can_short = True
    leverage_by_tag = {"ema_cross_up": 2.0, "ema_cross_down": 3.0}

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe = super().populate_entry_trend(dataframe, metadata)
        crossed_down = self._crossed_down(dataframe) & (dataframe["volume"] > 0)
        dataframe.loc[crossed_down, "enter_short"] = 1
        dataframe.loc[crossed_down, "enter_tag"] = "ema_cross_down"
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe = super().populate_exit_trend(dataframe, metadata)
        crossed_up = (dataframe["ema_fast"] > dataframe["ema_slow"]) & (
            dataframe["ema_fast"].shift(1) <= dataframe["ema_slow"].shift(1)
        )
        dataframe.loc[crossed_up, "exit_short"] = 1
        dataframe.loc[crossed_up & (dataframe["exit_long"] != 1), "exit_tag"] = "ema_cross_up"
        return dataframe

    @staticmethod
    def _crossed_down(dataframe: DataFrame) -> Any:
        return (dataframe["ema_fast"] < dataframe["ema_slow"]) & (
            dataframe["ema_fast"].shift(1) >= dataframe["ema_slow"].shift(1)
        )

    def leverage(
        self,
        pair: str,
        current_time: datetime,
        current_rate: float,
        proposed_leverage: float,
        max_leverage: float,
        entry_tag: str | None,
        side: str,
        **kwargs: Any,
    ) -> float:
        """A leverage per entry tag (1 for an unknown tag), within the market's maximum."""
        return min(self.leverage_by_tag.get(entry_tag or "", 1.0), max_leverage)


class DummyConsumerStrategy(FleetStrategy, IStrategy):
    """A consumer that trades exactly the producers' entry and exit signals.

    Set ``timeframe`` in the consumer config to the producers' timeframe. ROI and
    stoploss are far away so that the producers' signals decide.
    """

    INTERFACE_VERSION = 3
    timeframe = "5m"
    startup_candle_count = 0
    minimal_roi = {"0": 100.0}
    stoploss = -0.99
    use_exit_signal = True
    can_short = False

    def __init__(self, config: dict) -> None:
        if not is_consumer_config(config):
            raise StrategySetupError(
                "DummyConsumerStrategy only runs as a consumer; enable "
                "external_message_consumer with at least one producer, or use your own strategy"
            )
        super().__init__(config)

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe


__all__ = ["DummyConsumerStrategy", "FleetFuturesSampleStrategy", "FleetSampleStrategy"]
