"""The consumer's freqtrade config: the user's list in the user's order, every producer
as a data source, the followed actions it needs."""

from __future__ import annotations

from freqtrade.configuration.config_validation import validate_config_schema

from freqfleet.fleet.consumer_config import consumer_config, initial_candle_limit
from freqfleet.fleet.partition import partition
from freqfleet.strategy.settings import check_fleet_config
from tests.kit.bot_configs import INFO, secrets_of, spec_of
from tests.kit.user_config import PAIRS, user_config


def test_the_consumer_trades_the_users_list_from_every_producer() -> None:
    config = user_config(fleet={"producers": 3, "follow": ["exits", "position_adjustments"]})
    spec = spec_of(config)
    secrets = secrets_of(spec)
    producer_secrets = {name: secrets[name] for name in spec.producer_names}
    consumer = consumer_config(config, spec, INFO, producer_secrets, secrets["consumer"])
    assert consumer["exchange"]["pair_whitelist"] == PAIRS  # the user's order
    assert consumer["fleet"]["shares"] == partition(PAIRS, spec.producer_names)
    emc = consumer["external_message_consumer"]
    assert emc["enabled"] is True
    assert [(p["name"], p["ws_token"]) for p in emc["producers"]] == [
        (name, secrets[name]["ws_token"]) for name in spec.producer_names
    ]
    assert emc["initial_candle_limit"] == initial_candle_limit(spec, INFO) == 30 + 1 + 10
    assert consumer["position_adjustment_enable"] is True
    assert consumer["api_server"]["listen_port"] == spec.consumer_api_port
    assert consumer["db_url"] == "sqlite:///user_data/consumer.dryrun.sqlite"
    validate_config_schema(consumer)


def test_fleet_alerts_reach_the_consumer_on_by_default() -> None:
    for fleet, expected in (({}, True), ({"alerts": False}, False)):
        config = user_config(fleet={"producers": 2, **fleet})
        spec = spec_of(config)
        secrets = secrets_of(spec)
        producer_secrets = {name: secrets[name] for name in spec.producer_names}
        consumer = consumer_config(config, spec, INFO, producer_secrets, secrets["consumer"])
        assert consumer["fleet"]["alerts"] is expected
        assert check_fleet_config(consumer).alerts is expected  # what the strategy reads
