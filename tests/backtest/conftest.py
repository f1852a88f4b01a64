"""Fixtures for the backtest tests: markets from the simulator, configs on disk."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from freqfleet.backtest.commands import offline_markets
from tests.kit.backtest_configs import FREQTRADE_TEMPLATES


@pytest.fixture(scope="session")
def bundled_markets() -> Iterator[dict[str, Any]]:
    """The exchange section of a simulator replaying the bundled candles (markets only)."""
    with offline_markets(None) as exchange:
        yield exchange


@pytest.fixture
def sample_userdir(tmp_path: Path) -> Path:
    """A user_data folder holding freqtrade's own sample strategy (class SampleStrategy)."""
    strategies = tmp_path / "user_data" / "strategies"
    strategies.mkdir(parents=True)
    shutil.copy(FREQTRADE_TEMPLATES / "sample_strategy.py", strategies / "sample_strategy.py")
    return tmp_path / "user_data"


@pytest.fixture
def hand_made(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The hand-made case of ``tests/backtest/hand_made.py``: config, data and user_data."""
    from tests.backtest.hand_made import write_hand_made

    return write_hand_made(tmp_path)
