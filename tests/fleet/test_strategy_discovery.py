"""Finding the user's strategy class where freqtrade will, importing its files afresh."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from freqfleet.errors import ConfigError
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.fleet.strategy_discovery import (
    StrategyImportError,
    fresh_imports,
    load_strategy_class,
    resolve_strategy,
    strategy_search_dirs,
)
from tests.kit.user_config import user_config, write_user_fleet

INFORMATIVE = """
from freqtrade.strategy import IStrategy, informative


class Informed(IStrategy):
    timeframe = "5m"
    startup_candle_count = 12
    minimal_roi = {"0": 0.1}
    stoploss = -0.1

    @informative("1h")
    def populate_indicators_1h(self, dataframe, metadata):
        return dataframe

    @informative("15m", "BTC/{stake}")
    def populate_indicators_btc(self, dataframe, metadata):
        return dataframe

    def populate_indicators(self, dataframe, metadata):
        return dataframe

    def populate_entry_trend(self, dataframe, metadata):
        return dataframe

    def populate_exit_trend(self, dataframe, metadata):
        return dataframe
"""


def test_a_sample_is_found_by_name_and_a_users_class_in_its_folder(user_dir: Path) -> None:
    sample = resolve_strategy({"strategy": "FleetSampleStrategy"}, user_dir)
    assert sample.source is None and sample.is_fleet and sample.fleet_name == sample.name
    strategies = user_dir / "user_data" / "strategies"
    (strategies / "informed.py").write_text(INFORMATIVE, encoding="utf-8")
    info = resolve_strategy({"strategy": "Informed"}, user_dir)
    assert info.fleet_name == "InformedFleet" and not info.is_fleet
    assert info.source == strategies / "informed.py" and info.folder == strategies.resolve()
    assert (info.timeframe, info.startup_candle_count) == ("5m", 12)
    assert info.informative_timeframes == ("1h", "15m")


def test_search_order_is_freqtrades(tmp_path: Path) -> None:
    config = {"strategy_path": "mine", "user_data_dir": "ud"}
    assert strategy_search_dirs(config, tmp_path, tmp_path / "plan") == [
        (tmp_path / "plan" / "strategies").resolve(),
        (tmp_path / "mine").resolve(),
        (tmp_path / "ud" / "strategies").resolve(),
        (Path.cwd() / "ud" / "strategies").resolve(),
    ]


def test_a_missing_class_or_a_broken_file_is_one_line(user_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"^strategy: class Nowhere not found in /"):
        resolve_strategy({"strategy": "Nowhere"}, user_dir)
    broken = user_dir / "user_data" / "strategies" / "broken.py"
    broken.write_text("import no_such_module\n\nclass Broken(object):\n    pass\n")
    with pytest.raises(StrategyImportError) as raised:
        load_strategy_class(broken.parent, "Broken")
    assert raised.value.path == broken
    assert raised.value.reason == "ModuleNotFoundError: No module named 'no_such_module'"


def test_fresh_imports_hide_and_restore_the_folders_cached_modules(tmp_path: Path) -> None:
    (tmp_path / "helper_mod.py").write_text("VALUE = 'folder'\n")
    cached = type(sys)("helper_mod")
    cached.__file__ = str(tmp_path / "elsewhere" / "helper_mod.py")
    sys.modules["helper_mod"] = cached
    try:
        with fresh_imports(tmp_path):
            assert "helper_mod" not in sys.modules
            sys.path.insert(0, str(tmp_path))
            try:
                import helper_mod

                assert helper_mod.VALUE == "folder"
            finally:
                sys.path.remove(str(tmp_path))
        assert sys.modules["helper_mod"] is cached
    finally:
        del sys.modules["helper_mod"]


def test_planning_leaves_no_module_of_the_users_folder_imported(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later plan (or freqtrade in the same process) imports the user's files afresh."""
    write_user_fleet(user_dir, "my_strategy")
    for name in ("my_strategy", "my_fleet"):  # whatever earlier tests left behind
        monkeypatch.delitem(sys.modules, name, raising=False)
    before = set(sys.modules)
    config = user_config(strategy="MyFleet")
    write_plan(config, validate_fleet_config(config), tmp_path / "plan", config_dir=user_dir)
    assert {"my_strategy", "my_fleet"}.isdisjoint(set(sys.modules) - before)
