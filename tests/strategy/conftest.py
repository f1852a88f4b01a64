"""Fixtures for the fleet strategy's tests inside real freqtrade."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit.fleet_strategy import make_user_data


@pytest.fixture
def user_data(tmp_path: Path) -> Path:
    """A user_data folder with the recording strategies (see tests/kit/fleet_strategy.py)."""
    return make_user_data(tmp_path)
