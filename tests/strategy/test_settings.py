"""A bot's role from its config, and the checks a consumer's config must pass at start-up."""

from __future__ import annotations

from typing import Any

import pytest

from freqfleet.errors import StrategySetupError
from freqfleet.strategy.settings import (
    ConsumerSettings,
    check_fleet_config,
    external_producers,
    is_consumer_config,
)


def producer(name: str, **changes: Any) -> dict[str, Any]:
    return {"name": name, "host": "127.0.0.1", "port": 8081, "ws_token": f"token-{name}", **changes}


def consumer(producers: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    return {
        "external_message_consumer": {"enabled": True, "producers": producers},
        **changes,
    }


def test_a_bot_without_enabled_producers_is_no_consumer() -> None:
    for config in (
        {},
        {"external_message_consumer": {"enabled": False, "producers": [producer("p1")]}},
        {"external_message_consumer": {"enabled": True, "producers": []}},
    ):
        assert not is_consumer_config(config)
        assert external_producers(config) == []
    assert check_fleet_config({}) is None
    assert check_fleet_config({"external_message_consumer": {"producers": [producer("a")]}}) is None


def test_a_consumers_settings_with_defaults() -> None:
    config = consumer([producer("p1"), producer("p2")])
    assert is_consumer_config(config)
    assert [p["name"] for p in external_producers(config)] == ["p1", "p2"]
    assert check_fleet_config(config) == ConsumerSettings(("p1", "p2"))
    settings = check_fleet_config(config)
    assert settings is not None
    assert (settings.max_signal_age, settings.follow, settings.shares) == (1, ("exits",), None)


def test_a_planned_consumers_fleet_section_is_read() -> None:
    fleet = {
        "max_signal_age": 2,
        "informative_candles": True,
        "shares": {"p1": ["ETH/BTC"], "p2": ["LTC/BTC", "ADA/BTC"]},
        "follow": ["exits", "force_entries"],
        "producer_api": {"p1": {"url": "http://127.0.0.1:8081", "username": "u", "password": "pw"}},
    }
    settings = check_fleet_config(consumer([producer("p1"), producer("p2")], fleet=fleet))
    assert settings is not None
    assert settings.max_signal_age == 2 and settings.informative_candles is True
    assert settings.shares == {"p1": ("ETH/BTC",), "p2": ("LTC/BTC", "ADA/BTC")}
    assert settings.follow == ("exits", "force_entries")
    assert settings.producer_api["p1"].url == "http://127.0.0.1:8081"
    assert "pw" not in repr(settings)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            consumer([]),
            "external_message_consumer.producers is empty; add at least one producer",
        ),
        (
            consumer([producer("p1"), {"host": "h", "ws_token": "t"}]),
            "external_message_consumer.producers[1].name is missing; give every producer a "
            "unique name",
        ),
        (
            consumer([producer("p1", ws_token="")]),
            "external_message_consumer.producers[0] (p1) has no ws_token; set it to the "
            "producer's api_server.ws_token",
        ),
        (
            consumer([producer("p1"), producer("p1")]),
            "external_message_consumer.producers: duplicate name 'p1'",
        ),
        (
            consumer([producer("p1")], fleet={"shares": {"p9": ["ETH/BTC"]}}),
            "fleet.shares names 'p9', which is not in external_message_consumer.producers",
        ),
        (
            consumer([producer("p1")], fleet={"max_signal_age": 0}),
            "fleet.max_signal_age: must be >= 1, got 0",
        ),
        (consumer([producer("p1")], fleet=[1]), "fleet: must be an object, got list"),
    ],
)
def test_a_wrong_consumer_config_is_one_error_naming_field_and_fix(
    config: dict[str, Any], message: str
) -> None:
    with pytest.raises(StrategySetupError) as raised:
        check_fleet_config(config)
    assert message in str(raised.value)
    assert "token-" not in str(raised.value)


def test_a_redundant_plans_routes_are_read_and_checked() -> None:
    producers = [producer("p1"), producer("p2")]
    routes = {"ETH/BTC": ["p2", "p1"], "LTC/BTC": ["p1", "p2"]}
    settings = check_fleet_config(consumer(producers, fleet={"routes": routes}))
    assert settings is not None
    assert settings.routes == {"ETH/BTC": ("p2", "p1"), "LTC/BTC": ("p1", "p2")}
    with pytest.raises(StrategySetupError, match=r"fleet\.routes names 'p9'"):
        check_fleet_config(consumer(producers, fleet={"routes": {"ETH/BTC": ["p9"]}}))
