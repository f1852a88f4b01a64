"""The freqtrade ``exchange`` section that points a bot at the simulator.

Why every URL: ccxt deep-merges ``ccxt_config.urls``, so overriding ``public`` would be
enough for spot market data; overriding every Binance REST entry (derived from the
installed ccxt, so it stays complete) makes any stray private or futures call show up in
the simulator's log as "not simulated" instead of reaching the real exchange. Spot-only
market loading (``options.fetchMarkets.types``) keeps ccxt from asking for futures
markets, empty key/secret keep it from account calls, websockets stay off and
``only_from_ccxt`` keeps ``download-data`` on the simulator's klines.

Why a bot header: a bot that names itself (``X-Freqfleet-Bot``, through ccxt's
``headers`` option, which ccxt adds to every request, sync and async) gets its own line
in the simulator's ``/sim/stats``, so a fleet's exchange budget can be split by bot.
"""

from __future__ import annotations

import copy
import ipaddress
from typing import Any
from urllib.parse import urlsplit


def ccxt_urls(url: str) -> dict[str, str]:
    """ccxt's Binance ``urls.api`` table with every host replaced by ``url``."""
    import ccxt

    base = url.rstrip("/")
    return {
        key: base + urlsplit(value).path
        for key, value in ccxt.binance().urls["api"].items()
        if isinstance(value, str)
    }


BOT_HEADER = "X-Freqfleet-Bot"
"""Request header naming the sending bot (set through ccxt's ``headers`` option)."""


def ccxt_settings(url: str, bot: str | None = None) -> dict[str, Any]:
    """What goes into both ``ccxt_config`` and ``ccxt_async_config``."""
    settings: dict[str, Any] = {
        "urls": {"api": ccxt_urls(url)},
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchMargins": False},
    }
    if bot is not None:
        settings["headers"] = {BOT_HEADER: bot}
    return settings


def name_bot(exchange: dict[str, Any], bot: str) -> dict[str, Any]:
    """``exchange`` (a freqtrade section) whose requests carry ``bot``'s name.

    Only for an exchange whose ccxt ``urls.api`` all lead to a local or private host (a
    simulator, a gateway with the simulator behind it): the real exchange is never told
    the names of a user's bots. Returns a copy; the user's own ``headers`` are kept.
    """
    named = copy.deepcopy(exchange)
    for key in ("ccxt_config", "ccxt_async_config"):
        section = named.get(key)
        if not isinstance(section, dict) or not _all_local(section.get("urls")):
            continue
        headers = section.get("headers")
        section["headers"] = {**(headers if isinstance(headers, dict) else {}), BOT_HEADER: bot}
    return named


def _all_local(urls: Any) -> bool:
    """True when ``urls.api`` is a non-empty table of URLs on local or private hosts."""
    api = urls.get("api") if isinstance(urls, dict) else None
    if not isinstance(api, dict) or not api:
        return False
    return all(isinstance(url, str) and _local_host(urlsplit(url).hostname) for url in api.values())


def _local_host(host: str | None) -> bool:
    """Loopback, a private address, or a name without a dot (a container or service)."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host
    return address.is_loopback or address.is_private


def exchange_config(url: str, pairs: list[str], bot: str | None = None) -> dict[str, Any]:
    """A complete freqtrade ``exchange`` section for the simulator at ``url``.

    No secrets: the key and secret are empty on purpose (market data only, dry-run).
    ``bot``: the name the simulator counts this bot's requests under.
    """
    settings = ccxt_settings(url, bot)
    return {
        "name": "binance",
        "key": "",
        "secret": "",
        "enable_ws": False,
        # Candles come from the simulator's REST API only, never from Binance's public
        # archive (which freqtrade would otherwise try for 1m-5m downloads).
        "only_from_ccxt": True,
        "ccxt_config": settings,
        "ccxt_async_config": copy.deepcopy(settings),
        "pair_whitelist": list(pairs),
        "pair_blacklist": [],
    }


__all__ = ["BOT_HEADER", "ccxt_settings", "ccxt_urls", "exchange_config", "name_bot"]
