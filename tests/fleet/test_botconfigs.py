"""Each bot's freqtrade config from the user's: producers analyse their share with the
fleet's secrets and no notifications; the feed evaluates the user's pairlist; what
freqtrade would refuse is never written."""

from __future__ import annotations

import pytest
from freqtrade.configuration.config_validation import validate_config_schema

from freqfleet.errors import ConfigError
from freqfleet.fleet.botconfigs import (
    check_freqtrade_schema,
    deep_merge,
    feed_config,
    feed_port,
    fleet_timeframe,
    is_dynamic,
    log_file,
    producer_config,
    producer_file,
)
from freqfleet.fleet.stubs import StrategyInfo
from tests.kit.bot_configs import INFO, secrets_of, spec_of
from tests.kit.user_config import PAIRS, user_config


def test_deep_merge_merges_objects_and_copies() -> None:
    base = {"a": {"b": 1, "c": [1]}, "d": 1}
    merged = deep_merge(base, {"a": {"c": [2], "e": {"f": 1}}, "d": {"x": 1}})
    assert merged == {"a": {"b": 1, "c": [2], "e": {"f": 1}}, "d": {"x": 1}}
    merged["a"]["b"] = 5
    assert base == {"a": {"b": 1, "c": [1]}, "d": 1}


def test_file_names() -> None:
    assert producer_file("producer-2") == "producer-2.json"
    assert producer_file("eu") == "producer-eu.json"
    assert log_file("consumer") == "user_data/logs/consumer.log"
    assert feed_port("http://10.0.0.1:8089/shares") == 8089
    assert feed_port("https://feed.example.com") == 443


def test_a_pairlist_generated_from_the_market_is_dynamic() -> None:
    assert not is_dynamic({})
    assert not is_dynamic({"pairlists": [{"method": "StaticPairList"}, {"method": "AgeFilter"}]})
    assert is_dynamic({"pairlists": [{"method": "VolumePairList", "number_assets": 20}]})


def test_a_producer_analyses_its_share_with_the_fleets_secrets_and_no_notifications() -> None:
    config = user_config(fleet={"producers": 2, "producer_overrides": {"internals": {"x": 1}}})
    config["api_server"] = {"CORS_origins": ["http://ui"], "password": "users-own"}
    spec = spec_of(config)
    secrets = secrets_of(spec)
    producer = producer_config(config, spec, 1, INFO, ["ETH/USDT"], secrets["producer-2"])
    assert producer["strategy"] == "MyStrategyFleet" and producer["timeframe"] == "5m"
    assert producer["exchange"]["pair_whitelist"] == ["ETH/USDT"]
    assert producer["max_open_trades"] == -1 and producer["dry_run"] is True
    assert producer["stake_amount"] == 50.0  # the user's stake: a fixed virtual one
    assert "telegram" not in producer  # no notifications, and so no token
    assert producer["internals"]["x"] == 1
    api = producer["api_server"]
    assert api["listen_port"] == spec.producer_port(1)
    assert api["password"] == secrets["producer-2"]["password"] != "users-own"
    assert api["ws_token"] == secrets["producer-2"]["ws_token"]
    assert api["CORS_origins"] == ["http://ui"]
    assert producer["fleet"] == {"role": "producer", "name": "producer-2"}
    assert config["telegram"]["enabled"] is True  # the user's config is not changed
    validate_config_schema(producer)


def test_a_remote_producer_listens_on_every_interface() -> None:
    config = user_config(fleet={"producers": [{"name": "eu", "host": "10.0.0.5"}]})
    spec = spec_of(config)
    producer = producer_config(config, spec, 0, INFO, PAIRS, secrets_of(spec)["eu"])
    assert producer["api_server"]["listen_ip_address"] == "0.0.0.0"


def test_a_producer_of_a_dynamic_list_reads_its_share_from_the_feed() -> None:
    config = user_config(pairlists=[{"method": "VolumePairList", "number_assets": 20}])
    spec = spec_of(config)
    producer = producer_config(config, spec, 0, INFO, None, secrets_of(spec)["producer-1"])
    assert producer["exchange"]["pair_whitelist"] == []
    (pairlist,) = producer["pairlists"]
    assert pairlist["method"] == "RemotePairList"
    assert pairlist["pairlist_url"] == "file:///pairlists/producer-1.json"


def test_the_timeframe_comes_from_the_config_or_the_strategy() -> None:
    assert fleet_timeframe({"timeframe": "1h"}, INFO) == "1h"
    assert fleet_timeframe({}, INFO) == "5m"
    no_timeframe = StrategyInfo("Bare", "BareFleet", None, 0, None, False)
    with pytest.raises(ConfigError) as raised:
        fleet_timeframe({}, no_timeframe)
    assert str(raised.value).startswith("timeframe: neither the config nor Bare sets one")
    with pytest.raises(ConfigError) as raised:
        fleet_timeframe({"timeframe": "7q"}, INFO)
    assert str(raised.value).startswith("timeframe: ")


def test_the_feed_evaluates_the_users_pairlist_without_api_or_notifications() -> None:
    config = user_config(api_server={"enabled": True})
    feed = feed_config(config, "5m")
    assert "api_server" not in feed and "telegram" not in feed and "fleet" not in feed
    assert (feed["dry_run"], feed["timeframe"]) == (True, "5m")
    assert feed["pairlists"] == config["pairlists"]


def test_configs_freqtrade_would_refuse_are_one_line_each_naming_the_file() -> None:
    good = user_config()
    bad = {**user_config(), "stake_amount": "lots"}
    check_freqtrade_schema({"producer-1.json": good})
    with pytest.raises(ConfigError) as raised:
        check_freqtrade_schema({"producer-1.json": bad, "consumer.json": bad})
    message = str(raised.value)
    assert message.startswith("stake_amount: ")
    assert "(in the generated producer-1.json, consumer.json); fix it in your config" in message
