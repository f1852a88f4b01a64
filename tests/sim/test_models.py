"""Market models: determinism, candle invariants, market structure, replay time shift."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from freqfleet.errors import ConfigError
from freqfleet.sim.candles import aggregate
from freqfleet.sim.models.replay import ReplayModel
from freqfleet.sim.models.synthetic import SyntheticModel
from freqfleet.sim.names import BASES, base_assets
from freqfleet.sim.server import dataset_dir

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


def test_pair_names_are_real_first_then_generated_and_unique() -> None:
    names = base_assets(1000)
    assert names[: len(BASES)] == list(BASES)
    assert len(set(names)) == 1000
    assert all(name.isalnum() and name.isupper() for name in names)
    model = SyntheticModel(pairs=150)
    assert model.markets[0].pair == "BTC/USDT" and len(model.markets) == 150


def test_aggregate_groups_base_candles() -> None:
    c = SyntheticModel(pairs=1).base_candles(0, START, 60)
    hourly = aggregate(c, 60)
    assert hourly.open[0] == c.open[0] and hourly.close[0] == c.close[-1]
    assert hourly.high[0] == c.high.max() and hourly.low[0] == c.low.min()
    assert hourly.volume[0] == c.volume.sum()


def test_replay_shifts_the_recording_to_end_at_the_anchor_and_cycles() -> None:
    directory = dataset_dir("binance-2018")
    anchor = 1_790_000_000_000 - 1_790_000_000_000 % 86_400_000
    model = ReplayModel.from_directory(directory, anchor_ms=anchor)
    assert [m.pair for m in model.markets][:3] == ["ADA/BTC", "DASH/BTC", "ETC/BTC"]
    assert model.base_ms == 300_000 and len(model.markets) == 10
    eth = [m.pair for m in model.markets].index("ETH/BTC")
    frames = [pd.read_feather(path) for path in sorted(directory.glob("*.feather"))]
    start = max(f["date"].iloc[0] for f in frames)
    end = min(f["date"].iloc[-1] for f in frames)
    frame = pd.read_feather(directory / "ETH_BTC-5m.feather")
    frame = frame[(frame["date"] >= start) & (frame["date"] <= end)]
    last_recorded = model.base_candles(eth, anchor // 300_000 - 1, 1)
    tick = model.markets[eth].tick
    assert last_recorded.close[0] * tick == pytest.approx(frame["close"].iloc[-1], abs=tick / 2)
    first_recorded = model.base_candles(eth, anchor // 300_000 - model.length, 1)
    assert first_recorded.open[0] * tick == pytest.approx(frame["open"].iloc[0], abs=tick / 2)
    # After the anchor it plays again, continuing from the last close (scaled, no jump).
    around = model.base_candles(eth, anchor // 300_000 - 2, 4)
    assert abs(int(around.open[2]) - int(around.close[1])) <= 1
    assert model.listed_ms % 86_400_000 == 0
    assert model.listed_ms <= anchor - model.length * 300_000
    assert len(model.limit_pairs(3).markets) == 3


def test_replay_reads_json_files_written_by_freqtrade(tmp_path: Path) -> None:
    from freqtrade.data.history.datahandlers.jsondatahandler import JsonDataHandler
    from freqtrade.enums import CandleType

    frame = pd.read_feather(dataset_dir("binance-2018") / "LTC_BTC-5m.feather").iloc[:500]
    JsonDataHandler(tmp_path).ohlcv_store("LTC/BTC", "5m", frame, CandleType.SPOT)
    model = ReplayModel.from_directory(tmp_path, anchor_ms=1_790_006_400_000)
    assert [m.pair for m in model.markets] == ["LTC/BTC"] and model.length == 500


def test_replay_rejects_folders_without_data(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--data-dir"):
        ReplayModel.from_directory(tmp_path)
    with pytest.raises(ConfigError, match="--data-dir"):
        ReplayModel.from_directory(tmp_path / "missing")


@pytest.mark.parametrize("period", [1, 4, 64, 1024])
def test_value_noise_is_the_same_for_long_and_short_windows(period: int) -> None:
    """Long windows take a faster path; a minute's value must not depend on it."""
    from freqfleet.sim.models.synthetic import _stream_key, _value_noise

    key = _stream_key(0, "BTCUSDT", "test")
    long = _value_noise(key, START + 3, 50_000, period)
    for offset in (0, 1, 777, 49_990):
        short = _value_noise(key, START + 3 + offset, 7, period)
        assert np.array_equal(short, long[offset : offset + 7])
