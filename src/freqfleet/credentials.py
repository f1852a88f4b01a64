"""Where a freqtrade config keeps credentials, for every part of freqfleet that must find
them: the log guard redacts them from a bot's logs, the Kubernetes export moves them into
a Secret, the plan keeps them off every bot but the consumer. freqtrade's own list of
sensitive keys, plus the fleet's tokens, ccxt's sections and ccxt's credential names.

Why the plan strips rather than copies: a fleet has one wallet, the consumer's. Producers
and the pairlist feed run dry-run and ask the exchange only for public market data; a
credential in their configs would travel to every host and pod that runs them and buy
nothing. So every config but the consumer's goes through :func:`without_credentials`.
"""

from __future__ import annotations

import copy
from typing import Any

CCXT_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "apiKey": ("key", "api_key", "apiKey"),
    "secret": ("secret",),
    "password": ("password",),
    "uid": ("uid",),
    "accountId": ("account_id", "accountId"),
    "walletAddress": ("wallet_address", "walletAddress"),
    "privateKey": ("private_key", "privateKey"),
    "login": (),
    "twofa": (),
    "token": (),
}
"""ccxt's credential names (``Exchange.requiredCredentials``) -> the keys of freqtrade's
``exchange`` section it reads them from (``Exchange._init_ccxt``); the last three reach
ccxt only through a ccxt section."""
EXCHANGE_SECRET_KEYS = tuple(
    dict.fromkeys([*(key for keys in CCXT_CREDENTIALS.values() for key in keys), *CCXT_CREDENTIALS])
)
CCXT_SECTIONS = ("ccxt_config", "ccxt_async_config", "ccxt_sync_config")

API_SERVER_SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    ("api_server", "ws_token"),
    ("api_server", "jwt_secret_key"),
    ("api_server", "password"),
)
EXCHANGE_SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    *(("exchange", key) for key in EXCHANGE_SECRET_KEYS),
    *(("exchange", section, key) for section in CCXT_SECTIONS for key in EXCHANGE_SECRET_KEYS),
)
NOTIFIERS = ("telegram", "webhook", "discord")
"""Sections that hold a notifier's token or URL: only the bot that notifies (the consumer)
keeps them."""
SERVICE_SECRET_PATHS: tuple[tuple[str, ...], ...] = (("coingecko", "api_key"),)
"""Keys of services a bot may call besides the exchange. Their sections are the consumer's
alone: a producer shows no fiat values, and without the section CoinGecko's public API
still answers (freqtrade's schema requires the key whenever the section is there)."""


def _given(value: Any) -> bool:
    return value is not None and value != "" and not isinstance(value, bool)


def exchange_credentials(config: dict[str, Any]) -> list[str]:
    """The dotted paths of the exchange credentials ``config`` sets (non-empty values)."""
    exchange = config.get("exchange")
    if not isinstance(exchange, dict):
        return []
    found = [f"exchange.{key}" for key in EXCHANGE_SECRET_KEYS if _given(exchange.get(key))]
    for section in CCXT_SECTIONS:
        settings = exchange.get(section)
        if isinstance(settings, dict):
            found += [
                f"exchange.{section}.{key}"
                for key in EXCHANGE_SECRET_KEYS
                if _given(settings.get(key))
            ]
    return found


def given_ccxt_credentials(exchange: dict[str, Any]) -> set[str]:
    """ccxt's names of the credentials a freqtrade ``exchange`` section gives a bot."""
    given = set()
    for name, keys in CCXT_CREDENTIALS.items():
        values = [exchange.get(key) for key in keys]
        for section in CCXT_SECTIONS[:2]:
            settings = exchange.get(section)
            if isinstance(settings, dict):
                values.append(settings.get(name))
        if any(_given(value) for value in values):
            given.add(name)
    return given


def without_credentials(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of a freqtrade config that can reach no account: ``dry_run`` true, no
    exchange credential under any name freqtrade or ccxt reads (the ``exchange`` section
    and its ccxt sections), no notifier section (their tokens and URLs), no service section
    (its key)."""
    clean = copy.deepcopy(config)
    clean["dry_run"] = True
    for notifier in NOTIFIERS:
        clean.pop(notifier, None)
    for section, *_ in SERVICE_SECRET_PATHS:
        clean.pop(section, None)
    exchange = clean.get("exchange")
    if isinstance(exchange, dict):
        for key in EXCHANGE_SECRET_KEYS:
            exchange.pop(key, None)
        for section in CCXT_SECTIONS:
            settings = exchange.get(section)
            if isinstance(settings, dict):
                for key in EXCHANGE_SECRET_KEYS:
                    settings.pop(key, None)
    return clean


__all__ = [
    "API_SERVER_SECRET_PATHS",
    "CCXT_CREDENTIALS",
    "CCXT_SECTIONS",
    "EXCHANGE_SECRET_KEYS",
    "EXCHANGE_SECRET_PATHS",
    "NOTIFIERS",
    "SERVICE_SECRET_PATHS",
    "exchange_credentials",
    "given_ccxt_credentials",
    "without_credentials",
]
