"""BigFuturesParity: a long/short futures strategy shaped like the large public ones.

The plain bot of the futures parity test: a consumer running ``BigFuturesParityFleet`` on
the producers' frames must decide exactly as a bot running ``BigFuturesParity`` on its own
analysis, on USDT-settled swaps (``ETH/USDT:USDT``). What makes it demanding:

- about 200 columns: talib indicators over many periods, rolling statistics, ``@informative``
  frames on 15m and 1h, the 1h ``mark`` candles and the ``funding_rate`` candles of the
  traded pair, and a market pair (``BTC/USDT:USDT``) through ``@informative`` with an asset;
- ``can_short``: long and short entries and exits, each with several tags;
- ``leverage`` chosen by entry tag and the frame; ``custom_exit``, ``custom_stoploss``,
  prices and confirmations that read the side of the trade; DCA and partial exits.

Every callback reads ``self.dp.get_analyzed_dataframe`` and indexes ``iloc[-1]``/``iloc[-2]``
unguarded, as the big public strategies do.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import talib
from freqtrade.persistence import Order, Trade
from freqtrade.strategy import IStrategy, informative
from pandas import DataFrame

from freqfleet.strategy import FleetStrategy

PERIODS = (5, 7, 9, 14, 20, 28, 50)
AVERAGE_PERIODS = (8, 12, 16, 20, 26, 50, 100, 200)
ROLLING_WINDOWS = (6, 12, 24, 48, 96, 144)
CHANGE_PERIODS = (1, 3, 6, 12, 24, 48, 72, 144)
LEVERAGE_BY_TAG = {
    "rsi_dip": 3.0,
    "bb_bounce": 2.0,
    "trend_pullback": 4.0,
    "rsi_spike": 3.0,
    "bb_reject": 2.0,
    "trend_fade": 5.0,
}


def _zscore(series: pd.Series, window: int) -> pd.Series:
    mean = series.rolling(window).mean()
    std = series.rolling(window).std()
    return (series - mean) / std.replace(0.0, np.nan)


def _tags(frame: DataFrame, conditions: list[tuple[str, pd.Series]]) -> np.ndarray:
    """One tag per candle: where several conditions hold, the later one wins."""
    volume_ok = (frame["volume"] > 0).to_numpy()
    tags = np.full(len(frame), "", dtype=object)
    for tag, condition in conditions:
        tags[condition.to_numpy() & volume_ok] = tag
    return tags


class BigFuturesParity(IStrategy):
    INTERFACE_VERSION = 3

    timeframe = "5m"
    startup_candle_count = 200
    can_short = True
    process_only_new_candles = True

    minimal_roi = {"0": 0.08, "120": 0.03, "600": 0.0}
    stoploss = -0.15
    use_custom_stoploss = True
    trailing_stop = False
    use_exit_signal = True
    exit_profit_only = False

    position_adjustment_enable = True
    max_entry_position_adjustment = 2

    order_types = {
        "entry": "limit",
        "exit": "limit",
        "stoploss": "market",
        "stoploss_on_exchange": False,
    }

    # -- informative frames -------------------------------------------------------------

    @informative("15m")
    def populate_indicators_15m(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        close = dataframe["close"].to_numpy()
        dataframe["rsi_14"] = talib.RSI(close, timeperiod=14)
        dataframe["ema_20"] = talib.EMA(close, timeperiod=20)
        dataframe["bb_upperband"] = talib.BBANDS(close, timeperiod=20)[0]
        dataframe["bb_lowerband"] = talib.BBANDS(close, timeperiod=20)[2]
        return dataframe[["date", "close", "rsi_14", "ema_20", "bb_upperband", "bb_lowerband"]]

    @informative("1h")
    def populate_indicators_1h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        close = dataframe["close"].to_numpy()
        dataframe["rsi_14"] = talib.RSI(close, timeperiod=14)
        dataframe["ema_20"] = talib.EMA(close, timeperiod=20)
        dataframe["ema_50"] = talib.EMA(close, timeperiod=50)
        dataframe["trend"] = np.where(dataframe["ema_20"] > dataframe["ema_50"], 1, -1)
        return dataframe[["date", "close", "rsi_14", "ema_20", "ema_50", "trend"]]

    @informative("1h", candle_type="mark", fmt="mark_{column}_{timeframe}")
    def populate_indicators_mark(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["ema_12"] = talib.EMA(dataframe["close"].to_numpy(), timeperiod=12)
        return dataframe[["date", "close", "high", "low", "ema_12"]]

    @informative("1h", candle_type="funding_rate", fmt="funding_{column}_{timeframe}")
    def populate_indicators_funding(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rate_mean_8"] = dataframe["funding_rate"].rolling(8, min_periods=1).mean()
        return dataframe[["date", "funding_rate", "rate_mean_8"]]

    @informative("5m", "BTC/{stake}:{stake}")
    def populate_indicators_btc(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        close = dataframe["close"]
        values = close.to_numpy()
        dataframe["rsi_14"] = talib.RSI(values, timeperiod=14)
        dataframe["ema_50"] = talib.EMA(values, timeperiod=50)
        dataframe["pct_change_12"] = close.pct_change(12)
        dataframe["zscore_48"] = _zscore(close, 48)
        return dataframe[["date", "close", "rsi_14", "ema_50", "pct_change_12", "zscore_48"]]

    # -- the base timeframe ---------------------------------------------------------------

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        o = dataframe["open"].to_numpy(dtype="float64")
        h = dataframe["high"].to_numpy(dtype="float64")
        lo = dataframe["low"].to_numpy(dtype="float64")
        c = dataframe["close"].to_numpy(dtype="float64")
        v = dataframe["volume"].to_numpy(dtype="float64")
        close, high, low, volume = (dataframe[k] for k in ("close", "high", "low", "volume"))
        new: dict[str, Any] = {}
        for p in PERIODS:
            new[f"rsi_{p}"] = talib.RSI(c, timeperiod=p)
            new[f"cci_{p}"] = talib.CCI(h, lo, c, timeperiod=p)
            new[f"willr_{p}"] = talib.WILLR(h, lo, c, timeperiod=p)
            new[f"mfi_{p}"] = talib.MFI(h, lo, c, v, timeperiod=p)
            new[f"adx_{p}"] = talib.ADX(h, lo, c, timeperiod=p)
            new[f"cmo_{p}"] = talib.CMO(c, timeperiod=p)
            new[f"roc_{p}"] = talib.ROC(c, timeperiod=p)
            new[f"mom_{p}"] = talib.MOM(c, timeperiod=p)
            new[f"atr_{p}"] = talib.ATR(h, lo, c, timeperiod=p)
            new[f"natr_{p}"] = talib.NATR(h, lo, c, timeperiod=p)
        for p in AVERAGE_PERIODS:
            new[f"ema_{p}"] = talib.EMA(c, timeperiod=p)
            new[f"sma_{p}"] = talib.SMA(c, timeperiod=p)
            new[f"wma_{p}"] = talib.WMA(c, timeperiod=p)
            new[f"dist_ema_{p}"] = c / new[f"ema_{p}"] - 1.0
        for window in ROLLING_WINDOWS:
            mean, std = close.rolling(window).mean(), close.rolling(window).std()
            new[f"close_mean_{window}"] = mean
            new[f"close_std_{window}"] = std
            new[f"low_min_{window}"] = low.rolling(window).min()
            new[f"high_max_{window}"] = high.rolling(window).max()
            new[f"zscore_{window}"] = (close - mean) / std.replace(0.0, np.nan)
            new[f"volume_mean_{window}"] = volume.rolling(window).mean()
        for period in CHANGE_PERIODS:
            new[f"pct_change_{period}"] = close.pct_change(period)
        upper, middle, lower = talib.BBANDS(c, timeperiod=20, nbdevup=2.0, nbdevdn=2.0)
        new["bb_upperband_20"], new["bb_middleband_20"], new["bb_lowerband_20"] = (
            upper,
            middle,
            lower,
        )
        new["macd"], new["macdsignal"], new["macdhist"] = talib.MACD(c, 12, 26, 9)
        new["sar"] = talib.SAR(h, lo)
        new["bop"] = talib.BOP(o, h, lo, c)
        new["ema_12_shift_1"] = pd.Series(new["ema_12"], index=close.index).shift(1)
        new["ema_26_shift_1"] = pd.Series(new["ema_26"], index=close.index).shift(1)
        new["close_shift_1"] = close.shift(1)
        # bool, int and string columns
        new["is_green"] = c > o
        new["above_ema_200"] = c > new["ema_200"]
        bull = (new["ema_50"] > new["ema_200"]) & (c > new["ema_50"])
        bear = (new["ema_50"] < new["ema_200"]) & (c < new["ema_50"])
        new["regime_code"] = np.select([bull, bear], [1, -1], 0).astype("int64")
        new["regime"] = np.select([bull, bear], ["bull", "bear"], "range")
        new["hour"] = dataframe["date"].dt.hour
        frame = pd.concat([dataframe, DataFrame(new, index=dataframe.index)], axis=1)
        frame["premium"] = frame["close"] / frame["mark_close_1h"] - 1.0
        frame["funding_hot"] = frame["funding_funding_rate_1h"] > 0.0003
        return frame

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        f = dataframe
        long_tags = _tags(
            f,
            [
                ("rsi_dip", (f["rsi_14"] < 33) & (f["close"] < f["bb_lowerband_20"] * 1.004)),
                ("bb_bounce", (f["close"] > f["bb_lowerband_20"]) & (f["zscore_48"] < -1.6)),
                (
                    "trend_pullback",
                    (f["close"] > f["ema_100"]) & (f["rsi_5"] < 25) & (f["trend_1h"] > 0),
                ),
            ],
        )
        short_tags = _tags(
            f,
            [
                ("rsi_spike", (f["rsi_14"] > 67) & (f["close"] > f["bb_upperband_20"] * 0.996)),
                ("bb_reject", (f["close"] < f["bb_upperband_20"]) & (f["zscore_48"] > 1.6)),
                (
                    "trend_fade",
                    (f["close"] < f["ema_100"]) & (f["rsi_5"] > 75) & (f["trend_1h"] < 0),
                ),
            ],
        )
        both = (long_tags != "") & (short_tags != "")
        short_tags[both] = ""
        dataframe["enter_long"] = (long_tags != "").astype("int64")
        dataframe["enter_short"] = (short_tags != "").astype("int64")
        dataframe["enter_tag"] = np.where(long_tags != "", long_tags, short_tags)
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        f = dataframe
        long_exits = _tags(
            f,
            [
                ("rsi_high", f["rsi_14"] > 72),
                (
                    "ema_cross_down",
                    (f["ema_12"] < f["ema_26"]) & (f["ema_12_shift_1"] >= f["ema_26_shift_1"]),
                ),
            ],
        )
        short_exits = _tags(
            f,
            [
                ("rsi_low", f["rsi_14"] < 28),
                (
                    "ema_cross_up",
                    (f["ema_12"] > f["ema_26"]) & (f["ema_12_shift_1"] <= f["ema_26_shift_1"]),
                ),
            ],
        )
        dataframe["exit_long"] = (long_exits != "").astype("int64")
        dataframe["exit_short"] = (short_exits != "").astype("int64")
        dataframe["exit_tag"] = np.where(long_exits != "", long_exits, short_exits)
        return dataframe

    # -- callbacks: each reads the analysed frame's last two candles ----------------------

    def _last_two(self, pair: str) -> tuple[pd.Series, pd.Series]:
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        return dataframe.iloc[-1], dataframe.iloc[-2]

    def leverage(
        self,
        pair: str,
        current_time: datetime,
        current_rate: float,
        proposed_leverage: float,
        max_leverage: float,
        entry_tag: str | None,
        side: str,
        **kwargs,
    ) -> float:
        last, previous = self._last_two(pair)
        wanted = LEVERAGE_BY_TAG.get(entry_tag or "", 1.0)
        against = last["regime"] == ("bear" if side == "long" else "bull")
        if against or (last["funding_hot"] and side == "long"):
            wanted = max(1.0, wanted - 1.0)
        if last["natr_14"] > previous["natr_14"] * 1.2:
            wanted = 1.0
        return min(wanted, max_leverage)

    def custom_exit(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs,
    ) -> str | None:
        last, previous = self._last_two(pair)
        if trade.is_short:
            if (
                current_profit > 0.01
                and last["rsi_14"] < 35
                and last["rsi_14"] > previous["rsi_14"]
            ):
                return "short_rsi_turn"
            if current_profit < -0.04 and last["regime"] == "bull":
                return "short_bull_cut"
        else:
            if (
                current_profit > 0.01
                and last["rsi_14"] > 65
                and last["rsi_14"] < previous["rsi_14"]
            ):
                return "long_rsi_fade"
            if current_profit < -0.04 and last["regime"] == "bear":
                return "long_bear_cut"
        fresh_hour = last["date_1h"] > last["date"] - timedelta(hours=1)
        if fresh_hour and current_profit > 0.004 and abs(last["premium"]) > 0.0004:
            return "premium_take"
        if current_time - trade.open_date_utc > timedelta(hours=4) and current_profit > 0.0:
            return "stale_profit"
        return None

    def custom_stoploss(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        after_fill: bool,
        **kwargs,
    ) -> float | None:
        last, previous = self._last_two(pair)
        atr_distance = 2.5 * last["atr_14"] / current_rate * trade.leverage
        if current_profit > 0.02:
            return -max(0.01, min(atr_distance, 0.05))
        hostile = "bull" if trade.is_short else "bear"
        if last["regime"] == hostile and previous["regime"] == hostile:
            return -max(0.03, min(1.5 * atr_distance, 0.12))
        return None

    def adjust_trade_position(
        self,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        min_stake: float | None,
        max_stake: float,
        current_entry_rate: float,
        current_exit_rate: float,
        current_entry_profit: float,
        current_exit_profit: float,
        **kwargs,
    ) -> float | tuple[float | None, str | None] | None:
        last, previous = self._last_two(trade.pair)
        extreme = last["rsi_14"] > 64 if not trade.is_short else last["rsi_14"] < 36
        if current_profit > 0.02 and trade.nr_of_successful_exits == 0 and extreme:
            return -(trade.stake_amount * 0.4), "take_partial"
        entries = trade.nr_of_successful_entries
        turning = (
            last["rsi_14"] > previous["rsi_14"]
            if not trade.is_short
            else last["rsi_14"] < previous["rsi_14"]
        )
        losing = current_profit < -0.015 * entries
        if entries <= self.max_entry_position_adjustment and losing and turning:
            stake = min(trade.stake_amount * 0.5, max_stake)
            if min_stake is not None and stake < min_stake:
                return None
            return stake, f"dca_{entries}"
        return None

    def custom_stake_amount(
        self,
        pair: str,
        current_time: datetime,
        current_rate: float,
        proposed_stake: float,
        min_stake: float | None,
        max_stake: float,
        leverage: float,
        entry_tag: str | None,
        side: str,
        **kwargs,
    ) -> float:
        last, previous = self._last_two(pair)
        with_regime = last["regime"] == ("bull" if side == "long" else "bear")
        factor = 1.0 if with_regime else 0.7
        if previous["funding_hot"]:
            factor *= 0.8
        stake = proposed_stake * factor / max(leverage, 1.0) * 2.0
        if min_stake is not None:
            stake = max(stake, min_stake)
        return min(stake, max_stake)

    def custom_entry_price(
        self,
        pair: str,
        trade: Trade | None,
        current_time: datetime,
        proposed_rate: float,
        entry_tag: str | None,
        side: str,
        **kwargs,
    ) -> float:
        last, previous = self._last_two(pair)
        target = (last["close"] + previous["close"]) / 2.0
        if side == "long" and proposed_rate * 0.995 < target < proposed_rate:
            return target
        if side == "short" and proposed_rate < target < proposed_rate * 1.005:
            return target
        return proposed_rate

    def custom_exit_price(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        proposed_rate: float,
        current_profit: float,
        exit_tag: str | None,
        **kwargs,
    ) -> float:
        last, previous = self._last_two(pair)
        if trade.is_short and last["close"] > previous["close"]:
            return max(proposed_rate, last["close"])
        if not trade.is_short and last["close"] < previous["close"]:
            return min(proposed_rate, last["close"])
        return proposed_rate

    def confirm_trade_entry(
        self,
        pair: str,
        order_type: str,
        amount: float,
        rate: float,
        time_in_force: str,
        current_time: datetime,
        entry_tag: str | None,
        side: str,
        **kwargs,
    ) -> bool:
        last, previous = self._last_two(pair)
        if side == "short" and last["funding_funding_rate_1h"] < -0.0004:
            return False  # shorts pay funding
        if side == "long" and last["funding_hot"] and previous["funding_hot"]:
            return False
        return abs(rate / last["close"] - 1.0) < 0.02

    def confirm_trade_exit(
        self,
        pair: str,
        trade: Trade,
        order_type: str,
        amount: float,
        rate: float,
        time_in_force: str,
        exit_reason: str,
        current_time: datetime,
        **kwargs,
    ) -> bool:
        if exit_reason == "force_exit":
            return True
        last, previous = self._last_two(pair)
        if exit_reason in ("exit_signal", "ema_cross_down", "ema_cross_up"):
            moving_our_way = (
                last["close"] < previous["close"]
                if trade.is_short
                else last["close"] > previous["close"]
            )
            return not (moving_our_way and trade.calc_profit_ratio(rate) < 0.0)
        return True

    def order_filled(
        self, pair: str, trade: Trade, order: Order, current_time: datetime, **kwargs
    ) -> None:
        last, previous = self._last_two(pair)
        if order.ft_order_side == trade.entry_side:
            trade.set_custom_data("entry_rsi", float(last["rsi_14"]))
            trade.set_custom_data("entry_funding", float(last["funding_funding_rate_1h"]))
        else:
            trade.set_custom_data("exit_rsi_rising", bool(last["rsi_14"] > previous["rsi_14"]))


class BigFuturesParityFleet(FleetStrategy, BigFuturesParity):
    pass
