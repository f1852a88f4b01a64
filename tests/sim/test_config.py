"""The exchange section that points freqtrade at a simulator, and the header naming each bot."""

from __future__ import annotations

import pytest

from freqfleet.sim.config import (
    BOT_HEADER,
    ccxt_urls,
    ccxt_ws_urls,
    exchange_config,
    futures_config,
    futures_pair,
    name_bot,
)


def test_name_bot_labels_only_a_redirected_exchange() -> None:
    redirected = exchange_config("http://127.0.0.1:8500", ["BTC/USDT"])
    redirected["ccxt_config"]["headers"] = {"User-Agent": "mine"}
    named = name_bot(redirected, "producer-2")
    assert named["ccxt_config"]["headers"] == {"User-Agent": "mine", BOT_HEADER: "producer-2"}
    assert named["ccxt_async_config"]["headers"] == {BOT_HEADER: "producer-2"}
    assert "headers" not in redirected["ccxt_async_config"]  # a copy, the input untouched
    real = {"name": "binance", "ccxt_config": {"enableRateLimit": True}}
    assert name_bot(real, "producer-2") == real
    # Public data through a local gateway, private calls to the exchange: not named.
    mixed = {
        "ccxt_config": {
            "urls": {
                "api": {
                    "public": "http://127.0.0.1:8490/api/v3",
                    "private": "https://api.binance.com/api/v3",
                }
            }
        }
    }
    assert name_bot(mixed, "producer-2") == mixed
    in_compose = {"ccxt_config": {"urls": {"api": {"public": "http://gateway:8490/api/v3"}}}}
    assert name_bot(in_compose, "p")["ccxt_config"]["headers"] == {BOT_HEADER: "p"}


def test_name_bot_names_websocket_handshakes_only_towards_local_streams() -> None:
    named = name_bot(exchange_config("http://127.0.0.1:8500", ["BTC/USDT"]), "producer-3")
    for section in ("ccxt_config", "ccxt_async_config"):
        options = named[section]["options"]
        assert options["ws"]["options"]["headers"] == {BOT_HEADER: "producer-3"}
        assert options["fetchMarkets"] == {"types": ["spot"]}  # the rest is kept
    # Local REST without a stream table: ccxt's own stream URLs (the exchange's) stay
    # unnamed.
    rest_only = {"ccxt_config": {"urls": {"api": {"public": "http://127.0.0.1:8490/api/v3"}}}}
    assert "options" not in name_bot(rest_only, "p")["ccxt_config"]
    # A stream table that leads to the exchange: nothing is named at all.
    real_streams = exchange_config("http://127.0.0.1:8500", ["BTC/USDT"])
    real_streams["ccxt_config"]["urls"]["api"]["ws"]["spot"] = "wss://stream.binance.com:9443/ws"
    assert "headers" not in name_bot(real_streams, "p")["ccxt_config"]


def test_every_websocket_url_leads_to_the_simulator() -> None:
    import ccxt.pro

    streams = ccxt_ws_urls("http://127.0.0.1:8500/")
    binance = ccxt.pro.binance().urls["api"]["ws"]
    assert set(streams) == set(binance) and set(streams["ws-api"]) == set(binance["ws-api"])
    assert streams["spot"] == "ws://127.0.0.1:8500/ws"
    assert streams["ws-api"]["spot"] == "ws://127.0.0.1:8500/ws-api/v3"
    assert ccxt_ws_urls("https://sim.example:8443")["spot"] == "wss://sim.example:8443/ws"


def test_the_section_points_every_ccxt_url_at_the_simulator_and_holds_no_secret() -> None:
    section = exchange_config("http://127.0.0.1:8500/", ["BTC/USDT", "ETH/USDT"], bot="consumer")
    api = dict(section["ccxt_config"]["urls"]["api"])
    assert api.pop("ws") == ccxt_ws_urls("http://127.0.0.1:8500")
    assert section["enable_ws"] is True
    assert exchange_config("http://127.0.0.1:8500", [], websocket=False)["enable_ws"] is False
    assert api["public"] == "http://127.0.0.1:8500/api/v3"
    assert all(url.startswith("http://127.0.0.1:8500/") for url in api.values())
    assert set(api) == set(ccxt_urls("http://127.0.0.1:8500"))
    assert section["ccxt_async_config"] == section["ccxt_config"]
    assert section["ccxt_async_config"] is not section["ccxt_config"]
    assert section["ccxt_config"]["headers"] == {BOT_HEADER: "consumer"}
    assert (section["name"], section["key"], section["secret"]) == ("binance", "", "")
    assert section["pair_whitelist"] == ["BTC/USDT", "ETH/USDT"]
    assert "headers" not in exchange_config("http://127.0.0.1:8500", [])["ccxt_config"]


def test_a_live_section_carries_the_accounts_key_and_secret() -> None:
    from freqtrade.configuration.config_validation import validate_config_schema

    key, secret = "k" * 64, "s" * 64
    live = exchange_config("http://127.0.0.1:8500", ["BTC/USDT"], key=key, secret=secret)
    assert (live["key"], live["secret"]) == (key, secret)
    plain = exchange_config("http://127.0.0.1:8500", ["BTC/USDT"])
    assert {k: v for k, v in live.items() if k not in ("key", "secret")} == {
        k: v for k, v in plain.items() if k not in ("key", "secret")
    }
    bot = {
        "max_open_trades": 1,
        "stake_currency": "USDT",
        "stake_amount": 10,
        "dry_run": False,
        "timeframe": "1m",
        "entry_pricing": {"price_side": "same"},
        "exit_pricing": {"price_side": "same"},
        "pairlists": [{"method": "StaticPairList"}],
        "exchange": live,
    }
    validate_config_schema(bot)
    with pytest.raises(ValueError, match="both"):
        exchange_config("http://127.0.0.1:8500", ["BTC/USDT"], key=key)


def test_a_futures_config_loads_linear_perpetuals_from_the_simulators_fapi() -> None:
    pairs = [futures_pair("BTC/USDT"), futures_pair("ETH/USDT")]
    assert pairs == ["BTC/USDT:USDT", "ETH/USDT:USDT"]
    config = futures_config("http://127.0.0.1:8600", pairs, "bot-7")
    assert (config["trading_mode"], config["margin_mode"]) == ("futures", "isolated")
    section = config["exchange"]
    assert section["pair_whitelist"] == pairs and section["enable_ws"] is False
    for key in ("ccxt_config", "ccxt_async_config"):
        settings = section[key]
        assert settings["options"]["fetchMarkets"]["types"] == ["linear"]
        api = settings["urls"]["api"]
        for name in ("fapiPublic", "fapiPublicV2", "fapiPublicV3", "fapiPrivate", "fapiData"):
            assert api[name].startswith("http://127.0.0.1:8600/"), name
        assert api["fapiPublic"] == "http://127.0.0.1:8600/fapi/v1"
        assert api["ws"]["linear"] == "ws://127.0.0.1:8600/ws"  # the same kline streams
        assert settings["headers"] == {"X-Freqfleet-Bot": "bot-7"}
    assert futures_config("http://h:1", pairs, margin_mode="cross")["margin_mode"] == "cross"
    with pytest.raises(ValueError, match="margin_mode"):
        futures_config("http://h:1", pairs, margin_mode="portfolio")
    with pytest.raises(ValueError, match="trading_mode"):
        exchange_config("http://h:1", pairs, trading_mode="margin")
