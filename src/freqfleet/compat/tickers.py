"""A producer's tickers from the exchange's streams, through freqtrade's ``Exchange``.

A trading producer answers freqtrade's ticker requests from the exchange's ticker stream
(``freqfleet.strategy.producer_pricing``): its ``Exchange.fetch_ticker`` is routed
there, the stream's ccxt.pro clients are made as freqtrade makes its own
(``_init_ccxt`` with ``_ccxt_config`` and the config's ``ccxt_config``), with the bot's
markets (``_api_async``), and a batch of tickers is fetched past freqtrade's cache
(``_api``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from freqfleet.compat import patches
from freqfleet.compat.checks import missing
from freqfleet.compat.model import Feature
from freqfleet.compat.versions import unsupported_message

logger = logging.getLogger(__name__)

TickerAnswer = Callable[[str, Callable[[str], Any]], Any]
"""``answer(pair, fetch_ticker)``: a ticker for ``pair``; freqtrade's own fetch as fallback."""


def bot_exchange(dp: Any) -> Any:
    """The bot's freqtrade ``Exchange`` behind its DataProvider (None in tools and tests)."""
    return getattr(dp, "_exchange", None)


def route_tickers(exchange: Any, answer: TickerAnswer) -> bool:
    """Make ``exchange.fetch_ticker(pair)`` (every ticker freqtrade's pricing asks for)
    return ``answer(pair, original_fetch_ticker)``. False when this freqtrade lacks what
    that needs (the bot keeps its own REST tickers)."""
    problems = missing(Feature.PRODUCER_TICKERS)
    if problems:
        logger.warning("Producer prices stay on REST: %s", unsupported_message(problems, "it"))
        return False
    if patches.is_patched(exchange, "fetch_ticker"):
        return True
    original = exchange.fetch_ticker

    def fetch_ticker(pair: str) -> Any:
        return answer(pair, original)

    patches.patch(exchange, "fetch_ticker", fetch_ticker)
    return True


def fetch_tickers_uncached(exchange: Any, symbols: list[str]) -> dict[str, Any]:
    """One REST ``fetch_tickers(symbols)`` past freqtrade's ticker cache (which holds the
    whole market's tickers for pairlists: a partial answer must not replace it)."""
    return dict(exchange._api.fetch_tickers(symbols))


def stream_client_maker(exchange: Any) -> Callable[[], Any] | None:
    """A maker of new ccxt.pro clients of the bot's exchange class and config (``urls``,
    options, headers as freqtrade merges them for its own websocket client), with the
    bot's markets; None when that class cannot watch tickers, ``enable_ws`` is off or
    this freqtrade lacks what the stream needs (``route_tickers`` says what)."""
    from copy import deepcopy

    from freqtrade.misc import deep_merge_dicts

    if missing(Feature.PRODUCER_TICKERS):
        return None
    conf = exchange._config["exchange"]
    if not conf.get("enable_ws", True):
        return None

    def make() -> Any:
        settings = deepcopy(exchange._ccxt_config)
        settings = deep_merge_dicts(deepcopy(conf.get("ccxt_config", {})), settings)
        settings = deep_merge_dicts(deepcopy(conf.get("ccxt_async_config", {})), settings)
        client = exchange._init_ccxt(conf, False, settings)
        client.set_markets_from_exchange(exchange._api_async)
        return client

    try:
        probe = make()
    except Exception as error:  # a class ccxt.pro lacks or a config it refuses: REST only
        logger.info("No ticker stream for %s: %s", conf.get("name"), error)
        return None
    watches = bool((getattr(probe, "has", None) or {}).get("watchTickers"))
    if not watches:
        logger.info("%s has no ticker stream (watchTickers): prices over REST", conf.get("name"))
        return None
    return make


__all__ = [
    "TickerAnswer",
    "bot_exchange",
    "fetch_tickers_uncached",
    "route_tickers",
    "stream_client_maker",
]
