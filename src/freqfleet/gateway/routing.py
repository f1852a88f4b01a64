"""Pointing a bot's public market-data URLs at the gateway, and only those.

Why only the public entries: ccxt keeps one URL per API family in ``urls.api``; the
profile names the ones that carry public market data (Binance spot: ``public``; USD-M
futures: ``fapiPublic``, ``fapiPublicV2``, ``fapiPublicV3``), and only
they are replaced in ``ccxt_config`` and ``ccxt_async_config``. Private, signed requests
keep their URL and go straight to the exchange; the gateway would refuse them anyway.
Websocket streams (``urls.api.ws``, what freqtrade's ``enable_ws`` reads closed candles
from) keep theirs too: the gateway serves REST only, and a stream costs no request weight,
so bots subscribe to the exchange's (or the simulator's) streams directly.
"""

from __future__ import annotations

import copy
from typing import Any

from freqfleet.errors import ConfigError
from freqfleet.gateway.profile import PROFILES, ExchangeProfile, profile_for

CCXT_SECTIONS = ("ccxt_config", "ccxt_async_config")


def exchange_profile(exchange: dict[str, Any], trading_mode: str = "spot") -> ExchangeProfile:
    """The gateway profile of a freqtrade ``exchange`` section (of a bot in
    ``trading_mode``: futures bots use the exchange's futures profile), or ConfigError."""
    name = str(exchange.get("name") or "")
    profile = profile_for(name, trading_mode)
    if profile is None:
        mode = " (trading_mode futures)" if trading_mode == "futures" else ""
        raise ConfigError(
            f"fleet.gateway: exchange.name {name!r}{mode} has no gateway profile; use one of "
            f"{', '.join(sorted(PROFILES))} or remove fleet.gateway"
        )
    return profile


def _public_url(exchange: dict[str, Any], key: str) -> str | None:
    for section in CCXT_SECTIONS:
        url = (((exchange.get(section) or {}).get("urls") or {}).get("api") or {}).get(key)
        if isinstance(url, str) and url:
            return url
    return None


def upstream_of(exchange: dict[str, Any], profile: ExchangeProfile) -> str:
    """The REST base the bots would ask without a gateway: a URL the config overrides
    (a simulator, a testnet) or the exchange's own."""
    for key, path in profile.ccxt_public_urls.items():
        url = _public_url(exchange, key)
        if url is None:
            continue
        base = url.rstrip("/")
        if not base.endswith(path):
            raise ConfigError(
                f"exchange.ccxt_config.urls.api.{key} {url!r} does not end in {path}; "
                "fleet.gateway needs the exchange's REST base plus that path"
            )
        return base[: -len(path)]
    return profile.default_upstream


def config_problems(exchange: Any, trading_mode: str = "spot") -> list[str]:
    """What keeps ``fleet.gateway`` from working with this ``exchange`` section."""
    if not isinstance(exchange, dict):
        return []  # reported by the exchange section's own checks
    try:
        upstream_of(exchange, exchange_profile(exchange, trading_mode))
    except ConfigError as error:
        return [str(error)]
    return []


def route_public(
    exchange: dict[str, Any], profile: ExchangeProfile, gateway_url: str
) -> dict[str, Any]:
    """A copy of ``exchange`` whose public market-data URLs lead to ``gateway_url``."""
    routed = copy.deepcopy(exchange)
    base = gateway_url.rstrip("/")
    for section in CCXT_SECTIONS:
        settings = routed.get(section)
        if settings is None:
            settings = routed[section] = {}
        if not isinstance(settings, dict):
            raise ConfigError(f"exchange.{section}: must be an object of ccxt settings")
        urls = settings.setdefault("urls", {})
        api = urls.setdefault("api", {}) if isinstance(urls, dict) else None
        if not isinstance(api, dict):
            raise ConfigError(f"exchange.{section}.urls.api: must be an object of URLs")
        for key, path in profile.ccxt_public_urls.items():
            api[key] = base + path
    return routed


__all__ = [
    "CCXT_SECTIONS",
    "config_problems",
    "exchange_profile",
    "route_public",
    "upstream_of",
]
