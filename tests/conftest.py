"""Test-wide settings, and fixtures tests of several packages use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from freqfleet import compat
from freqfleet.sim import RunningSimulator, running_simulator
from tests.kit.scheduling import DurationRecorder, longest_first_scheduling, ordered
from tests.kit.user_config import USER_STRATEGY

# No per-example deadline: it is a timing assertion, and the suite shares two cores with
# end-to-end fleets. CI runs the property tests with a fixed derivation of examples, so a
# red run can be reproduced exactly; developers keep hypothesis's random exploration.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-durations",
        action="store_true",
        help="write each test file's seconds to tests/durations.json (the files' order)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Workers report to the main process, which records.
    if config.getoption("record_durations") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(DurationRecorder(), "record-durations")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files by their recorded time, longest first (tests/kit/scheduling.py): with the suite
    spread over several workers (``make test``), the longest files start at once instead of
    lengthening the tail."""
    items[:] = ordered(items)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` hands files out longest first, one at a time per worker."""
    if config.getvalue("dist") != "loadfile":
        return None
    return longest_first_scheduling(config, log)
