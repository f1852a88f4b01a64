"""The consumer's ``fleet`` key: written by the planner, read back by the bot at start-up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freqfleet.errors import ConfigError, StrategySetupError
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.section import ConsumerSection, ProducerApi, read_consumer_section
from freqfleet.strategy.settings import check_fleet_config
from tests.fleet.conftest import PAIRS, USER_STRATEGY, user_config


def plan_consumer(tmp_path: Path, fleet: dict) -> dict:
    """The consumer config ``freqfleet plan`` writes for ``fleet`` (read from disk)."""
    strategies = tmp_path / "user" / "user_data" / "strategies"
    strategies.mkdir(parents=True)
    (strategies / "my_strategy.py").write_text(USER_STRATEGY, encoding="utf-8")
    config = user_config(fleet=fleet)
    out = tmp_path / "plan"
    write_plan(config, validate_fleet_config(config), out, config_dir=tmp_path / "user")
    return json.loads((out / "consumer.json").read_text())


def test_what_the_planner_writes_the_bot_reads(tmp_path: Path) -> None:
    fleet = {"producers": 2, "max_signal_age": 100, "follow": ["force_exits", "exits"]}
    consumer = plan_consumer(tmp_path, fleet)
    section = read_consumer_section(consumer)
    assert section.max_signal_age == 100
    assert section.follow == ["force_exits", "exits"]
    assert sorted(section.producer_api) == ["producer-1", "producer-2"]
    assert section.producer_api["producer-2"].url == "http://127.0.0.1:8082"
    shares = section.shares or {}
    assert sorted(pair for pairs in shares.values() for pair in pairs) == sorted(PAIRS)
    assert section.to_config() == consumer["fleet"]
    settings = check_fleet_config(consumer)
    assert settings is not None
    assert settings.max_signal_age == 100
    assert settings.producer_names == ("producer-1", "producer-2")


@pytest.mark.parametrize(
    ("fleet", "message"),
    [
        (
            {"max_signal_age": 101},
            "fleet.max_signal_age: must be <= 100, got 101; use a whole number of candles "
            "from 1 to 100 (default 1)",
        ),
        (
            {"follow": ["exits", "stoplosses"]},
            "fleet.follow[1]: 'stoplosses' is not allowed; use a list of any of exits, "
            "force_entries, force_exits, position_adjustments (or [])",
        ),
        (
            {"max_signal_ages": 2},
            "fleet.max_signal_ages: is not a fleet setting; remove it (known: role, "
            "max_signal_age, informative_candles, follow, producer_api, shares)",
        ),
    ],
)
def test_start_up_refuses_what_the_planner_refuses(fleet: dict, message: str) -> None:
    with pytest.raises(StrategySetupError) as raised:
        read_consumer_section({"fleet": fleet})
    assert str(raised.value) == message
    if "max_signal_ages" not in fleet:  # the planner's section has other keys
        with pytest.raises(ConfigError) as planned:
            validate_fleet_config(user_config(fleet={"producers": 1, **fleet}))
        assert str(planned.value) == message


def test_producer_password_stays_out_of_repr() -> None:
    api = ProducerApi(url="http://10.0.0.5:8081", username="freqfleet", password="s" * 43)
    section = ConsumerSection(producer_api={"a": api})
    assert "s" * 43 not in repr(api) and "s" * 43 not in repr(section)
    assert section.to_config()["producer_api"]["a"]["password"] == "s" * 43
