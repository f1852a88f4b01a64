"""The freqtrade ``exchange`` section that points a bot at the simulator.

Why every URL: ccxt deep-merges ``ccxt_config.urls``, so overriding ``public`` would be
enough for spot market data; overriding every Binance REST entry (derived from the
installed ccxt, so it stays complete) makes any stray private or futures call show up in
the simulator's log as "not simulated" instead of reaching the real exchange. The same
for websockets: every entry of ccxt.pro's ``urls.api.ws`` table leads to the simulator
(``ws://host:port/ws`` for spot, the other entries keep their paths and are refused
there), so no stream can reach the real exchange.

Why websockets on (``enable_ws: true``, freqtrade's default on Binance): freqtrade then
takes the candles of each close from the simulator's kline streams
(:mod:`freqfleet.sim.streams`) and asks REST for candles only at start-up, as it does on
Binance; with websockets off every bot downloads 1,000 candles per pair at every close,
which costs CPU right after the close and request weight no real bot spends.
``exchange_config(..., websocket=False)`` (``freqfleet sim --no-websocket``) turns them
off: candles over REST only.

Spot-only market loading (``options.fetchMarkets.types``) keeps ccxt from asking for
futures markets (a futures bot's section loads the linear perpetuals only: no inverse
``dapi`` markets are simulated), empty key/secret keep it from account calls (a live section, with the
``--account`` file's key and secret, makes them: the simulator serves them) and
``only_from_ccxt`` keeps ``download-data`` on the simulator's klines.

Why a bot header: a bot that names itself (``X-Freqfleet-Bot``, through ccxt's
``headers`` option, which ccxt adds to every request, sync and async, and through
``options.ws.options.headers``, which ccxt.pro sends with each websocket handshake) gets
its own line in the simulator's ``/sim/stats``, so a fleet's exchange budget can be split
by bot.
"""

from __future__ import annotations

import copy
import functools
import ipaddress
from typing import Any
from urllib.parse import urlsplit


def ccxt_urls(url: str) -> dict[str, str]:
    """ccxt's Binance ``urls.api`` table with every host replaced by ``url``."""
    base = url.rstrip("/")
    return {key: base + path for key, path in _rest_paths().items()}


def ccxt_ws_urls(url: str) -> dict[str, Any]:
    """ccxt.pro's Binance ``urls.api.ws`` table with every host replaced by ``url``'s
    (``http`` -> ``ws``, ``https`` -> ``wss``), nested tables (``ws-api``) alike."""
    parts = urlsplit(url.rstrip("/"))
    scheme = "wss" if parts.scheme == "https" else "ws"
    base = f"{scheme}://{parts.netloc}{parts.path}"

    def point(table: dict[str, Any]) -> dict[str, Any]:
        return {
            key: point(value) if isinstance(value, dict) else base + value
            for key, value in table.items()
        }

    return point(_ws_paths())


@functools.cache
def _rest_paths() -> dict[str, str]:
    import ccxt

    return {
        key: urlsplit(value).path
        for key, value in ccxt.binance().urls["api"].items()
        if isinstance(value, str)
    }


@functools.cache
def _ws_paths() -> dict[str, Any]:
    import ccxt.pro

    def paths(table: dict[str, Any]) -> dict[str, Any]:
        return {
            key: paths(value) if isinstance(value, dict) else urlsplit(value).path
            for key, value in table.items()
            if isinstance(value, dict | str)
        }

    return paths(ccxt.pro.binance().urls["api"]["ws"])


BOT_HEADER = "X-Freqfleet-Bot"
"""Request header naming the sending bot (set through ccxt's ``headers`` option)."""


TRADING_MODES = ("spot", "futures")
# ccxt's market types a bot of each trading mode loads: a futures bot's markets are the
# linear swaps (``fapi``); no inverse (``dapi``) markets are simulated, so none is asked.
_MARKET_TYPES = {"spot": ["spot"], "futures": ["linear"]}


def ccxt_settings(url: str, bot: str | None = None, trading_mode: str = "spot") -> dict[str, Any]:
    """What goes into both ``ccxt_config`` and ``ccxt_async_config``."""
    if trading_mode not in _MARKET_TYPES:
        raise ValueError(f"trading_mode {trading_mode!r}: use one of {', '.join(TRADING_MODES)}")
    settings: dict[str, Any] = {
        "urls": {"api": {**ccxt_urls(url), "ws": ccxt_ws_urls(url)}},
        "options": {
            "fetchMarkets": {"types": list(_MARKET_TYPES[trading_mode])},
            "fetchMargins": False,
        },
    }
    if bot is not None:
        settings["headers"] = {BOT_HEADER: bot}
        settings["options"]["ws"] = {"options": {"headers": {BOT_HEADER: bot}}}
    return settings


def name_bot(exchange: dict[str, Any], bot: str) -> dict[str, Any]:
    """``exchange`` (a freqtrade section) whose requests carry ``bot``'s name.

    Only for an exchange whose ccxt ``urls.api`` all lead to a local or private host (a
    simulator, a gateway with the simulator behind it): the real exchange is never told
    the names of a user's bots. Websocket handshakes carry the name only when the section
    also has a ``urls.api.ws`` table (else ccxt's own, Binance's, would get it). Returns a
    copy; the user's own ``headers`` are kept.
    """
    named = copy.deepcopy(exchange)
    for key in ("ccxt_config", "ccxt_async_config"):
        section = named.get(key)
        if not isinstance(section, dict) or not _all_local(section.get("urls")):
            continue
        headers = section.get("headers")
        section["headers"] = {**(headers if isinstance(headers, dict) else {}), BOT_HEADER: bot}
        if isinstance(section["urls"]["api"].get("ws"), dict):
            options = _table(section, "options")
            ws = _table(options, "ws")
            ws_options = _table(ws, "options")
            ws_headers = ws_options.get("headers")
            ws_options["headers"] = {
                **(ws_headers if isinstance(ws_headers, dict) else {}),
                BOT_HEADER: bot,
            }
    return named


def _table(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """``parent[key]`` as a dict (made, or replaced when it is not one)."""
    value = parent.get(key)
    if not isinstance(value, dict):
        value = parent[key] = {}
    return value


def _all_local(urls: Any) -> bool:
    """True when ``urls.api`` is a non-empty table of URLs (nested tables alike: ``ws``) on
    local or private hosts."""
    api = urls.get("api") if isinstance(urls, dict) else None
    if not isinstance(api, dict) or not api:
        return False

    def local(value: Any) -> bool:
        if isinstance(value, dict):
            return bool(value) and all(local(v) for v in value.values())
        return isinstance(value, str) and _local_host(urlsplit(value).hostname)

    return local(api)


def _local_host(host: str | None) -> bool:
    """Loopback, a private address, or a name without a dot (a container or service)."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host
    return address.is_loopback or address.is_private


def exchange_config(
    url: str,
    pairs: list[str],
    bot: str | None = None,
    *,
    websocket: bool = True,
    key: str | None = None,
    secret: str | None = None,
    trading_mode: str = "spot",
) -> dict[str, Any]:
    """A complete freqtrade ``exchange`` section for the simulator at ``url``.

    ``trading_mode="futures"``: for a bot with ``trading_mode: futures`` (see
    :func:`futures_config` for the keys beside the section): ccxt loads the simulator's
    perpetuals; ``pairs`` are then futures pairs (``BTC/USDT:USDT``). freqtrade reads no
    futures websocket on Binance, so such a bot asks REST for its candles.

    Without ``key``/``secret`` they are empty on purpose (market data only, dry-run bots).
    With them (the simulator's ``--account`` file), a live section: the bot trades on the
    simulator's account with signed requests, and needs nothing a Binance user would not
    set. ``bot``: the name the simulator counts this bot's requests under. ``websocket``:
    candles of each close from the simulator's kline streams (as on Binance); False:
    over REST only.
    """
    if (key is None) != (secret is None):
        raise ValueError("give both key and secret, or neither")
    settings = ccxt_settings(url, bot, trading_mode)
    return {
        "name": "binance",
        "key": key or "",
        "secret": secret or "",
        "enable_ws": websocket and trading_mode == "spot",
        # Candles come from the simulator's REST API only, never from Binance's public
        # archive (which freqtrade would otherwise try for 1m-5m downloads).
        "only_from_ccxt": True,
        "ccxt_config": settings,
        "ccxt_async_config": copy.deepcopy(settings),
        "pair_whitelist": list(pairs),
        "pair_blacklist": [],
    }


def futures_pair(spot_pair: str) -> str:
    """The perpetual of a USDT spot pair: ``BTC/USDT`` -> ``BTC/USDT:USDT``."""
    return f"{spot_pair}:{spot_pair.rsplit('/', 1)[1]}"


def futures_config(
    url: str,
    pairs: list[str],
    bot: str | None = None,
    *,
    margin_mode: str = "isolated",
    key: str | None = None,
    secret: str | None = None,
) -> dict[str, Any]:
    """The top-level keys of a futures bot's config on the simulator at ``url``:
    ``trading_mode``, ``margin_mode`` and the ``exchange`` section (``pairs``: futures
    pairs, ``BTC/USDT:USDT``). Merge them into a config, replacing its own."""
    if margin_mode not in ("isolated", "cross"):
        raise ValueError(f"margin_mode {margin_mode!r}: use isolated or cross")
    exchange = exchange_config(
        url, pairs, bot, websocket=False, key=key, secret=secret, trading_mode="futures"
    )
    return {"trading_mode": "futures", "margin_mode": margin_mode, "exchange": exchange}


__all__ = [
    "BOT_HEADER",
    "TRADING_MODES",
    "ccxt_settings",
    "ccxt_urls",
    "ccxt_ws_urls",
    "exchange_config",
    "futures_config",
    "futures_pair",
    "name_bot",
]
