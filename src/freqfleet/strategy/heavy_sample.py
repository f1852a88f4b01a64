"""A CPU-heavy sample strategy: what a fleet is for, and what ``bench/fleet_scaling.py`` runs.

``FleetHeavySampleStrategy`` costs about 100 ms of analysis per pair and candle on one
core, from real indicators (not sleeping), with about 230 columns and three informative
timeframes: the kind of strategy that takes one bot longer than a candle on 100+ pairs.
``freqfleet plan`` finds it by name like the other samples (``samples`` re-exports it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib
from freqtrade.strategy import IStrategy, informative
from pandas import DataFrame

from freqfleet.strategy.fleet import FleetStrategy


def _hurst(window: np.ndarray) -> float:
    """Rescaled-range Hurst estimate of a price window (< 0.5: mean reverting)."""
    returns = np.diff(np.log(window))
    returns = returns - returns.mean()
    spread = returns.std()
    if not spread > 0:
        return np.nan
    path = np.cumsum(returns)
    return float(np.log((path.max() - path.min()) / spread) / np.log(len(returns)))


def _trend_r2(window: np.ndarray) -> float:
    """R² of a straight line through a price window (1: a clean trend)."""
    steps = np.arange(len(window), dtype=float)
    steps -= steps.mean()
    centred = window - window.mean()
    scale = (steps @ steps) * (centred @ centred)
    return float((steps @ centred) ** 2 / scale) if scale > 0 else np.nan


def _permutation_entropy(window: np.ndarray) -> float:
    """Normalised permutation entropy (order 3) of a window's moves (1: noise)."""
    moves = np.diff(window)
    a, b, c = moves[:-2], moves[1:-1], moves[2:]
    patterns = (a > b).astype(np.int64) * 4 + (b > c) * 2 + (a > c)
    counts = np.bincount(patterns, minlength=8)
    shares = counts[counts > 0] / len(patterns)
    return float(-(shares * np.log(shares)).sum() / np.log(6))


def _trend_indicators(frame: DataFrame) -> DataFrame:
    """A few trend and range indicators for an informative timeframe."""
    high, low, close = (frame[c].to_numpy(float) for c in ("high", "low", "close"))
    upper, middle, lower = talib.BBANDS(close, 20, 2.0, 2.0)
    columns = {
        "rsi": talib.RSI(close, 14),
        "ema_fast": talib.EMA(close, 12),
        "ema_slow": talib.EMA(close, 50),
        "adx": talib.ADX(high, low, close, 14),
        "atr": talib.NATR(high, low, close, 14),
        "bb_pct": (close - lower) / (upper - lower),
        "bb_width": (upper - lower) / middle,
        "zscore": ((frame["close"] - frame["close"].rolling(50).mean())
                   / frame["close"].rolling(50).std()).to_numpy(),
    }  # fmt: skip
    return pd.concat([frame, DataFrame(columns, index=frame.index)], axis=1)


def _talib_columns(dataframe: DataFrame, periods: tuple[int, ...]) -> dict[str, np.ndarray]:
    """talib's indicators at each of ``periods``, Bollinger bands, MACDs, oscillators."""
    open_, high, low, close, volume = (
        dataframe[c].to_numpy(float) for c in ("open", "high", "low", "close", "volume")
    )
    columns: dict[str, np.ndarray] = {}
    for n in periods:
        columns[f"rsi_{n}"] = talib.RSI(close, n)
        columns[f"ema_{n}"] = talib.EMA(close, n)
        columns[f"sma_{n}"] = talib.SMA(close, n)
        columns[f"wma_{n}"] = talib.WMA(close, n)
        columns[f"kama_{n}"] = talib.KAMA(close, n)
        columns[f"tema_{n}"] = talib.TEMA(close, n)
        columns[f"atr_{n}"] = talib.ATR(high, low, close, n)
        columns[f"natr_{n}"] = talib.NATR(high, low, close, n)
        columns[f"adx_{n}"] = talib.ADX(high, low, close, n)
        columns[f"plus_di_{n}"] = talib.PLUS_DI(high, low, close, n)
        columns[f"minus_di_{n}"] = talib.MINUS_DI(high, low, close, n)
        columns[f"cci_{n}"] = talib.CCI(high, low, close, n)
        columns[f"mfi_{n}"] = talib.MFI(high, low, close, volume, n)
        columns[f"willr_{n}"] = talib.WILLR(high, low, close, n)
        columns[f"roc_{n}"] = talib.ROC(close, n)
        columns[f"cmo_{n}"] = talib.CMO(close, n)
        columns[f"aroonosc_{n}"] = talib.AROONOSC(high, low, n)
        columns[f"slope_{n}"] = talib.LINEARREG_SLOPE(close, n)
    for n in (20, 50):
        upper, middle, lower = talib.BBANDS(close, n, 2.0, 2.0)
        columns[f"bb_upper_{n}"], columns[f"bb_lower_{n}"] = upper, lower
        columns[f"bb_width_{n}"] = (upper - lower) / middle
        columns[f"bb_pct_{n}"] = (close - lower) / (upper - lower)
    for fast, slow, signal in ((12, 26, 9), (5, 35, 5), (24, 52, 18)):
        macd, macd_signal, histogram = talib.MACD(close, fast, slow, signal)
        columns[f"macd_{fast}_{slow}"] = macd
        columns[f"macdsignal_{fast}_{slow}"] = macd_signal
        columns[f"macdhist_{fast}_{slow}"] = histogram
    columns["slowk"], columns["slowd"] = talib.STOCH(high, low, close)
    columns["fastk_rsi"], columns["fastd_rsi"] = talib.STOCHRSI(close)
    columns["obv"] = talib.OBV(close, volume)
    columns["ad"] = talib.AD(high, low, close, volume)
    columns["adosc"] = talib.ADOSC(high, low, close, volume)
    columns["sar"] = talib.SAR(high, low)
    columns["ultosc"] = talib.ULTOSC(high, low, close)
    columns["body"] = (close - open_) / (high - low + 1e-12)
    return columns


def _rolling_columns(dataframe: DataFrame, windows: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Rolling statistics of price, returns and volume over each of ``windows``."""
    columns: dict[str, np.ndarray] = {}
    price, amount = dataframe["close"], dataframe["volume"]
    returns = price.pct_change()
    log_returns = np.log(price).diff()
    for w in windows:
        rolling = price.rolling(w)
        columns[f"zscore_{w}"] = ((price - rolling.mean()) / rolling.std()).to_numpy()
        columns[f"q10_{w}"] = rolling.quantile(0.1).to_numpy()
        columns[f"q90_{w}"] = rolling.quantile(0.9).to_numpy()
        columns[f"rank_{w}"] = rolling.rank(pct=True).to_numpy()
        columns[f"high_{w}"] = dataframe["high"].rolling(w).max().to_numpy()
        columns[f"low_{w}"] = dataframe["low"].rolling(w).min().to_numpy()
        moves = returns.rolling(w)
        columns[f"vol_{w}"] = moves.std().to_numpy()
        columns[f"skew_{w}"] = moves.skew().to_numpy()
        columns[f"kurt_{w}"] = moves.kurt().to_numpy()
        volume_mean = amount.rolling(w).mean()
        columns[f"volz_{w}"] = ((amount - volume_mean) / amount.rolling(w).std()).to_numpy()
        columns[f"corr_pv_{w}"] = log_returns.rolling(w).corr(amount.pct_change()).to_numpy()
        columns[f"vwap_{w}"] = (
            (price * amount).rolling(w).sum() / amount.rolling(w).sum()
        ).to_numpy()
        columns[f"ewm_vol_{w}"] = log_returns.ewm(span=w).std().to_numpy()
    return columns


class FleetHeavySampleStrategy(FleetStrategy, IStrategy):
    """A CPU-heavy strategy for benchmarks: what a fleet is for.

    About 100 ms of analysis per pair and candle on one core (50 to 200 ms depending on the
    machine) from real indicators, not from sleeping: 18 talib indicators at 7 periods,
    Bollinger bands, three MACDs, stochastics, volume indicators, rolling quantiles, ranks,
    skew, kurtosis and price/volume correlations over 5 windows, three rolling-window
    estimators computed window by window (Hurst exponent, trend R², permutation entropy),
    and trend indicators on 5m, 15m and 1h informative candles. About 230 columns, like
    the strategies that take a bot longer than a candle on 100+ pairs.

    Entry: a mean-reversion score (oversold on ``entry_score`` of 8 measures, within a
    rising hourly trend) crossing its threshold. Exit: the overbought mirror. Run it with
    ``timeframe`` 1m (benchmarks) or 5m. ``bench/fleet_scaling.py`` runs it as one ordinary
    bot and as fleets of K producers plus a consumer.
    """

    INTERFACE_VERSION = 3
    timeframe = "1m"
    startup_candle_count = 300
    process_only_new_candles = True
    minimal_roi = {"0": 0.03}
    stoploss = -0.05
    use_exit_signal = True
    exit_profit_only = False
    can_short = False

    periods = (7, 14, 21, 30, 50, 100, 200)
    windows = (10, 20, 50, 100, 200)
    entry_score = 5
    """How many of the 8 oversold measures must agree for an entry (fewer: more signals)."""
    exit_score = 5

    @informative("5m")
    def populate_indicators_5m(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return _trend_indicators(dataframe)

    @informative("15m")
    def populate_indicators_15m(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return _trend_indicators(dataframe)

    @informative("1h")
    def populate_indicators_1h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return _trend_indicators(dataframe)

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        columns = {
            **_talib_columns(dataframe, self.periods),
            **_rolling_columns(dataframe, self.windows),
        }
        price = dataframe["close"]
        columns["hurst_64"] = price.rolling(65).apply(_hurst, raw=True).to_numpy()
        columns["trend_r2_50"] = price.rolling(50).apply(_trend_r2, raw=True).to_numpy()
        columns["perm_entropy_30"] = (
            price.rolling(30).apply(_permutation_entropy, raw=True).to_numpy()
        )
        return pd.concat([dataframe, DataFrame(columns, index=dataframe.index)], axis=1)

    def _scores(self, dataframe: DataFrame) -> tuple[pd.Series, pd.Series]:
        oversold = (
            (dataframe["rsi_14"] < 40).astype(int)
            + (dataframe["cci_14"] < -80)
            + (dataframe["mfi_14"] < 40)
            + (dataframe["willr_14"] < -75)
            + (dataframe["zscore_50"] < -1.0)
            + (dataframe["bb_pct_20"] < 0.15)
            + (dataframe["fastk_rsi"] < 20)
            + (dataframe["hurst_64"] < 0.55)
        )
        overbought = (
            (dataframe["rsi_14"] > 60).astype(int)
            + (dataframe["cci_14"] > 80)
            + (dataframe["mfi_14"] > 60)
            + (dataframe["willr_14"] > -25)
            + (dataframe["zscore_50"] > 1.0)
            + (dataframe["bb_pct_20"] > 0.85)
            + (dataframe["fastk_rsi"] > 80)
            + (dataframe["trend_r2_50"] > 0.5)
        )
        return oversold, overbought

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        oversold, _ = self._scores(dataframe)
        crossed = (oversold >= self.entry_score) & (oversold.shift(1) < self.entry_score)
        hourly_up = dataframe["ema_fast_1h"] >= dataframe["ema_slow_1h"] * 0.98
        enter = crossed & hourly_up & (dataframe["volume"] > 0)
        dataframe.loc[enter, "enter_long"] = 1
        dataframe.loc[enter, "enter_tag"] = "oversold_score"
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        _, overbought = self._scores(dataframe)
        leave = overbought >= self.exit_score
        dataframe.loc[leave, "exit_long"] = 1
        dataframe.loc[leave, "exit_tag"] = "overbought"
        return dataframe


__all__ = ["FleetHeavySampleStrategy"]
