"""The interface every market model implements, and the candle arrays it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from freqfleet.sim.markets import SimMarket


@dataclass(frozen=True)
class BaseCandles:
    """Closed candles as arrays: prices in ticks, volumes in lot steps (exact integers)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    quote_volume: np.ndarray
    trades: np.ndarray
    taker_volume: np.ndarray

    def __len__(self) -> int:
        return len(self.open)


class MarketModel(Protocol):
    """A deterministic market: same inputs, same candles, in every process."""

    name: str
    #: Length of one base candle in ms (every served interval is a multiple of it).
    base_ms: int
    #: Open time (ms) of the first candle served; aligned to whole days.
    listed_ms: int
    markets: list[SimMarket]

    def base_candles(self, market: int, start: int, count: int) -> BaseCandles:
        """``count`` closed base candles of ``markets[market]`` from base index ``start``."""
        ...

    def describe(self) -> str:
        """One line for the log and the console."""
        ...


__all__ = ["BaseCandles", "MarketModel"]
