"""The synthetic market model: determinism, candle invariants, market structure."""

from __future__ import annotations

import numpy as np
import pytest

from freqfleet.sim.models.synthetic import SyntheticModel

START = 29_300_000  # a minute index in 2025


def fields(candles) -> list[np.ndarray]:
    return [candles.open, candles.high, candles.low, candles.close, candles.volume, candles.trades]


def test_synthetic_candles_depend_only_on_seed_symbol_and_time() -> None:
    first = SyntheticModel(pairs=5, seed=3)
    again = SyntheticModel(pairs=5, seed=3)
    a = first.base_candles(2, START, 600)
    b = again.base_candles(2, START + 200, 600)  # another window of the same history
    for x, y in zip(fields(a), fields(b), strict=True):
        assert np.array_equal(x[200:], y[:400])
    other_seed = SyntheticModel(pairs=5, seed=4).base_candles(2, START, 600)
    assert not np.array_equal(a.close, other_seed.close)
    # More pairs do not change the existing ones.
    assert np.array_equal(
        SyntheticModel(pairs=50, seed=3).base_candles(2, START, 600).close, a.close
    )


def test_synthetic_candles_are_well_formed() -> None:
    model = SyntheticModel(pairs=30, seed=1)
    for index in (0, 4, 29):
        c = model.base_candles(index, START, 5000)
        assert np.all(c.high >= np.maximum(c.open, c.close))
        assert np.all(c.low <= np.minimum(c.open, c.close))
        assert np.all(c.low >= 1) and np.all(c.volume >= 1) and np.all(c.trades >= 1)
        assert np.all(c.taker_volume <= c.volume)
        assert np.array_equal(c.open[1:], c.close[:-1])  # continuous, no gaps
        assert np.all(c.high > c.low)  # wicks: candles are not flat


def test_synthetic_market_looks_like_a_market() -> None:
    """Volatility clusters, volume follows volatility, and prices move like crypto."""
    model = SyntheticModel(pairs=3, seed=0)
    c = model.base_candles(1, START, 60 * 24 * 20)
    returns = np.diff(np.log(c.close.astype(float)))
    size = np.abs(returns)
    clustering = np.corrcoef(size[:-1], size[1:])[0, 1]
    assert clustering > 0.1
    hourly = size[: len(size) // 60 * 60].reshape(-1, 60).sum(axis=1)
    volume = c.volume[1 : 1 + len(hourly) * 60].reshape(-1, 60).sum(axis=1)
    assert np.corrcoef(hourly, volume)[0, 1] > 0.3
    daily = np.diff(np.log(c.close[::1440].astype(float)))
    assert 0.005 < daily.std() < 0.2
    # Trends and ranges: the path wanders, it does not just wiggle around one level.
    assert c.close.max() / c.close.min() > 1.05


@pytest.mark.parametrize("period", [1, 4, 64, 1024])
def test_value_noise_is_the_same_for_long_and_short_windows(period: int) -> None:
    """Long windows take a faster path; a minute's value must not depend on it."""
    from freqfleet.sim.models.synthetic import _stream_key, _value_noise

    key = _stream_key(0, "BTCUSDT", "test")
    long = _value_noise(key, START + 3, 50_000, period)
    for offset in (0, 1, 777, 49_990):
        short = _value_noise(key, START + 3 + offset, 7, period)
        assert np.array_equal(short, long[offset : offset + 7])
