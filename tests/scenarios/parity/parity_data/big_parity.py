"""BigParity: a test strategy shaped like the large public ones (NostalgiaForInfinity style).

It is the plain bot of the parity tests: a consumer running ``BigParityFleet`` on the
producers' frames must decide exactly as a bot running ``BigParity`` on its own analysis.
What makes it demanding, as the big public strategies are:

- about 225 columns: talib indicators over many periods, pandas rolling statistics,
  ``@informative`` frames on 15m, 1h, 4h and 1d (with their ``date_<tf>`` columns) and a
  market pair merged with ``merge_informative_pair`` (``BTC/<stake>``, ``ETH/BTC`` when the
  stake is BTC);
- every dtype a frame carries: datetimes (UTC), floats, bools, ints, a ``str`` column
  (``regime``) and an ``object`` column of strings (``vol_state``);
- several ``enter_tag``/``exit_tag`` values;
- callbacks that read ``self.dp.get_analyzed_dataframe(pair, self.timeframe)`` and index
  ``iloc[-1]``/``iloc[-2]`` by column name without checking the columns exist, one of them
  comparing ``date_1h`` with ``date`` as datetimes.

Each callback's answer depends only on its arguments, the trade and the analysed frame.
The 1d informative uses windows of at most 5 candles: a bot started on the bundled data
may see only about ten daily candles. Start-up needs about 400 candles of 5m history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import talib
import talib.abstract as ta
from freqtrade.persistence import Order, Trade
from freqtrade.strategy import IStrategy, informative, merge_informative_pair
from pandas import DataFrame

from freqfleet.strategy import FleetStrategy

RSI_PERIODS = (3, 4, 6, 14, 20, 50)
EMA_PERIODS = (8, 12, 16, 20, 26, 50, 100, 200)
SMA_PERIODS = (9, 15, 20, 30, 50, 75, 100, 200)
ROLLING_WINDOWS = (6, 12, 24, 48, 96, 144)
CHANGE_PERIODS = (1, 3, 6, 12, 24, 48, 72, 144)


def _zscore(series: pd.Series, window: int) -> pd.Series:
    mean = series.rolling(window).mean()
    std = series.rolling(window).std()
    return (series - mean) / std.replace(0.0, np.nan)


def _cti(series: pd.Series, window: int) -> pd.Series:
    """pandas-ta's Correlation Trend Indicator: correlation of price with a straight line."""
    line = pd.Series(np.arange(len(series), dtype="float64"), index=series.index)
    return series.rolling(window).corr(line)


def _streak(flags: np.ndarray) -> np.ndarray:
    """Length of the current run of True values (0 on a False row), as int64."""
    counts = np.cumsum(flags, dtype="int64")
    return counts - np.maximum.accumulate(np.where(flags, 0, counts))


class BigParity(IStrategy):
    INTERFACE_VERSION = 3

    timeframe = "5m"
    startup_candle_count = 200
    can_short = False
    process_only_new_candles = True

    minimal_roi = {"0": 0.06, "60": 0.04, "180": 0.025, "480": 0.012, "1440": 0.0}
    stoploss = -0.1
    use_custom_stoploss = True
    use_custom_roi = True
    trailing_stop = False

    use_exit_signal = True
    exit_profit_only = False
    ignore_roi_if_entry_signal = False

    position_adjustment_enable = True
    max_entry_position_adjustment = 2

    order_types = {
        "entry": "limit",
        "exit": "limit",
        "stoploss": "market",
        "stoploss_on_exchange": False,
    }
    unfilledtimeout = {"entry": 10, "exit": 10, "exit_timeout_count": 0, "unit": "minutes"}

    # -- informative timeframes of the traded pair -----------------------------------------
    # Each returns date and close plus a few indicators: freqtrade's merge of each
    # informative frame back-fills the first rows column by column (about 0.2 ms per column
    # of the merged frame), so narrow informative frames keep the analysis cheap.

    @informative("15m")
    def populate_indicators_15m(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        close = dataframe["close"].to_numpy()
        dataframe["rsi_14"] = talib.RSI(close, timeperiod=14)
        dataframe["ema_20"] = talib.EMA(close, timeperiod=20)
        dataframe["bb_lowerband"] = talib.BBANDS(close, timeperiod=20)[2]
        dataframe["atr_14"] = ta.ATR(dataframe, timeperiod=14)
        return dataframe[["date", "close", "rsi_14", "ema_20", "bb_lowerband", "atr_14"]]

    @informative("1h")
    def populate_indicators_1h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        close = dataframe["close"].to_numpy()
        dataframe["rsi_14"] = talib.RSI(close, timeperiod=14)
        dataframe["ema_20"] = talib.EMA(close, timeperiod=20)
        dataframe["ema_50"] = talib.EMA(close, timeperiod=50)
        dataframe["macdhist"] = talib.MACD(close, fastperiod=12, slowperiod=26, signalperiod=9)[2]
        dataframe["zscore_24"] = _zscore(dataframe["close"], 24)
        dataframe["trend"] = np.where(dataframe["ema_20"] > dataframe["ema_50"], 1, -1)
        return dataframe[
            ["date", "close", "rsi_14", "ema_20", "ema_50", "macdhist", "zscore_24", "trend"]
        ]

    @informative("4h")
    def populate_indicators_4h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi_14"] = ta.RSI(dataframe, timeperiod=14)
        dataframe["ema_12"] = ta.EMA(dataframe, timeperiod=12)
        dataframe["cci_10"] = ta.CCI(dataframe, timeperiod=10)
        dataframe["low_min_6"] = dataframe["low"].rolling(6).min()
        return dataframe[["date", "close", "rsi_14", "ema_12", "cci_10", "low_min_6"]]

    @informative("1d")
    def populate_indicators_1d(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        # Windows of at most 5 candles: about ten daily candles may be all there is.
        dataframe["rsi_3"] = ta.RSI(dataframe, timeperiod=3)
        dataframe["ema_5"] = ta.EMA(dataframe, timeperiod=5)
        dataframe["pct_change_1"] = dataframe["close"].pct_change(1)
        dataframe["high_max_3"] = dataframe["high"].rolling(3, min_periods=1).max()
        return dataframe[["date", "close", "rsi_3", "ema_5", "pct_change_1", "high_max_3"]]

    # -- the market pair ---------------------------------------------------------------

    def market_pair(self) -> str:
        stake = self.config["stake_currency"]
        return "ETH/BTC" if stake == "BTC" else f"BTC/{stake}"

    def informative_pairs(self):
        return [(self.market_pair(), self.timeframe)]

    def market_indicators(self) -> DataFrame:
        market = self.dp.get_pair_dataframe(self.market_pair(), self.timeframe)
        high, low = market["high"].to_numpy(), market["low"].to_numpy()
        close = market["close"]
        values = close.to_numpy()
        ema_50 = talib.EMA(values, timeperiod=50)
        rsi_14 = talib.RSI(values, timeperiod=14)
        frame = DataFrame(
            {
                "date": market["date"],
                "close": close,
                "rsi_14": rsi_14,
                "rsi_3": talib.RSI(values, timeperiod=3),
                "ema_20": talib.EMA(values, timeperiod=20),
                "ema_50": ema_50,
                "ema_200": talib.EMA(values, timeperiod=200),
                "pct_change_1": close.pct_change(1),
                "pct_change_12": close.pct_change(12),
                "pct_change_48": close.pct_change(48),
                "zscore_48": _zscore(close, 48),
                "atr_14": talib.ATR(high, low, values, timeperiod=14),
                "not_downtrend": ((values > ema_50) | (rsi_14 > 45)).astype("float64"),
            },
            index=market.index,
        )
        frame.columns = [f"btc_{column}" for column in frame.columns]
        return frame

    # -- the base timeframe ------------------------------------------------------------

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        # The market pair first, while the frame is narrow (the merge copies every column).
        dataframe = merge_informative_pair(
            dataframe,
            self.market_indicators(),
            self.timeframe,
            self.timeframe,
            ffill=True,
            date_column="btc_date",
        )
        o = dataframe["open"].to_numpy(dtype="float64")
        h = dataframe["high"].to_numpy(dtype="float64")
        lo = dataframe["low"].to_numpy(dtype="float64")
        c = dataframe["close"].to_numpy(dtype="float64")
        v = dataframe["volume"].to_numpy(dtype="float64")
        close, high, low = dataframe["close"], dataframe["high"], dataframe["low"]
        volume = dataframe["volume"]
        new: dict[str, Any] = {}

        for period in RSI_PERIODS:
            new[f"rsi_{period}"] = talib.RSI(c, timeperiod=period)
        for period in EMA_PERIODS:
            new[f"ema_{period}"] = talib.EMA(c, timeperiod=period)
        for period in SMA_PERIODS:
            new[f"sma_{period}"] = talib.SMA(c, timeperiod=period)
        new["wma_20"] = talib.WMA(c, timeperiod=20)
        new["dema_20"] = talib.DEMA(c, timeperiod=20)
        new["tema_20"] = talib.TEMA(c, timeperiod=20)
        new["kama_30"] = talib.KAMA(c, timeperiod=30)
        new["trima_20"] = talib.TRIMA(c, timeperiod=20)

        upper, middle, lower = talib.BBANDS(c, timeperiod=20, nbdevup=2.0, nbdevdn=2.0)
        new["bb_lowerband_20"] = lower
        new["bb_middleband_20"] = middle
        new["bb_upperband_20"] = upper
        with np.errstate(divide="ignore", invalid="ignore"):
            new["bb_width_20"] = (upper - lower) / middle
            new["bb_percent_20"] = (c - lower) / (upper - lower)
        upper, middle, lower = talib.BBANDS(c, timeperiod=40, nbdevup=2.0, nbdevdn=2.0)
        new["bb_lowerband_40"] = lower
        new["bb_middleband_40"] = middle
        new["bb_upperband_40"] = upper

        new["macd"], new["macdsignal"], new["macdhist"] = talib.MACD(
            c, fastperiod=12, slowperiod=26, signalperiod=9
        )
        new["atr_14"] = talib.ATR(h, lo, c, timeperiod=14)
        new["atr_7"] = talib.ATR(h, lo, c, timeperiod=7)
        new["natr_14"] = talib.NATR(h, lo, c, timeperiod=14)
        new["trange"] = talib.TRANGE(h, lo, c)
        new["adx_14"] = talib.ADX(h, lo, c, timeperiod=14)
        new["plus_di_14"] = talib.PLUS_DI(h, lo, c, timeperiod=14)
        new["minus_di_14"] = talib.MINUS_DI(h, lo, c, timeperiod=14)
        new["cci_14"] = talib.CCI(h, lo, c, timeperiod=14)
        new["cci_20"] = talib.CCI(h, lo, c, timeperiod=20)
        new["mfi_14"] = talib.MFI(h, lo, c, v, timeperiod=14)
        new["slowk"], new["slowd"] = talib.STOCH(
            h, lo, c, fastk_period=14, slowk_period=3, slowd_period=3
        )
        new["stochrsi_fastk"], new["stochrsi_fastd"] = talib.STOCHRSI(
            c, timeperiod=14, fastk_period=3, fastd_period=3
        )
        new["willr_14"] = talib.WILLR(h, lo, c, timeperiod=14)
        new["roc_9"] = talib.ROC(c, timeperiod=9)
        new["mom_10"] = talib.MOM(c, timeperiod=10)
        new["obv"] = talib.OBV(c, v)
        new["aroondown_14"], new["aroonup_14"] = talib.AROON(h, lo, timeperiod=14)
        new["ultosc"] = talib.ULTOSC(h, lo, c)
        new["sar"] = talib.SAR(h, lo)
        new["trix_15"] = talib.TRIX(c, timeperiod=15)
        new["cmo_14"] = talib.CMO(c, timeperiod=14)
        new["bop"] = talib.BOP(o, h, lo, c)

        # pandas-ta style rolling statistics
        for window in ROLLING_WINDOWS:
            mean = close.rolling(window).mean()
            std = close.rolling(window).std()
            new[f"close_mean_{window}"] = mean
            new[f"close_std_{window}"] = std
            new[f"low_min_{window}"] = low.rolling(window).min()
            new[f"high_max_{window}"] = high.rolling(window).max()
            new[f"zscore_{window}"] = (close - mean) / std.replace(0.0, np.nan)
            new[f"volume_mean_{window}"] = volume.rolling(window).mean()
        for period in CHANGE_PERIODS:
            new[f"pct_change_{period}"] = close.pct_change(period)
        for shift in (1, 2, 3):
            new[f"close_shift_{shift}"] = close.shift(shift)
        rsi_14 = pd.Series(new["rsi_14"], index=close.index)
        new["rsi_14_shift_1"] = rsi_14.shift(1)
        new["rsi_14_shift_2"] = rsi_14.shift(2)
        new["ema_12_shift_1"] = pd.Series(new["ema_12"], index=close.index).shift(1)

        new["dist_ema_20"] = c / new["ema_20"] - 1.0
        new["dist_ema_50"] = c / new["ema_50"] - 1.0
        new["dist_ema_200"] = c / new["ema_200"] - 1.0
        new["dist_sma_200"] = c / new["sma_200"] - 1.0
        new["dist_bb_lower"] = c / new["bb_lowerband_20"] - 1.0
        new["ema_12_26_diff"] = (new["ema_12"] - new["ema_26"]) / c

        new["hl2"] = (h + lo) / 2.0
        new["hlc3"] = (h + lo + c) / 3.0
        new["ohlc4"] = (o + h + lo + c) / 4.0
        new["body"] = np.abs(c - o) / o
        new["upper_wick"] = (h - np.maximum(o, c)) / o
        new["lower_wick"] = (np.minimum(o, c) - lo) / o
        new["range_pct"] = (h - lo) / c

        new["ema_5"] = talib.EMA(c, timeperiod=5)
        new["ema_9"] = talib.EMA(c, timeperiod=9)
        new["ema_35"] = talib.EMA(c, timeperiod=35)
        new["ewo"] = (new["ema_5"] - new["ema_35"]) / c * 100.0
        new["hma_55"] = talib.WMA(
            2.0 * talib.WMA(c, timeperiod=27) - talib.WMA(c, timeperiod=55), timeperiod=7
        )
        new["macd_fast"], new["macdsignal_fast"], new["macdhist_fast"] = talib.MACD(
            c, fastperiod=8, slowperiod=17, signalperiod=9
        )
        new["fastk"], new["fastd"] = talib.STOCHF(h, lo, c, fastk_period=5, fastd_period=3)
        new["adx_28"] = talib.ADX(h, lo, c, timeperiod=28)
        new["linreg_slope_20"] = talib.LINEARREG_SLOPE(c, timeperiod=20)
        new["rsi_14_ema_9"] = talib.EMA(new["rsi_14"], timeperiod=9)
        new["cdl_hammer"] = talib.CDLHAMMER(o, h, lo, c)
        new["cdl_engulfing"] = talib.CDLENGULFING(o, h, lo, c)
        new["kc_upper_20"] = new["ema_20"] + 2.0 * new["atr_14"]
        new["kc_middle_20"] = new["ema_20"]
        new["kc_lower_20"] = new["ema_20"] - 2.0 * new["atr_14"]

        ha_close = (o + h + lo + c) / 4.0
        seed = np.concatenate(([(o[0] + c[0]) / 2.0], ha_close[:-1])) if len(c) else ha_close
        ha_open = pd.Series(seed).ewm(alpha=0.5, adjust=False).mean().to_numpy()
        new["ha_open"] = ha_open
        new["ha_close"] = ha_close
        new["ha_high"] = np.maximum(h, np.maximum(ha_open, ha_close))
        new["ha_low"] = np.minimum(lo, np.minimum(ha_open, ha_close))

        donchian_high, donchian_low = high.rolling(20).max(), low.rolling(20).min()
        new["donchian_upper_20"] = donchian_high
        new["donchian_lower_20"] = donchian_low
        new["donchian_mid_20"] = (donchian_high + donchian_low) / 2.0
        atr_sum = pd.Series(new["trange"], index=close.index).rolling(14).sum()
        new["chop_14"] = (
            100.0
            * np.log10(atr_sum / (high.rolling(14).max() - low.rolling(14).min()))
            / np.log10(14)
        )
        typical = (high + low + close) / 3.0
        new["vwap_24"] = (typical * volume).rolling(24).sum() / volume.rolling(24).sum()
        log_return = np.log(close / close.shift(1))
        new["log_return"] = log_return
        new["volatility_24"] = log_return.rolling(24).std()
        new["volatility_96"] = log_return.rolling(96).std()
        new["volume_change_1"] = volume.pct_change(1)
        new["close_to_high_48"] = close / new["high_max_48"]
        new["close_to_low_48"] = close / new["low_min_48"]
        new["hour"] = dataframe["date"].dt.hour
        new["cti_20"] = _cti(close, 20)
        high_14, low_14 = high.rolling(14).max(), low.rolling(14).min()
        new["r_14"] = (high_14 - close) / (high_14 - low_14).replace(0.0, np.nan) * -100.0
        high_96, low_96 = new["high_max_96"], new["low_min_96"]
        new["r_96"] = (high_96 - close) / (high_96 - low_96).replace(0.0, np.nan) * -100.0
        new["volume_zscore_48"] = _zscore(volume, 48)
        new["volume_ratio_12"] = volume / new["volume_mean_12"].replace(0.0, np.nan)

        # bool, int and string columns
        is_green = c > o
        new["is_green"] = is_green
        new["vol_spike"] = v > 3.0 * new["volume_mean_48"].to_numpy()
        width = pd.Series(new["bb_width_20"], index=close.index)
        new["bb_squeeze"] = (width < width.rolling(96).quantile(0.2)).to_numpy()
        new["above_ema_200"] = c > new["ema_200"]
        new["red_streak"] = _streak(c < o)
        new["green_streak"] = _streak(is_green)
        bull = (new["ema_50"] > new["ema_200"]) & (c > new["ema_50"])
        bear = (new["ema_50"] < new["ema_200"]) & (c < new["ema_50"])
        new["regime_code"] = np.select([bull, bear], [1, -1], 0).astype("int64")
        new["regime"] = np.select([bull, bear], ["bull", "bear"], "range")
        natr = new["natr_14"]
        natr_mean = pd.Series(natr, index=close.index).rolling(144, min_periods=14).mean()
        natr_mean = natr_mean.to_numpy()
        new["vol_state"] = pd.Series(
            np.select([natr > 1.3 * natr_mean, natr < 0.7 * natr_mean], ["high", "low"], "normal"),
            index=close.index,
            dtype=object,
        )

        new["mkt_ok"] = (dataframe["btc_not_downtrend_5m"] > 0.5) & (
            dataframe["btc_pct_change_12_5m"] > -0.02
        )
        return pd.concat([dataframe, DataFrame(new, index=dataframe.index)], axis=1)

    # One condition per tag; where several hold on a candle, the later tag wins.

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        frame = dataframe
        conditions = [
            (
                "rsi_dip",
                (frame["rsi_14"] < 32)
                & (frame["close"] < frame["bb_lowerband_20"] * 1.004)
                & (frame["rsi_14_1h"] > 25),
            ),
            (
                "ema_cross",
                (frame["ema_12"] > frame["ema_26"])
                & (frame["ema_12_shift_1"] <= frame["ema_26"].shift(1))
                & (frame["close"] > frame["ema_200"] * 0.97),
            ),
            (
                "bb_bounce",
                (frame["close"] > frame["bb_lowerband_20"])
                & (frame["close_shift_1"] < frame["bb_lowerband_20"].shift(1))
                & (frame["mfi_14"] < 45),
            ),
            (
                "trend_pullback",
                (frame["close"] > frame["ema_100"])
                & (frame["rsi_4"] < 22)
                & (frame["ema_20_1h"] > frame["ema_50_1h"] * 0.99),
            ),
            (
                "mkt_rebound",
                frame["mkt_ok"]
                & (frame["zscore_48"] < -1.8)
                & (frame["btc_rsi_14_5m"] > 35)
                & (frame["regime"] != "bear"),
            ),
        ]
        volume_ok = (frame["volume"] > 0).to_numpy()
        tags = np.full(len(frame), "", dtype=object)
        for tag, condition in conditions:
            tags[condition.to_numpy() & volume_ok] = tag
        dataframe["enter_long"] = (tags != "").astype("int64")
        dataframe["enter_tag"] = tags
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        frame = dataframe
        conditions = [
            ("rsi_high", frame["rsi_14"] > 72),
            (
                "ema_cross_down",
                (frame["ema_12"] < frame["ema_26"])
                & (frame["ema_12_shift_1"] >= frame["ema_26"].shift(1))
                & (frame["rsi_14"] < 50),
            ),
            ("bb_top", (frame["close"] > frame["bb_upperband_20"]) & (frame["rsi_4"] > 88)),
            ("zscore_high", frame["zscore_48"] > 2.4),
        ]
        volume_ok = (frame["volume"] > 0).to_numpy()
        tags = np.full(len(frame), "", dtype=object)
        for tag, condition in conditions:
            tags[condition.to_numpy() & volume_ok] = tag
        dataframe["exit_long"] = (tags != "").astype("int64")
        dataframe["exit_tag"] = tags
        return dataframe

    # -- callbacks: each reads the analysed frame's last two candles -------------------

    def custom_exit(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs,
    ) -> str | None:
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        if current_profit > 0.012 and last["rsi_14"] > 66 and last["rsi_14"] < previous["rsi_14"]:
            return "rsi_fade"
        entry_rsi = trade.get_custom_data("entry_rsi")
        if (
            entry_rsi is not None
            and current_profit < -0.03
            and last["regime"] == "bear"
            and last["rsi_14"] < entry_rsi
        ):
            return "bear_cut"
        fresh_hour = last["date_1h"] > last["date"] - timedelta(hours=1)
        if fresh_hour and current_profit > 0.004 and last["close_1h"] < last["ema_20_1h"]:
            return "hour_weak"
        if current_time - trade.open_date_utc > timedelta(hours=3) and current_profit > 0.0:
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
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        atr_distance = 2.5 * last["atr_14"] / current_rate
        if current_profit > 0.02:
            return -max(0.008, min(atr_distance, 0.03))
        if last["regime"] == "bear" and previous["regime"] == "bear":
            return -max(0.02, min(1.5 * atr_distance, 0.08))
        return None

    def custom_roi(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        trade_duration: int,
        entry_tag: str | None,
        side: str,
        **kwargs,
    ) -> float | None:
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        if entry_tag == "rsi_dip" and last["natr_14"] > previous["natr_14"]:
            return 0.01 + last["natr_14"] / 100.0
        if trade_duration > 240 and last["regime"] == "bear":
            return 0.004
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
        dataframe, _ = self.dp.get_analyzed_dataframe(trade.pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        if (
            current_profit > 0.02
            and trade.nr_of_successful_exits == 0
            and last["rsi_14"] > 64
            and previous["rsi_14"] > 60
        ):
            return -(trade.stake_amount * 0.4), "take_partial"
        entries = trade.nr_of_successful_entries
        if (
            entries <= self.max_entry_position_adjustment
            and current_profit < -0.015 * entries
            and last["rsi_14"] < 38
            and last["rsi_14"] > previous["rsi_14"]
        ):
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
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        factor = {"bull": 1.0, "range": 0.8, "bear": 0.6}[last["regime"]]
        if last["vol_spike"] or previous["vol_spike"]:
            factor *= 0.75
        stake = proposed_stake * factor
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
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        if entry_tag in ("rsi_dip", "bb_bounce"):
            target = (last["close"] + previous["close"]) / 2.0
            if proposed_rate * 0.995 < target < proposed_rate:
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
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        if last["regime"] == "bear" and last["close"] < previous["close"]:
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
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        if last["vol_state"] == "high" and previous["vol_state"] == "high":
            return False
        return not rate > last["close"] * 1.02

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
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        if exit_reason in ("exit_signal", "ema_cross_down"):
            # Hold through an oversold dip instead of selling on a losing signal (a tagged
            # signal's exit_reason is its exit_tag).
            return not (
                last["rsi_14"] < 45
                and last["close"] < last["bb_middleband_20"]
                and previous["close"] < previous["bb_middleband_20"]
                and trade.calc_profit_ratio(rate) < 0.0
            )
        return True

    def order_filled(
        self, pair: str, trade: Trade, order: Order, current_time: datetime, **kwargs
    ) -> None:
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        if order.ft_order_side == trade.entry_side:
            if trade.nr_of_successful_entries == 1:
                trade.set_custom_data("entry_rsi", float(last["rsi_14"]))
                trade.set_custom_data("entry_regime", str(last["regime"]))
            trade.set_custom_data("entries", trade.nr_of_successful_entries)
        else:
            trade.set_custom_data("exit_rsi_rising", bool(last["rsi_14"] > previous["rsi_14"]))

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
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        last = dataframe.iloc[-1]
        previous = dataframe.iloc[-2]
        if last["regime"] == "bull" and previous["regime"] == "bull":
            return min(2.0, max_leverage)
        return 1.0


class BigParityFleet(FleetStrategy, BigParity):
    pass
