"""The dataset that ships with freqfleet, and the one-line error for any other name."""

from __future__ import annotations

import pytest

from freqfleet.datasets import BUILTIN_DATASETS, DEFAULT_DATASET, EXAMPLES_DIR, dataset_dir
from freqfleet.errors import ConfigError


def test_the_bundled_dataset_holds_freqtrade_candle_files() -> None:
    folder = dataset_dir()
    assert folder == dataset_dir(DEFAULT_DATASET) and DEFAULT_DATASET in BUILTIN_DATASETS
    assert sorted(folder.glob("*-5m.feather")), folder
    assert EXAMPLES_DIR.is_dir()


def test_an_unknown_dataset_names_the_option_and_the_choices() -> None:
    with pytest.raises(ConfigError) as raised:
        dataset_dir("binance-2031")
    assert str(raised.value) == (
        "--dataset 'binance-2031' is not a built-in dataset: use one of binance-2018 "
        "or --model replay --data-dir DIR"
    )
