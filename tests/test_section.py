"""The consumer's ``fleet`` key: the bot refuses at start-up what the planner refuses."""

from __future__ import annotations

from typing import Any

import pytest

from freqfleet.errors import ConfigError, StrategySetupError
from freqfleet.fleet import validate_fleet_config
from freqfleet.section import ConsumerSection, ProducerApi, read_consumer_section


def user_config(fleet: dict[str, Any]) -> dict[str, Any]:
    """The least a user's config needs besides its fleet section for the planner's check."""
    return {"strategy": "MyStrategy", "exchange": {"pair_whitelist": ["BTC/USDT"]}, "fleet": fleet}


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
            "max_signal_age, informative_candles, consumer_candles, follow, exit_price_secs, "
            "producer_api, alerts, shares, routes)",
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


@pytest.mark.parametrize(
    ("secs", "message"),
    [
        (0.5, "fleet.exit_price_secs: must be >= 1, got 0.5; "),
        (86400, "fleet.exit_price_secs: must be <= 3600, got 86400; "),
        ("5", "fleet.exit_price_secs: must be a number, got str '5'; "),
    ],
)
def test_exit_price_secs_is_a_number_of_seconds(secs: Any, message: str) -> None:
    with pytest.raises(StrategySetupError) as raised:
        read_consumer_section({"fleet": {"exit_price_secs": secs}})
    text = str(raised.value)
    assert text.startswith(message) and "\n" not in text
    assert text.endswith(
        "use seconds from 1 to 3600, e.g. the user's process_throttle_secs "
        "(leave it out: a fresh price every loop)"
    )
    assert read_consumer_section({"fleet": {"exit_price_secs": 5}}).exit_price_secs == 5
    assert read_consumer_section({}).exit_price_secs is None


def test_producer_password_stays_out_of_repr() -> None:
    api = ProducerApi(url="http://10.0.0.5:8081", username="freqfleet", password="s" * 43)
    section = ConsumerSection(producer_api={"a": api})
    assert "s" * 43 not in repr(api) and "s" * 43 not in repr(section)
    assert section.to_config()["producer_api"]["a"]["password"] == "s" * 43
