"""The names a freqtrade config keeps credentials under are freqtrade's and ccxt's own, and
a config without credentials keeps none of them (and trades nothing real)."""

from __future__ import annotations

import copy
from typing import Any

import ccxt
from freqtrade.configuration.config_secrets import _SENSITIVE_KEYS
from freqtrade.configuration.config_validation import validate_config_schema

from freqfleet.credentials import (
    CCXT_CREDENTIALS,
    CCXT_SECTIONS,
    EXCHANGE_SECRET_KEYS,
    exchange_credentials,
    given_ccxt_credentials,
    without_credentials,
)
from tests.kit.user_config import user_config


def test_the_names_are_freqtrades_and_ccxts() -> None:
    freqtrade_names = {
        key.split(".", 1)[1] for key in _SENSITIVE_KEYS if key.startswith("exchange.")
    }
    assert freqtrade_names <= set(EXCHANGE_SECRET_KEYS)
    assert set(ccxt.Exchange.requiredCredentials) == set(CCXT_CREDENTIALS)
    assert set(CCXT_CREDENTIALS) <= set(EXCHANGE_SECRET_KEYS)


def live_config() -> dict[str, Any]:
    """A live config with a value under every credential name, at the top of the exchange
    section and in each ccxt section, and notifiers."""
    config = user_config(dry_run=False)
    exchange = config["exchange"]
    for key in EXCHANGE_SECRET_KEYS:
        exchange[key] = f"top-{key}-value"
    for section in CCXT_SECTIONS:
        settings = exchange.setdefault(section, {})
        for key in EXCHANGE_SECRET_KEYS:
            settings[key] = f"{section}-{key}-value"
    config["discord"] = {"enabled": True, "webhook_url": "https://discord.example/hook"}
    config["webhook"] = {"enabled": True, "url": "https://hooks.example/x"}
    config["coingecko"] = {"is_demo": True, "api_key": "coingecko-api_key-value"}
    return config


def test_a_config_without_credentials_holds_none_and_runs_dry() -> None:
    config = live_config()
    before = copy.deepcopy(config)
    clean = without_credentials(config)
    assert config == before  # a copy; the user's config is not changed
    assert clean["dry_run"] is True
    text = repr(clean)
    assert "-value" not in text and "example" not in text and "'token'" not in text
    assert exchange_credentials(clean) == [] and given_ccxt_credentials(clean["exchange"]) == set()
    for notifier in ("telegram", "discord", "webhook"):
        assert notifier not in clean
    assert "coingecko" not in clean
    # Everything else is kept: the exchange's URLs, pairs and the rest of the config.
    assert clean["exchange"]["ccxt_config"]["urls"] == config["exchange"]["ccxt_config"]["urls"]
    assert clean["exchange"]["pair_whitelist"] == config["exchange"]["pair_whitelist"]
    assert {k: v for k, v in clean.items() if k != "exchange"} == {
        k: v
        for k, v in config.items()
        if k not in ("exchange", "dry_run", "telegram", "discord", "webhook", "coingecko")
    } | {"dry_run": True}
    validate_config_schema(clean)


def test_found_credentials_name_their_place() -> None:
    config = user_config()
    assert exchange_credentials(config) == []  # the fixture's key and secret are empty
    config["exchange"].update({"key": "k1", "password": ""})
    config["exchange"]["ccxt_async_config"]["privateKey"] = "0xabc"
    assert exchange_credentials(config) == [
        "exchange.key",
        "exchange.ccxt_async_config.privateKey",
    ]
    assert given_ccxt_credentials(config["exchange"]) == {"apiKey", "privateKey"}
    assert given_ccxt_credentials({"api_key": "k", "wallet_address": "0x1"}) == {
        "apiKey",
        "walletAddress",
    }
