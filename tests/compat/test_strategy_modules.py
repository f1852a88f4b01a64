"""A consumer's strategy code read from disk again by its next bot: freqtrade's resolver
alone reloads the file it loads but keeps what that file imported; the consumer's cleanup
forgets those modules, and reports the files it runs."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from freqfleet import compat
from freqfleet.strategy import samples
from tests.kit.fleet_strategy import bot_config, load_strategy, make_user_data

TUNED = """
from freqtrade.strategy import IStrategy

from tuned_levels.values import LEVEL


class Tuned(IStrategy):
    timeframe = "5m"
    minimal_roi = {{"0": 10}}
    stoploss = {stoploss}
    level = LEVEL

    def version(self) -> str:
        return "{version}"

    def populate_indicators(self, dataframe, metadata):
        return dataframe

    def populate_entry_trend(self, dataframe, metadata):
        return dataframe

    def populate_exit_trend(self, dataframe, metadata):
        return dataframe
"""
WRAPPER = (
    "from freqfleet.strategy import FleetStrategy\n"
    "from tuned import Tuned\n\n\n"
    "class TunedFleet(FleetStrategy, Tuned):\n"
    "    pass\n"
)
MODULES = ["tuned", "tuned_levels", "tuned_levels.values"]


@pytest.fixture
def strategies(tmp_path: Path) -> Iterator[Path]:
    """user_data with a user's strategy, a helper package it imports, and a fleet class
    beside it (the README's quick start); the modules are forgotten afterwards."""
    user_data = make_user_data(tmp_path)
    folder = user_data / "strategies"
    write_tuned(folder, "1", -0.1, 1)
    (folder / "tuned_fleet.py").write_text(WRAPPER)
    yield user_data
    for name in MODULES:
        sys.modules.pop(name, None)


def write_tuned(folder: Path, version: str, stoploss: float, level: int) -> None:
    (folder / "tuned.py").write_text(TUNED.format(version=version, stoploss=stoploss))
    package = folder / "tuned_levels"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "values.py").write_text(f"LEVEL = {level}\n")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_consumers_next_bot_runs_the_strategy_as_it_is_on_disk(strategies: Path):
    config = bot_config(strategies, "TunedFleet", ["p1"])
    consumer = load_strategy(config)
    assert (consumer.version(), consumer.stoploss, consumer.level) == ("1", -0.1, 1)
    folder = strategies / "strategies"
    assert consumer.fleet_consumer.report().strategy_files == {
        name: digest(folder / name)
        for name in ("tuned.py", "tuned_fleet.py", "tuned_levels/__init__.py")
    } | {"tuned_levels/values.py": digest(folder / "tuned_levels" / "values.py")}

    write_tuned(folder, "two", -0.25, 22)
    # freqtrade alone: the fleet file is executed again, what it imports is not.
    assert load_strategy(config).version() == "1"

    sample_module = sys.modules["freqfleet.strategy.samples"]
    consumer.ft_bot_cleanup()  # what reload_config does before it builds the next bot
    reloaded = load_strategy(config)
    assert (reloaded.version(), reloaded.stoploss, reloaded.level) == ("two", -0.25, 22)
    assert reloaded.fleet_consumer.report().strategy_files["tuned.py"] == digest(
        folder / "tuned.py"
    )
    # strategy_path points into freqfleet's own package: its modules stay.
    assert sys.modules["freqfleet.strategy.samples"] is sample_module


def test_only_modules_imported_from_the_folder_are_forgotten(strategies: Path):
    folder = strategies / "strategies"
    load_strategy(bot_config(strategies, "TunedFleet"))  # a producer imports them as well
    assert set(MODULES) <= set(sys.modules)
    assert compat.forget_strategy_modules(Path(samples.__file__).parent) == []
    assert compat.forget_strategy_modules(folder) == MODULES
    assert not set(MODULES) & set(sys.modules)
    assert compat.forget_strategy_modules(folder / "missing") == []


def test_the_strategy_folder_is_where_freqtrade_loaded_the_class_from(strategies: Path):
    producer = load_strategy(bot_config(strategies, "TunedFleet"))
    assert compat.strategy_folder(type(producer)) == (strategies / "strategies").resolve()
    assert compat.strategy_folder(samples.FleetSampleStrategy) == Path(samples.__file__).parent
    assert compat.reloads_strategy_files()


def test_a_file_rewritten_in_the_same_second_at_the_same_size_is_read_again(
    strategies: Path, monkeypatch: pytest.MonkeyPatch
):
    """Python trusts cached bytecode while the source's size and whole-second mtime match:
    the forgotten modules' bytecode goes with them."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as a bot writes it
    folder = strategies / "strategies"
    config = bot_config(strategies, "TunedFleet")
    assert load_strategy(config).version() == "1"
    assert list((folder / "__pycache__").glob("tuned.*.pyc"))
    tuned = folder / "tuned.py"
    stat = tuned.stat()
    tuned.write_text(tuned.read_text().replace('return "1"', 'return "9"'))
    os.utime(tuned, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert tuned.stat().st_size == stat.st_size
    compat.forget_strategy_modules(folder)
    assert load_strategy(config).version() == "9"
