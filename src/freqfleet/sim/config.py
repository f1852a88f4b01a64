"""The freqtrade ``exchange`` section that points a bot at the simulator.

Why every URL: ccxt deep-merges ``ccxt_config.urls``, so overriding ``public`` would be
enough for spot market data; overriding every Binance REST entry (derived from the
installed ccxt, so it stays complete) makes any stray private or futures call show up in
the simulator's log as "not simulated" instead of reaching the real exchange. Spot-only
market loading (``options.fetchMarkets.types``) keeps ccxt from asking for futures
markets, empty key/secret keep it from account calls, websockets stay off and
``only_from_ccxt`` keeps ``download-data`` on the simulator's klines.
"""

from __future__ import annotations

import copy
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


def ccxt_settings(url: str) -> dict[str, Any]:
    """What goes into both ``ccxt_config`` and ``ccxt_async_config``."""
    return {
        "urls": {"api": ccxt_urls(url)},
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchMargins": False},
    }


def exchange_config(url: str, pairs: list[str]) -> dict[str, Any]:
    """A complete freqtrade ``exchange`` section for the simulator at ``url``.

    No secrets: the key and secret are empty on purpose (market data only, dry-run).
    """
    settings = ccxt_settings(url)
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


__all__ = ["ccxt_settings", "ccxt_urls", "exchange_config"]
