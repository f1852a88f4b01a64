"""Test-wide settings, and fixtures tests of several packages use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from freqfleet import compat
from freqfleet.sim import RunningSimulator, running_simulator
from tests.kit.user_config import USER_STRATEGY

# CI runs the property tests with a fixed derivation of examples, so a red run can be
# reproduced exactly; developers keep hypothesis's random exploration.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True, scope="module")
def _freqtrade_as_found_by_the_module() -> Iterator[None]:
    """What a module's fixtures patch in freqtrade (``freqfleet.compat``) is undone after it."""
    since = compat.mark()
    yield
    compat.undo_patches(since)


@pytest.fixture(autouse=True)
def _freqtrade_as_found() -> Iterator[None]:
    """What a test patches in freqtrade (``freqfleet.compat``) is undone after it."""
    since = compat.mark()
    yield
    compat.undo_patches(since)


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    """A user's folder: user_data/strategies/MyStrategy.py (the config is written by tests)."""
    folder = tmp_path / "user"
    strategies = folder / "user_data" / "strategies"
    strategies.mkdir(parents=True)
    (strategies / "my_strategy.py").write_text(USER_STRATEGY, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def simulator() -> RunningSimulator:
    """One real simulator (12 pairs, seed 5), shared by the session."""
    with running_simulator(pairs=12, seed=5) as sim:
        yield sim


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow end-to-end tests first (their order kept), then the rest: with the suite spread
    over several workers (``make test``), the longest files start at once instead of
    lengthening the tail."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
