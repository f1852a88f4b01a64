"""Data that ships with freqfleet: recorded candles and example configs.

Why one module: the simulator's replay model, ``freqfleet backtest`` and the docs all name
the same bundled dataset; its location is decided here once.
"""

from __future__ import annotations

from pathlib import Path

from freqfleet.errors import ConfigError

DATA_DIR = Path(__file__).resolve().parent / "data"
BUILTIN_DATASETS = ("binance-2018",)
DEFAULT_DATASET = "binance-2018"
EXAMPLES_DIR = DATA_DIR / "examples"


def dataset_dir(name: str = DEFAULT_DATASET) -> Path:
    """Folder of a dataset that ships with freqfleet (freqtrade's OHLCV file layout)."""
    if name not in BUILTIN_DATASETS:
        raise ConfigError(
            f"--dataset {name!r} is not a built-in dataset: use one of "
            f"{', '.join(BUILTIN_DATASETS)} or --model replay --data-dir DIR"
        )
    return DATA_DIR / name


__all__ = ["BUILTIN_DATASETS", "DATA_DIR", "DEFAULT_DATASET", "EXAMPLES_DIR", "dataset_dir"]
