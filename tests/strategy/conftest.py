"""Fixtures for the fleet strategy's tests inside real freqtrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kit.fleet_strategy import make_user_data
from tests.kit.freqtrade_api import OTHER_TOKEN, WS_TOKEN, freqtrade_api_server


@pytest.fixture
def user_data(tmp_path: Path) -> Path:
    """A user_data folder with the recording strategies (see tests/kit/fleet_strategy.py)."""
    return make_user_data(tmp_path)


@pytest.fixture
def producer_port() -> Iterator[int]:
    """freqtrade's own API server accepting ``WS_TOKEN`` and ``OTHER_TOKEN``; its port."""
    with freqtrade_api_server([WS_TOKEN, OTHER_TOKEN]) as port:
        yield port
