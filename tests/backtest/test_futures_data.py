"""Perpetuals made from the bundled recording: the files freqtrade's futures backtesting
reads, at the simulator's prices and funding rates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from freqtrade.data.history import get_datahandler
from freqtrade.enums import CandleType

from freqfleet.backtest.futures_data import USDT_PER_BTC, perpetual_of, write_futures_dataset
from freqfleet.compat.candle_files import funding_rates_have_own_columns
from freqfleet.datasets import dataset_dir
from freqfleet.sim import funding_rate


@pytest.fixture(scope="module")
def futures_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("futures-data")
    written = write_futures_dataset(dataset_dir(), target, ["ETH/BTC", "LTC/BTC"])
    assert (
        written
        == ["ETH/USDT:USDT", "LTC/USDT:USDT"]
        == [perpetual_of(pair) for pair in ("ETH/BTC", "LTC/BTC")]
    )
    return target


def test_the_spot_candles_list_the_markets_for_the_simulator(futures_data: Path) -> None:
    assert sorted(p.name for p in futures_data.glob("*.feather")) == [
        "ETH_USDT-5m.feather",
        "LTC_USDT-5m.feather",
    ]


def test_perpetuals_have_futures_mark_and_funding_rate_files(futures_data: Path) -> None:
    data = get_datahandler(futures_data, "feather")
    spot = pd.read_feather(dataset_dir() / "ETH_BTC-5m.feather")
    candles = data.ohlcv_load("ETH/USDT:USDT", "5m", CandleType.FUTURES)
    assert (futures_data / "futures" / "ETH_USDT_USDT-5m-futures.feather").is_file()
    assert candles["close"].iat[-1] == pytest.approx(spot["close"].iat[-1] * USDT_PER_BTC)
    mark = data.ohlcv_load("ETH/USDT:USDT", "1h", CandleType.MARK)
    assert (mark["date"].diff().dropna() == pd.Timedelta(hours=1)).all()
    # As freqtrade's backtesting loads them: no filled-in hours between funding times.
    funding = data.ohlcv_load("LTC/USDT:USDT", "1h", CandleType.FUNDING_RATE, fill_missing=False)
    assert set(funding["date"].dt.hour) == {0, 8, 16}  # Binance's funding times
    rate = "funding_rate" if funding_rates_have_own_columns() else "open"  # by release
    first = funding.iloc[0]
    expected = funding_rate(7, 1, int(first["date"].value // 1_000_000))
    assert first[rate] == pytest.approx(float(expected))
    assert funding[rate].abs().max() <= 0.00075
