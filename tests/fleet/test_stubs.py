"""Strategy stubs: freqtrade's own resolver loads the class every bot of the plan names."""

from __future__ import annotations

from pathlib import Path

import pytest
from freqtrade.configuration import Configuration
from freqtrade.resolvers import StrategyResolver

from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.strategy import FleetStrategy, samples
from tests.fleet.conftest import user_config


def load_strategy(plan_dir: Path, config_file: str, monkeypatch: pytest.MonkeyPatch):
    """What `freqtrade trade --userdir user_data -c <file>` loads, run in the plan dir."""
    monkeypatch.chdir(plan_dir)
    config = Configuration.from_files([config_file])
    config["user_data_dir"] = plan_dir / "user_data"
    return StrategyResolver.load_strategy(config)


def test_wrapped_user_strategy_loads_with_the_mixin_first(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    config = user_config(fleet={"producers": 2})
    write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    strategy = load_strategy(out, "producer-1.json", monkeypatch)
    cls = type(strategy)
    assert cls.__name__ == "MyStrategyFleet"
    assert cls.__mro__[1] is FleetStrategy
    assert [base.__name__ for base in cls.__mro__[1:3]] == ["FleetStrategy", "MyStrategy"]
    assert strategy.startup_candle_count == 30  # the user's own attributes come through
    assert strategy.stoploss == -0.1


def test_sample_stub_loads_the_packaged_sample(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    config = user_config(fleet={"producers": 2}, strategy="FleetSampleStrategy")
    manifest = write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    assert manifest.strategy == "FleetSampleStrategy"
    assert sorted(p.name for p in (out / "user_data" / "strategies").iterdir()) == [
        "FleetSampleStrategy.py"
    ]
    strategy = load_strategy(out, "consumer.json", monkeypatch)
    assert isinstance(strategy, samples.FleetSampleStrategy)
    assert type(strategy) is not samples.FleetSampleStrategy  # the stub's subclass
    consumer = (out / "consumer.json").read_text()
    assert '"initial_candle_limit": 41' in consumer  # sample's 30 startup candles + 1 + 10
