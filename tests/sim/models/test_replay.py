"""The replay model: a recording shifted to end now, read from freqtrade data files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from freqfleet.errors import ConfigError
from freqfleet.sim.models.replay import ReplayModel
from freqfleet.sim.server import dataset_dir


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
