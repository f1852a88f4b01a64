"""The fleet manifest: how each bot, the pairlist feed and the gateway start; written
private, read back as written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from freqfleet.errors import ConfigError
from freqfleet.fleet.manifest import (
    MANIFEST_NAME,
    BotEntry,
    FleetManifest,
    GatewayEntry,
    PairlistFeedEntry,
)


def bot(name: str, role: str = "producer", **changes) -> BotEntry:
    entry = {
        "name": name,
        "role": role,
        "config_files": ["base.json", f"{name}.json"],
        "api_port": 8081,
        "username": "fleet",
        "password": f"password-of-{name}",
        **changes,
    }
    return BotEntry.model_validate(entry)


def manifest(**changes) -> FleetManifest:
    return FleetManifest(
        strategy="MyStrategyFleet",
        timeframe="5m",
        bots=[bot("producer-1", pairs=["BTC/USDT"]), bot("consumer", "consumer", api_port=8084)],
        **changes,
    )


def test_roles_and_urls() -> None:
    fleet = manifest()
    assert [b.name for b in fleet.producers] == ["producer-1"]
    assert fleet.consumer.name == "consumer" and fleet.consumer.pairs == []
    assert fleet.consumer.api_url == "http://127.0.0.1:8084"


def test_freqtrade_arguments_start_the_bot_from_the_plan_folder() -> None:
    fleet = manifest()
    assert fleet.freqtrade_args(fleet.producers[0]) == [
        "trade",
        "--userdir",
        "user_data",
        "-c",
        "base.json",
        "-c",
        "producer-1.json",
        "--strategy",
        "MyStrategyFleet",
    ]
    with_path = manifest(strategy_path="strategies")
    assert with_path.freqtrade_args(with_path.consumer)[-2:] == ["--strategy-path", "strategies"]


def test_feed_and_gateway_commands() -> None:
    feed = PairlistFeedEntry(config_file="feed.json", refresh_period=1800, files={})
    assert feed.command_args("plan") == ["pairlist-feed", "plan"]
    served = feed.model_copy(update={"serve": "0.0.0.0:8089"})
    assert served.command_args() == ["pairlist-feed", ".", "--serve", "0.0.0.0:8089"]
    gateway = GatewayEntry(
        upstream="http://127.0.0.1:8500", exchange="binance", port=8490, share=0.5, live_ttl=5.0
    )
    assert gateway.url == "http://127.0.0.1:8490"
    assert gateway.command_args() == [
        "gateway",
        "--upstream",
        "http://127.0.0.1:8500",
        "--exchange",
        "binance",
        "--host",
        "127.0.0.1",
        "--port",
        "8490",
        "--share",
        "0.5",
        "--live-ttl",
        "5.0",
    ]
    limited = gateway.model_copy(update={"weight_limit": 1200})
    assert limited.command_args()[-2:] == ["--weight-limit", "1200"]


def test_saved_private_and_read_back_equal(tmp_path: Path) -> None:
    fleet = manifest()
    path = fleet.save(tmp_path)
    assert path == tmp_path / MANIFEST_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert FleetManifest.load(tmp_path) == fleet


def test_a_folder_without_a_manifest_names_the_plan_command(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        FleetManifest.load(tmp_path)
    assert "no fleet manifest here; run `freqfleet plan -c CONFIG -o" in str(raised.value)


def test_unknown_keys_and_roles_are_refused() -> None:
    with pytest.raises(ValidationError):
        bot("producer-1", role="observer")
    with pytest.raises(ValidationError):
        bot("producer-1", colour="red")
