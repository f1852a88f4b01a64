"""Where a freqtrade config keeps credentials, for every part of freqfleet that must find
them: the log guard redacts them from a bot's logs, the Kubernetes export moves them into
a Secret. freqtrade's own list of sensitive keys, plus the fleet's tokens and ccxt's
sections."""

from __future__ import annotations

EXCHANGE_SECRET_KEYS = (
    "key",
    "api_key",
    "apiKey",
    "secret",
    "password",
    "uid",
    "account_id",
    "accountId",
    "wallet_address",
    "walletAddress",
    "private_key",
    "privateKey",
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

__all__ = [
    "API_SERVER_SECRET_PATHS",
    "CCXT_SECTIONS",
    "EXCHANGE_SECRET_KEYS",
    "EXCHANGE_SECRET_PATHS",
]
