"""Market models: where the simulator's candles come from.

A model answers one question: the closed *base* candles (the finest timeframe it knows)
of one market for a range of base-candle indices (index = open time // base length).
Everything else (other timeframes, the candle in progress, tickers, order books) is
derived from those by :mod:`freqfleet.sim.candles`, the same way for every model.
"""

from freqfleet.sim.models.base import BaseCandles, MarketModel
from freqfleet.sim.models.replay import ReplayModel
from freqfleet.sim.models.synthetic import SyntheticModel

__all__ = ["BaseCandles", "MarketModel", "ReplayModel", "SyntheticModel"]
