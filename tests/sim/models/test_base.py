"""Every market model keeps the interface's promises: whole-day listing, base candles of
the asked length in exact integers, a one-line description."""

from __future__ import annotations

import numpy as np
import pytest

from freqfleet.sim.models.base import BaseCandles, MarketModel
from freqfleet.sim.models.replay import ReplayModel
from freqfleet.sim.models.synthetic import SyntheticModel
from freqfleet.sim.server import dataset_dir
from freqfleet.sim.timeframes import DAY_MS

MODELS = {
    "synthetic": lambda: SyntheticModel(pairs=3, seed=1),
    "replay": lambda: ReplayModel.from_directory(dataset_dir()),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_model_serves_exact_base_candles(name: str) -> None:
    model: MarketModel = MODELS[name]()
    assert model.listed_ms % DAY_MS == 0 and DAY_MS % model.base_ms == 0
    assert model.markets and model.describe() and "\n" not in model.describe()
    start = model.listed_ms // model.base_ms + 10
    candles = model.base_candles(0, start, 50)
    assert isinstance(candles, BaseCandles) and len(candles) == 50
    for field in ("open", "high", "low", "close", "volume", "trades"):
        values = getattr(candles, field)
        assert len(values) == 50 and np.issubdtype(values.dtype, np.integer), field
    assert (candles.high >= np.maximum(candles.open, candles.close)).all()
    assert (candles.low <= np.minimum(candles.open, candles.close)).all()
    again = model.base_candles(0, start, 50)
    assert np.array_equal(again.close, candles.close)
