"""Pair names: real base assets first, then generated ones, all unique."""

from __future__ import annotations

from freqfleet.sim.models.synthetic import SyntheticModel
from freqfleet.sim.names import BASES, base_assets


def test_pair_names_are_real_first_then_generated_and_unique() -> None:
    names = base_assets(1000)
    assert names[: len(BASES)] == list(BASES)
    assert len(set(names)) == 1000
    assert all(name.isalnum() and name.isupper() for name in names)
    model = SyntheticModel(pairs=150)
    assert model.markets[0].pair == "BTC/USDT" and len(model.markets) == 150
