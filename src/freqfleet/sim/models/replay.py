"""Replaying recorded freqtrade OHLCV files as a live market.

Why time-shifted and cycling: bots need a market that is "now", so the recording is moved
in time to end at 00:00 UTC of the day the simulator starts (the anchor) and then plays
again from its beginning, forever, in both directions. Each repetition is scaled by
(last close / first open) so that one cycle's first open continues from the previous
cycle's last close instead of jumping. With a fixed anchor, every process started the
same day serves identical candles.

Files are read with freqtrade's own data handlers (feather, parquet, json, jsongz), with
missing candles filled as freqtrade fills them. The finest timeframe present is the base:
every served interval is a multiple of it (5m data cannot serve 1m candles).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from freqfleet.errors import ConfigError
from freqfleet.sim.markets import SimMarket
from freqfleet.sim.models.base import BaseCandles
from freqfleet.sim.timeframes import DAY_MS

if TYPE_CHECKING:
    from pandas import DataFrame

FORMATS = ("feather", "parquet", "json", "jsongz")


def _decimals(values: np.ndarray, most: int = 8) -> int:
    """Fewest decimals (0..most) that write every value exactly (to float noise)."""
    finite = values[np.isfinite(values)]
    for decimals in range(most + 1):
        scaled = finite * 10.0**decimals
        if np.all(np.abs(scaled - np.rint(scaled)) < 1e-3):
            return decimals
    return most


@dataclass(frozen=True)
class _Series:
    """One market's recording: prices in ticks, volume in steps (float arrays)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    growth: float  # last close / first open: the scale from one cycle to the next


def _available_files(directory: Path) -> dict[tuple[str, str], str]:
    """(pair, timeframe) -> data format of every spot OHLCV file in ``directory``."""
    from freqtrade.data.history.datahandlers.idatahandler import get_datahandlerclass
    from freqtrade.enums import CandleType, TradingMode

    found: dict[tuple[str, str], str] = {}
    for data_format in FORMATS:
        handler_class = get_datahandlerclass(data_format)
        for pair, timeframe, candle_type in handler_class.ohlcv_get_available_data(
            directory, TradingMode.SPOT
        ):
            if candle_type == CandleType.SPOT and "/" in pair and ":" not in pair:
                found.setdefault((pair, timeframe), data_format)
    return found


def _load_frames(
    directory: Path, found: dict[tuple[str, str], str], base_ms: int
) -> dict[str, DataFrame]:
    """Each pair's candles of the base timeframe, missing candles filled (two at least)."""
    from freqtrade.data.history.datahandlers.idatahandler import get_datahandlerclass
    from freqtrade.enums import CandleType
    from freqtrade.exchange import timeframe_to_msecs

    pairs = sorted(pair for pair, tf in found if timeframe_to_msecs(tf) == base_ms)
    frames = {}
    for pair in pairs:
        timeframe = next(tf for p, tf in found if p == pair and timeframe_to_msecs(tf) == base_ms)
        handler = get_datahandlerclass(found[(pair, timeframe)])(directory)
        frame = handler.ohlcv_load(
            pair, timeframe, CandleType.SPOT, fill_missing=True, warn_no_data=False
        )
        if len(frame) >= 2:
            frames[pair] = frame
    return frames


def _market_series(pair: str, frame: DataFrame) -> tuple[SimMarket, _Series]:
    """The market a recording implies (its decimals) and the recording in its units."""
    base, quote = pair.split("/")
    prices = frame[["open", "high", "low", "close"]].to_numpy(dtype=np.float64)
    volume = frame["volume"].to_numpy(dtype=np.float64)
    market = SimMarket(base, quote, _decimals(prices.ravel()), _decimals(volume))
    ticks = prices * 10.0**market.price_decimals
    recording = _Series(
        open=ticks[:, 0],
        high=ticks[:, 1],
        low=ticks[:, 2],
        close=ticks[:, 3],
        volume=volume * 10.0**market.amount_decimals,
        growth=float(ticks[-1, 3] / ticks[0, 0]) if ticks[0, 0] > 0 else 1.0,
    )
    return market, recording


class ReplayModel:
    """Recorded candles of several pairs, replayed around ``anchor_ms``."""

    name = "replay"

    def __init__(
        self,
        markets: list[SimMarket],
        series: list[_Series],
        base_ms: int,
        anchor_ms: int,
        source: str,
    ) -> None:
        self.markets = markets
        self._series = series
        self.base_ms = base_ms
        self.anchor_ms = anchor_ms - anchor_ms % base_ms
        self.source = source
        self.length = len(series[0].open)
        recording_start = self.anchor_ms - self.length * base_ms
        self.listed_ms = recording_start - recording_start % DAY_MS

    @classmethod
    def from_directory(cls, directory: Path, anchor_ms: int | None = None) -> ReplayModel:
        """Load every spot OHLCV file of the finest timeframe found in ``directory``."""
        from freqtrade.exchange import timeframe_to_msecs

        directory = Path(directory)
        if not directory.is_dir():
            raise ConfigError(
                f"--data-dir {directory}: no such folder; point it at freqtrade OHLCV files"
            )
        found = _available_files(directory)
        if not found:
            raise ConfigError(
                f"--data-dir {directory} holds no freqtrade OHLCV files (PAIR-TIMEFRAME.feather, "
                ".parquet or .json): fill it with `freqtrade download-data` or use --dataset binance-2018"
            )
        base_ms = min(timeframe_to_msecs(tf) for _, tf in found)
        if DAY_MS % base_ms:
            raise ConfigError(f"--data-dir {directory}: the finest timeframe must divide one day")
        frames = _load_frames(directory, found, base_ms)
        if not frames:
            raise ConfigError(
                f"--data-dir {directory}: the OHLCV files are empty; download data again"
            )
        # One common time range, so that every pair cycles with the same period.
        start = max(frame["date"].iloc[0] for frame in frames.values())
        end = min(frame["date"].iloc[-1] for frame in frames.values())
        markets, series = [], []
        for pair, frame in frames.items():
            frame = frame[(frame["date"] >= start) & (frame["date"] <= end)]
            if len(frame) < 2:
                continue
            market, recording = _market_series(pair, frame)
            series.append(recording)
            markets.append(market)
        if not markets:
            raise ConfigError(
                f"--data-dir {directory}: the pairs' recordings do not overlap in time"
            )
        if anchor_ms is None:
            now = time.time_ns() // 1_000_000
            anchor_ms = now - now % DAY_MS
        return cls(markets, series, base_ms, anchor_ms, str(directory))

    def limit_pairs(self, count: int) -> ReplayModel:
        """The first ``count`` pairs only (``--pairs`` with replay)."""
        if count <= 0 or count >= len(self.markets):
            return self
        return ReplayModel(
            self.markets[:count], self._series[:count], self.base_ms, self.anchor_ms, self.source
        )

    def describe(self) -> str:
        days = self.length * self.base_ms / DAY_MS
        return (
            f"replay of {self.source}: {len(self.markets)} pairs, {days:.1f} days of "
            f"{self.base_ms // 60_000}m candles repeating, recording ends at the anchor "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(self.anchor_ms / 1000))}"
        )

    def base_candles(self, market: int, start: int, count: int) -> BaseCandles:
        series = self._series[market]
        spec = self.markets[market]
        offset = np.arange(start, start + count, dtype=np.int64) - self.anchor_ms // self.base_ms
        cycle = np.floor_divide(offset, self.length)
        position = offset - cycle * self.length
        scale = (
            np.power(series.growth, (cycle + 1).astype(np.float64)) if series.growth != 1.0 else 1.0
        )
        o = np.maximum(np.rint(series.open[position] * scale), 1).astype(np.int64)
        c = np.maximum(np.rint(series.close[position] * scale), 1).astype(np.int64)
        h = np.maximum(np.rint(series.high[position] * scale).astype(np.int64), np.maximum(o, c))
        lo = np.maximum(
            np.minimum(np.rint(series.low[position] * scale).astype(np.int64), np.minimum(o, c)), 1
        )
        volume = np.rint(series.volume[position]).astype(np.int64)
        typical = (o + h + lo + c) * (spec.tick / 4.0)
        quote_volume = volume * spec.step * typical
        # The files hold no trade counts: estimate them from a typical trade of a hundred
        # minimum orders, which keeps counts proportional to traded value.
        trades = np.where(
            volume > 0, np.maximum(np.rint(quote_volume / (100 * spec.min_notional)), 1), 0
        )
        taker = volume // 2
        return BaseCandles(o, h, lo, c, volume, quote_volume, trades.astype(np.int64), taker)


__all__ = ["FORMATS", "ReplayModel"]
