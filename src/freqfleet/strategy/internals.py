"""Every use of freqtrade's (and pandas') internals, in one place, behind a version check.

The consumer needs these things freqtrade has no public API for:

- hand freqtrade the analysed frame of a pair (``DataProvider._set_cached_df``: what
  ``IStrategy._analyze_ticker_internal`` does after analysing);
- see each producer message where it arrives, to check it before it is stored
  (``DataProvider._add_external_df``, ``_set_producer_pairs``) and to take the stored
  frame without the copy ``get_producer_df`` makes (``_replace_external_df``);
- send and receive frames with exact floats and dtypes (the websocket serialiser's
  ``_json_default`` / ``_json_object_hook``);
- read a column without building a Series on the per-loop path (pandas'
  ``DataFrame._get_column_array``, optional);
- reuse an open trade's price between loops (``reuse_exit_prices``): freqtrade prices
  every open trade on every loop (``FreqtradeBot.handle_trade`` and
  ``check_and_call_adjust_trade_position`` ask ``Exchange.get_rate`` / ``get_rates`` with
  ``refresh=True``) and places orders through ``execute_trade_exit`` / ``execute_entry``.

``check_supported()`` runs when a fleet strategy is created: outside the tested freqtrade
releases it warns once; when an internal is missing, or no longer takes the arguments the
consumer passes or receives, it raises a start-up error naming the running version and what
to install, so a new freqtrade never fails inside the loop. ``freqfleet backtest`` checks
the parts of freqtrade's ``Backtesting`` it drives the same way before it starts.

What differs among the tested releases (2026.6 to 2026.9) in what freqfleet touches, and
needs nothing here: the internals above, the websocket messages and serialiser, the
strategy callbacks' signatures, ``Backtesting``, freqtrade-client and the config keys
freqfleet writes are the same in all four, and so is the pricing path (``handle_trade``
asks ``get_rate`` after the exit signal, the adjustment check ``get_rates``, orders go
through ``execute_trade_exit`` / ``execute_entry``; ``get_rate`` and ``get_rates`` are
unchanged). 2026.9 validates a strategy's analysed frame
before caching it (``IStrategy._analyze_ticker_internal``; before, in ``analyze_pair`` and
by default as a warning only), adds ``CandleType.OPEN_INTEREST``, the
``liquidation_warning`` message and an informative-indicator cache; a consumer replaces
``analyze`` as a whole, ignores message types it does not follow and downloads no
informative candles, so none of that reaches it. freqtrade 2026.6 imports scipy without
requiring it: freqfleet requires it (pyproject.toml).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from pandas import DataFrame

from freqfleet.errors import StrategySetupError

logger = logging.getLogger(__name__)

TESTED_FREQTRADE = ("2026.6", "2026.7", "2026.8", "2026.9")
"""freqtrade releases freqfleet is tested with (``make test-compat``), oldest first."""

_EXTERNAL_DF = ("pair", "dataframe", "last_analyzed", "timeframe", "candle_type", "producer_name")
_DP_WRAPPED = {
    # replaced on the consumer's DataProvider: freqtrade's calls must fit the replacement
    "_add_external_df": _EXTERNAL_DF,
    "_replace_external_df": _EXTERNAL_DF,
    "_set_producer_pairs": ("pairlist", "producer_name"),
}
_DP_CALLED = {"_set_cached_df": ("pair", "timeframe", "dataframe", "candle_type")}
_STRATEGY_REPLACED = {
    # replaced on the consumer's strategy instance, called by freqtrade with these parameters
    "analyze": ("pairs",),
    "get_entry_signal": ("pair", "timeframe", "dataframe"),
    "gather_informative_pairs": (),
    "ft_bot_cleanup": (),
}
_STRATEGY_CALLBACKS = {
    # wrapped on the consumer (freqtrade passes more, as keywords): the arguments it reads
    "bot_start": (),
    "bot_loop_start": ("current_time",),
    "custom_exit": ("pair", "trade", "current_time", "current_rate", "current_profit"),
    "adjust_trade_position": ("trade", "current_time"),
}
_BOT_WRAPPED = {
    # FreqtradeBot methods wrapped for a consumer's open-trade prices (called by freqtrade)
    "handle_trade": ("trade",),
    "check_and_call_adjust_trade_position": ("trade",),
}
_BOT_GUARDED = {
    # where orders start: never at a reused price (arguments passed on unchanged)
    "execute_trade_exit": ("trade", "limit", "exit_check"),
    "execute_entry": ("pair", "stake_amount", "price"),
}
_EXCHANGE_WRAPPED = {
    "get_rate": ("pair", "refresh", "side", "is_short", "order_book", "ticker"),
    "get_rates": ("pair", "refresh", "is_short"),
}
_SERIALIZER_NAMES = ("_json_default", "_json_object_hook", "dataframe_to_json", "json_to_dataframe")

_warned_version = False


def freqtrade_version() -> str:
    import freqtrade

    return str(freqtrade.__version__)


def freqtrade_image_tag(version: str | None = None) -> str:
    """The tag of freqtrade's official image for this freqtrade: its version (``2026.9``,
    ``2026.9.1``), ``develop`` for a development build (``2026.10-dev-...``)."""
    text = (version or freqtrade_version()).removeprefix("docker-")
    return "develop" if "dev" in text else text


def _release(version: str) -> str:
    """``2026.9`` of ``2026.9``, ``2026.9.1``, ``docker-2026.9-abcd``, ``2026.10-dev-...``."""
    text = version.removeprefix("docker-")
    parts = text.replace("-", ".").split(".")
    return ".".join(parts[:2])


def _parameters(function: Any) -> tuple[str, ...] | None:
    """Named parameters of ``function`` (``self``, ``*args``, ``**kwargs`` left out)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return tuple(
        p.name for p in signature.parameters.values() if p.name != "self" and p.kind not in variadic
    )


def _check(owner: Any, label: str, name: str, expected: tuple[str, ...], exact: bool) -> str | None:
    """``label.name(expected)`` when ``owner.name`` is missing or takes other parameters."""
    wanted = f"{label}.{name}({', '.join(expected)})"
    function = getattr(owner, name, None)
    if not callable(function):
        return wanted
    found = _parameters(function)
    if found is None:
        return None  # a builtin or C function: nothing to compare
    if exact:
        return None if found == expected else wanted
    return None if set(expected) <= set(found) else wanted


def _callback_problems(strategy_class: Any) -> list[str]:
    """Callbacks the consumer answers for while a pair has no data (``callbacks.py``):
    each must take the pair or the trade, and the arguments its neutral answer reads."""
    from freqfleet.strategy.callbacks import NEUTRAL_DEFAULTS

    problems = []
    for name, default in NEUTRAL_DEFAULTS.items():
        reads = tuple(getattr(default, "reads", ()))
        function = getattr(strategy_class, name, None)
        found = _parameters(function) if callable(function) else ()
        if found is None:
            continue  # nothing to compare
        if found and ("pair" in found or "trade" in found) and set(reads) <= set(found):
            continue
        problems.append(f"IStrategy.{name}({', '.join(('pair or trade', *reads))})")
    return problems


def missing_internals() -> list[str]:
    """The freqtrade internals the consumer uses that this freqtrade lacks or changed.

    Each entry names the internal with the parameters the consumer relies on.
    """
    from freqtrade.data.dataprovider import DataProvider
    from freqtrade.exchange import Exchange
    from freqtrade.freqtradebot import FreqtradeBot
    from freqtrade.rpc.api_server.ws import serializer
    from freqtrade.strategy import IStrategy

    checks = [
        *((DataProvider, "DataProvider", n, e, True) for n, e in _DP_WRAPPED.items()),
        *((DataProvider, "DataProvider", n, e, False) for n, e in _DP_CALLED.items()),
        *((IStrategy, "IStrategy", n, e, True) for n, e in _STRATEGY_REPLACED.items()),
        *((IStrategy, "IStrategy", n, e, False) for n, e in _STRATEGY_CALLBACKS.items()),
        *(
            (_unwrapped(FreqtradeBot, n), "FreqtradeBot", n, e, True)
            for n, e in _BOT_WRAPPED.items()
        ),
        *(
            (_unwrapped(FreqtradeBot, n), "FreqtradeBot", n, e, False)
            for n, e in _BOT_GUARDED.items()
        ),
        *((_unwrapped(Exchange, n), "Exchange", n, e, True) for n, e in _EXCHANGE_WRAPPED.items()),
    ]
    missing = [problem for check in checks if (problem := _check(*check))]
    missing += _callback_problems(IStrategy)
    missing += [
        f"freqtrade.rpc.api_server.ws.serializer.{name}"
        for name in _SERIALIZER_NAMES
        if not callable(getattr(serializer, name, None))
    ]
    return missing


_BACKTESTING = {
    # what ``freqfleet backtest`` (backtest/engine.py) calls on freqtrade's Backtesting
    "_set_strategy": ("strategy",),
    "load_bt_data": (),
    "backtest": ("processed", "start_date", "end_date"),
    "cleanup": (),
}


def missing_backtesting_internals() -> list[str]:
    """The parts of freqtrade's ``Backtesting`` that ``freqfleet backtest`` uses and lacks."""
    from freqtrade.optimize.backtesting import Backtesting
    from freqtrade.wallets import Wallets

    missing = [
        problem
        for name, expected in _BACKTESTING.items()
        if (problem := _check(Backtesting, "Backtesting", name, expected, exact=False))
    ]
    wallets = _check(Wallets, "Wallets", "get_trade_stake_amount", ("pair",), exact=False)
    return [*missing, wallets] if wallets else missing


def unsupported_message(missing: list[str], what: str) -> str:
    """One line: this freqtrade lacks ``missing``, which ``what`` needs; what to install."""
    return (
        f"freqtrade {freqtrade_version()} lacks {', '.join(missing)}, which {what} needs; "
        f"install a tested freqtrade release ({tested_releases()}): "
        f"pip install 'freqtrade=={TESTED_FREQTRADE[-1]}'"
    )


def check_supported() -> None:
    """Warn outside the tested releases; fail at start-up when an internal is missing."""
    global _warned_version
    version = freqtrade_version()
    missing = missing_internals()
    tested = tested_releases()
    if missing:
        raise StrategySetupError(unsupported_message(missing, "the fleet strategy"))
    if _release(version) not in TESTED_FREQTRADE and not _warned_version:
        _warned_version = True
        logger.warning("freqfleet is tested with freqtrade %s; this bot runs %s", tested, version)


def tested_releases() -> str:
    """``2026.6 to 2026.9``: the tested releases as one range (they are consecutive)."""
    if len(TESTED_FREQTRADE) == 1:
        return TESTED_FREQTRADE[0]
    return f"{TESTED_FREQTRADE[0]} to {TESTED_FREQTRADE[-1]}"


# -- the analysed frame freqtrade hands to signals and callbacks -------------------------


def set_analyzed_frame(
    dp: Any, pair: str, timeframe: str, frame: DataFrame, candle_type: Any
) -> None:
    """Store ``frame`` as the pair's analysed frame (what ``get_analyzed_dataframe`` returns)."""
    dp._set_cached_df(pair, timeframe, frame, candle_type=candle_type)


# -- producer messages where they arrive --------------------------------------------------

FrameCheck = Callable[[str, str, str, Any, DataFrame], bool]
"""``check(producer, pair, timeframe, candle_type, frame)``: False drops the message."""
FrameStored = Callable[[str, str, str, Any, DataFrame, datetime], None]
WhitelistCheck = Callable[[str, list[str]], list[str] | None]
"""``check(producer, pairs)``: the pairs to store, or None to drop the message."""


def watch_producer_messages(
    dp: Any, *, check_frame: FrameCheck, stored: FrameStored, check_whitelist: WhitelistCheck
) -> None:
    """Route every producer message of ``dp`` through the consumer's checks.

    Wraps the DataProvider methods freqtrade's ExternalMessageConsumer calls (in its
    message thread): a frame that fails ``check_frame`` is dropped as handled (freqtrade
    would otherwise ask the producer for it again), a stored frame is reported to
    ``stored`` without a copy, a whitelist is replaced by what ``check_whitelist`` keeps.
    """
    if getattr(dp, "_fleet_watched", False):
        return
    add_external = dp._add_external_df
    replace_external = dp._replace_external_df
    set_pairs = dp._set_producer_pairs

    def add_external_df(
        pair: str,
        dataframe: DataFrame,
        last_analyzed: datetime,
        timeframe: str,
        candle_type: Any,
        producer_name: str = "default",
    ) -> Any:
        if not check_frame(producer_name, pair, timeframe, candle_type, dataframe):
            return (True, 0)
        return add_external(
            pair,
            dataframe,
            last_analyzed=last_analyzed,
            timeframe=timeframe,
            candle_type=candle_type,
            producer_name=producer_name,
        )

    def replace_external_df(
        pair: str,
        dataframe: DataFrame,
        last_analyzed: datetime,
        timeframe: str,
        candle_type: Any,
        producer_name: str = "default",
    ) -> None:
        replace_external(
            pair,
            dataframe,
            last_analyzed=last_analyzed,
            timeframe=timeframe,
            candle_type=candle_type,
            producer_name=producer_name,
        )
        stored(producer_name, pair, timeframe, candle_type, dataframe, last_analyzed)

    def set_producer_pairs(pairlist: list[str], producer_name: str = "default") -> None:
        kept = check_whitelist(producer_name, pairlist)
        if kept is not None:
            set_pairs(kept, producer_name=producer_name)

    dp._add_external_df = add_external_df
    dp._replace_external_df = replace_external_df
    dp._set_producer_pairs = set_producer_pairs
    dp._fleet_watched = True


# -- frames on the wire -------------------------------------------------------------------

_codec_installed = False


def install_frame_codec() -> None:
    """Send and read analysed frames exactly (see ``freqfleet.strategy.codec``).

    Replaces the websocket serialiser's two hooks in this process: frames this bot sends
    carry exact floats and dtypes (still readable by any freqtrade consumer), and frames
    it receives are rebuilt exactly when they carry the fleet's dtype record.
    """
    global _codec_installed
    if _codec_installed:
        return
    from freqtrade.rpc.api_server.ws import serializer

    from freqfleet.strategy.codec import (
        FrameDecodeError,
        decode_frame,
        encode_frame,
        is_fleet_encoded,
    )

    original_default = serializer._json_default
    original_hook = serializer._json_object_hook

    def json_default(value: Any) -> Any:
        if isinstance(value, DataFrame):
            return encode_frame(value)
        return original_default(value)

    def json_object_hook(value: dict) -> Any:
        if value.get("__type__") != "dataframe":
            return original_hook(value)
        try:
            if is_fleet_encoded(value):
                return decode_frame(value)
            return original_hook(value)
        except (FrameDecodeError, ValueError, TypeError, KeyError) as error:
            # A frame without dates: the consumer's check drops it and counts it against
            # the producer that sent it, instead of dropping the whole connection.
            return DataFrame({"fleet_malformed": [f"{type(error).__name__}: {error}"[:200]]})

    serializer._json_default = json_default
    serializer._json_object_hook = json_object_hook
    _codec_installed = True


# -- open trades' prices ------------------------------------------------------------------

_ORIGINAL = "_freqfleet_original"
"""Attribute of a patched method holding freqtrade's own (what the version check reads)."""


class _Unwrapped:
    """Stands in for a class in the version check: its methods as freqtrade defines them."""

    def __init__(self, owner: Any, name: str) -> None:
        method = getattr(owner, name, None)
        setattr(self, name, getattr(method, _ORIGINAL, method))


def _unwrapped(owner: Any, name: str) -> Any:
    return _Unwrapped(owner, name)


class _Pricing:
    """The open trade being priced on this thread (one ``handle_trade`` or adjustment)."""

    __slots__ = ("kind", "pair", "prices", "reused")

    def __init__(self, prices: Any, kind: str, pair: str) -> None:
        self.prices = prices
        self.kind = kind
        self.pair = pair
        self.reused = False


_pricing = threading.local()
_prices_reused = False


def _current() -> _Pricing | None:
    return getattr(_pricing, "current", None)


def _priced(prices: Any, kind: str, trade: Any, call: Callable[[], Any]) -> Any:
    """Run ``call`` (freqtrade's own check of ``trade``, once) letting it reuse the trade's
    price; an order it places takes a fresh price (``_fresh_order_rates``)."""
    previous = _current()
    _pricing.current = _Pricing(prices, kind, trade.pair)
    try:
        return call()
    finally:
        _pricing.current = previous


def _fresh_order_rates(
    bot: Any, pricing: _Pricing, pair: str, is_short: bool
) -> tuple[float, float] | None:
    """(entry rate, exit rate) taken now for an order about to be placed on ``pair`` when
    the decision to place it was made on a reused price; None when the price was fresh.

    Why here and not by deciding again: a second decision would run ``custom_exit``,
    ``custom_stoploss``, the trailing stop or ``adjust_trade_position`` twice in one loop.
    The decision stands (it is what a bot looping every ``exit_price_secs`` decides); the
    order goes out at a price of this loop.
    """
    if not pricing.reused or pair != pricing.pair:
        return None
    from freqtrade.exchange import Exchange

    pricing.reused = False
    pricing.prices.repriced += 1
    if pricing.kind == "exit":
        rate = float(
            _unwrapped_call(Exchange, "get_rate")(bot.exchange, pair, True, "exit", is_short)
        )
        pricing.prices.taken("exit", pair, is_short, (rate,))
        logger.debug("Fleet: %s exit decided on a reused price, placed at %s", pair, rate)
        return rate, rate
    entry, exit_ = _unwrapped_call(Exchange, "get_rates")(bot.exchange, pair, True, is_short)
    pricing.prices.taken("adjust", pair, is_short, (entry, exit_))
    logger.debug(
        "Fleet: %s adjustment decided on reused rates, placed at %s/%s", pair, entry, exit_
    )
    return float(entry), float(exit_)


def _unwrapped_call(owner: Any, name: str) -> Any:
    """freqtrade's own ``owner.name`` (the function under a fleet patch)."""
    method = getattr(owner, name)
    return getattr(method, _ORIGINAL, method)


def reuse_exit_prices() -> None:
    """Let a consumer bot reuse its open trades' prices (``freqfleet.strategy.exit_pricing``)."""
    _patch_order_path()


def _patch_order_path() -> None:
    """Patch freqtrade's pricing and order path once per process.

    Patches freqtrade's classes once per process; each patched method acts only for a bot
    whose strategy carries ``fleet_exit_prices`` (an ``ExitPrices``), every other bot in
    the process runs freqtrade's own code:

    - ``FreqtradeBot.handle_trade`` and ``check_and_call_adjust_trade_position`` mark the
      trade being priced (a thread-local: the API's force exits on other threads are
      untouched);
    - ``Exchange.get_rate`` (exit side, ``refresh=True``) and ``get_rates`` hand out the
      trade's reused price when ``ExitPrices`` allows, else ask the exchange and remember;
    - ``FreqtradeBot.execute_trade_exit`` and ``execute_entry``, called by a decision made
      on a reused price, place the order at a price taken fresh for it: an exit or
      adjustment always goes out at a price of the loop that places it, and every
      callback runs once per loop as in a plain bot; on a bot whose orders are guarded
      (``guard_orders``) they also tell the guard what the order is for.
    """
    global _prices_reused
    if _prices_reused:
        return
    from freqtrade.exchange import Exchange
    from freqtrade.freqtradebot import FreqtradeBot

    handle_trade = FreqtradeBot.handle_trade
    adjust_position = FreqtradeBot.check_and_call_adjust_trade_position
    execute_exit = FreqtradeBot.execute_trade_exit
    execute_entry = FreqtradeBot.execute_entry
    get_rate = Exchange.get_rate
    get_rates = Exchange.get_rates

    def fleet_handle_trade(self: Any, trade: Any) -> bool:
        prices = getattr(self.strategy, "fleet_exit_prices", None)
        if prices is None:
            return handle_trade(self, trade)
        return bool(_priced(prices, "exit", trade, lambda: handle_trade(self, trade)))

    def fleet_adjust_position(self: Any, trade: Any) -> Any:
        prices = getattr(self.strategy, "fleet_exit_prices", None)
        if prices is None:
            return adjust_position(self, trade)
        return _priced(prices, "adjust", trade, lambda: adjust_position(self, trade))

    def fleet_execute_exit(
        self: Any, trade: Any, limit: float, exit_check: Any, **kwargs: Any
    ) -> Any:
        pricing = _current()
        if pricing is not None:
            fresh = _fresh_order_rates(self, pricing, trade.pair, trade.is_short)
            if fresh is not None:
                limit = fresh[1]
        with _sending(
            self,
            kind="exit",
            trade_id=trade.id,
            tag=kwargs.get("exit_tag") or getattr(exit_check, "exit_reason", None),
            is_short=trade.is_short,
        ):
            return execute_exit(self, trade, limit, exit_check, **kwargs)

    def fleet_execute_entry(
        self: Any, pair: str, stake_amount: float, price: float | None = None, **kwargs: Any
    ) -> Any:
        pricing = _current()
        if pricing is not None and price is not None:
            fresh = _fresh_order_rates(self, pricing, pair, bool(kwargs.get("is_short")))
            if fresh is not None:
                price = fresh[0]
        trade = kwargs.get("trade")
        with _sending(
            self,
            kind="entry" if trade is None else "adjust",
            trade_id=None if trade is None else trade.id,
            stake_amount=stake_amount,
            tag=kwargs.get("enter_tag"),
            is_short=bool(kwargs.get("is_short")),
        ):
            return execute_entry(self, pair, stake_amount, price, **kwargs)

    def fleet_get_rate(
        self: Any,
        pair: str,
        refresh: bool,
        side: Any,
        is_short: bool,
        order_book: Any = None,
        ticker: Any = None,
    ) -> float:
        pricing = _current()
        if (
            pricing is None
            or pricing.kind != "exit"
            or side != "exit"
            or not refresh
            or pair != pricing.pair
        ):
            return get_rate(self, pair, refresh, side, is_short, order_book, ticker)
        rates = pricing.prices.reusable("exit", pair, is_short)
        if rates is not None:
            pricing.reused = True
            return float(rates[0])
        rate = get_rate(self, pair, refresh, side, is_short, order_book, ticker)
        pricing.prices.taken("exit", pair, is_short, (rate,))
        return rate

    def fleet_get_rates(self: Any, pair: str, refresh: bool, is_short: bool) -> tuple[float, float]:
        pricing = _current()
        if pricing is None or pricing.kind != "adjust" or not refresh or pair != pricing.pair:
            return get_rates(self, pair, refresh, is_short)
        rates = pricing.prices.reusable("adjust", pair, is_short)
        if rates is not None:
            pricing.reused = True
            return float(rates[0]), float(rates[1])
        entry_rate, exit_rate = get_rates(self, pair, refresh, is_short)
        pricing.prices.taken("adjust", pair, is_short, (entry_rate, exit_rate))
        return entry_rate, exit_rate

    patches: list[tuple[Any, str, Any, Any]] = [
        (FreqtradeBot, "handle_trade", fleet_handle_trade, handle_trade),
        (
            FreqtradeBot,
            "check_and_call_adjust_trade_position",
            fleet_adjust_position,
            adjust_position,
        ),
        (FreqtradeBot, "execute_trade_exit", fleet_execute_exit, execute_exit),
        (FreqtradeBot, "execute_entry", fleet_execute_entry, execute_entry),
        (Exchange, "get_rate", fleet_get_rate, get_rate),
        (Exchange, "get_rates", fleet_get_rates, get_rates),
    ]
    for owner, name, patched, original in patches:
        functools.update_wrapper(patched, original)
        setattr(patched, _ORIGINAL, original)
        setattr(owner, name, patched)
    _prices_reused = True


# -- pandas -------------------------------------------------------------------------------


def column_values(frame: DataFrame, name: str) -> Any:
    """A column's values without building a Series (the per-loop path reads a few).

    pandas' internal column accessor takes a few microseconds instead of about ten for
    ``frame[name]``; the public path is used when it is missing.
    """
    getter = getattr(frame, "_get_column_array", None)
    if getter is not None:
        location = frame.columns.get_loc(name)
        if isinstance(location, int):
            return getter(location)
    return frame[name].array


__all__ = [
    "TESTED_FREQTRADE",
    "check_supported",
    "column_values",
    "freqtrade_image_tag",
    "freqtrade_version",
    "install_frame_codec",
    "missing_backtesting_internals",
    "missing_internals",
    "reuse_exit_prices",
    "set_analyzed_frame",
    "tested_releases",
    "unsupported_message",
    "watch_producer_messages",
]


# -- a producer's tickers -------------------------------------------------------------------

_EXCHANGE_USED = {
    # freqtrade's Exchange, on a producer: tickers answered from the stream's cache
    "fetch_ticker": ("pair",),
    "_init_ccxt": ("exchange_config", "sync", "ccxt_kwargs"),
}
TickerAnswer = Callable[[str, Callable[[str], Any]], Any]
"""``answer(pair, fetch_ticker)``: a ticker for ``pair``; freqtrade's own fetch as fallback."""


def missing_producer_internals() -> list[str]:
    """The parts of freqtrade's ``Exchange`` a producer's ticker stream relies on, if missing."""
    from freqtrade.exchange import Exchange

    return [
        problem
        for name, expected in _EXCHANGE_USED.items()
        if (problem := _check(Exchange, "Exchange", name, expected, exact=False))
    ]


def bot_exchange(dp: Any) -> Any:
    """The bot's freqtrade ``Exchange`` behind its DataProvider (None in tools and tests)."""
    return getattr(dp, "_exchange", None)


def route_tickers(exchange: Any, answer: TickerAnswer) -> bool:
    """Make ``exchange.fetch_ticker(pair)`` (every ticker freqtrade's pricing asks for)
    return ``answer(pair, original_fetch_ticker)``. False when this freqtrade lacks what
    that needs (the bot keeps its own REST tickers)."""
    missing = missing_producer_internals()
    if missing:
        logger.warning("Producer prices stay on REST: %s", unsupported_message(missing, "it"))
        return False
    if getattr(exchange, "_fleet_tickers_routed", False):
        return True
    original = exchange.fetch_ticker

    def fetch_ticker(pair: str) -> Any:
        return answer(pair, original)

    exchange.fetch_ticker = fetch_ticker
    exchange._fleet_tickers_routed = True
    return True


def fetch_tickers_uncached(exchange: Any, symbols: list[str]) -> dict[str, Any]:
    """One REST ``fetch_tickers(symbols)`` past freqtrade's ticker cache (which holds the
    whole market's tickers for pairlists: a partial answer must not replace it)."""
    return dict(exchange._api.fetch_tickers(symbols))


def stream_client_maker(exchange: Any) -> Callable[[], Any] | None:
    """A maker of new ccxt.pro clients of the bot's exchange class and config (``urls``,
    options, headers as freqtrade merges them for its own websocket client), with the
    bot's markets; None when that class cannot watch tickers or ``enable_ws`` is off."""
    from copy import deepcopy

    from freqtrade.misc import deep_merge_dicts

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


def freqtrade_ws_enabled(name: str) -> bool:
    """Whether freqtrade takes candles from websocket streams on exchange ``name`` (its
    class's ``_ft_has["ws_enabled"]``, spot), given ``enable_ws``."""
    import freqtrade.exchange as exchanges

    for value in vars(exchanges).values():
        if (
            isinstance(value, type)
            and issubclass(value, exchanges.Exchange)
            and value.__name__.lower() == name.lower()
        ):
            return bool(getattr(value, "_ft_has", {}).get("ws_enabled", False))
    return False


# -- a live consumer's orders ----------------------------------------------------------------

_ORDER_BOT_USED = {
    # what the order guard calls on freqtrade's FreqtradeBot and Exchange
    "startup": (),
    "update_trade_state": ("trade", "order_id", "action_order"),
}
_ORDER_EXCHANGE_USED = {
    "create_order": (
        "pair",
        "ordertype",
        "side",
        "amount",
        "rate",
        "leverage",
        "time_in_force",
        "reduceOnly",
        "initial_order",
    ),
    "_get_params": ("side", "ordertype", "leverage", "reduceOnly", "time_in_force"),
    "_order_contracts_to_amount": ("order",),
}
ORDER_LOOKUP_TRIES = 3
ORDER_LOOKUP_PAUSE_SECS = 1.0


def missing_order_internals() -> list[str]:
    """The parts of freqtrade the live consumer's order guard relies on, if missing."""
    from freqtrade.exchange import Exchange
    from freqtrade.freqtradebot import FreqtradeBot

    return [
        *(
            problem
            for name, expected in _ORDER_BOT_USED.items()
            if (
                problem := _check(
                    _unwrapped(FreqtradeBot, name), "FreqtradeBot", name, expected, False
                )
            )
        ),
        *(
            problem
            for name, expected in _ORDER_EXCHANGE_USED.items()
            if (problem := _check(Exchange, "Exchange", name, expected, exact=False))
        ),
    ]


class _OrderContext(threading.local):
    """What freqtrade is doing on this thread when it sends an order (set by the
    ``execute_entry`` / ``execute_trade_exit`` patches of a guarded bot)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.kind: str | None = None
        self.trade_id: int | None = None
        self.stake_amount: float | None = None
        self.tag: str | None = None
        self.is_short = False
        self.leverage = 1.0


_order_context = _OrderContext()


@contextlib.contextmanager
def _sending(bot: Any, **what: Any) -> Iterator[None]:
    """Tell a guarded bot's order guard what the orders sent in this block are for."""
    if getattr(bot.exchange, "_fleet_order_guard", None) is None:
        yield
        return
    for name, value in what.items():
        setattr(_order_context, name, value)
    try:
        yield
    finally:
        _order_context.reset()


class OrderGuard:
    """Sends a live consumer's orders so that none is lost, orphaned or sent twice.

    Every order gets a client order id written to the journal before the request leaves
    (``freqfleet.strategy.order_journal``). When the exchange's answer is lost (timeout,
    5xx, 429), the order is looked up by that id: found, it is handed to freqtrade as the
    answer (recorded in its trade as if the answer had come); not found, the error stands
    and nothing was placed. When the lookup fails too, the pair takes no new order until
    the order's fate is known. At start-up (``FreqtradeBot.startup``), orders sent by a
    bot that died before the answer are looked up and recorded in their trade.
    """

    def __init__(self, exchange: Any, journal: Any) -> None:
        self.exchange = exchange
        self.journal = journal
        self.bot: Any = None
        self.found_after_error = 0
        """Orders whose answer was lost and that were found on the exchange."""
        self.adopted = 0
        """Orders of a dead bot found at start-up and recorded in a trade."""

    # -- sending ---------------------------------------------------------------------------
    def install(self) -> None:
        exchange = self.exchange
        create_order = exchange.create_order
        get_params = exchange._get_params
        sending = threading.local()

        def params_with_client_id(*args: Any, **kwargs: Any) -> dict:
            params = get_params(*args, **kwargs)
            client_id = getattr(sending, "client_id", None)
            return params if client_id is None else {**params, "newClientOrderId": client_id}

        def guarded_create_order(**kwargs: Any) -> Any:
            entry = self._journal_entry(kwargs)
            sending.client_id = entry.client_id
            try:
                order = self._send(create_order, entry, kwargs)
            finally:
                sending.client_id = None
            return order

        exchange._get_params = params_with_client_id
        exchange.create_order = guarded_create_order
        exchange._fleet_order_guard = self

    def _journal_entry(self, kwargs: dict[str, Any]) -> Any:
        from freqtrade.exceptions import TemporaryError

        from freqfleet.strategy.order_journal import JournalEntry, new_client_id

        pair = kwargs["pair"]
        if self.journal.unsettled(pair):
            self.settle_pending(pair)
            if self.journal.unsettled(pair):
                raise TemporaryError(
                    f"An earlier order on {pair} may be on the exchange (its answer was lost "
                    "and the lookup failed): no new order on the pair until it is found"
                )
        context = _order_context
        kind = context.kind or ("entry" if kwargs.get("initial_order", True) else "exit")
        return self.journal.write(
            JournalEntry(
                client_id=new_client_id(),
                pair=pair,
                side=kwargs["side"],
                order_type=kwargs["ordertype"],
                amount=float(kwargs["amount"]),
                rate=None if kwargs.get("rate") is None else float(kwargs["rate"]),
                kind=kind,
                trade_id=context.trade_id,
                stake_amount=context.stake_amount,
                tag=context.tag,
                is_short=context.is_short,
                leverage=float(kwargs.get("leverage") or 1.0),
            )
        )

    def _send(self, create_order: Callable[..., Any], entry: Any, kwargs: dict[str, Any]) -> Any:
        from freqtrade.exceptions import (
            InsufficientFundsError,
            InvalidOrderException,
            TemporaryError,
        )

        from freqfleet.strategy.order_journal import OrderState

        try:
            order = create_order(**kwargs)
        except (InsufficientFundsError, InvalidOrderException):
            self.journal.settle(entry.client_id, OrderState.NOT_PLACED)
            raise
        except TemporaryError as error:
            found = self._look_up(entry)
            if found is None:
                self.journal.settle(entry.client_id, OrderState.NOT_PLACED)
                logger.warning(
                    "Fleet: %s %s order not placed (%s); not found on the exchange by its "
                    "client id",
                    entry.pair,
                    entry.side,
                    type(error).__name__,
                )
                raise
            if found is _LOOKUP_FAILED:
                self.journal.settle(entry.client_id, OrderState.UNKNOWN)
                logger.warning(
                    "Fleet: %s %s order: the exchange's answer was lost (%s) and it could not "
                    "be looked up; no new order on the pair until it is found",
                    entry.pair,
                    entry.side,
                    type(error).__name__,
                )
                raise
            self.found_after_error += 1
            logger.warning(
                "Fleet: %s %s order %s was placed although the exchange answered %s: "
                "recorded in its trade",
                entry.pair,
                entry.side,
                found["id"],
                type(error).__name__,
            )
            order = found
        self.journal.settle(entry.client_id, OrderState.PLACED, order_id=str(order["id"]))
        return order

    def _look_up(self, entry: Any) -> Any:
        """The order sent under ``entry``'s client id as freqtrade's ``create_order``
        returns it; None when the exchange has no such order; ``_LOOKUP_FAILED``."""
        import ccxt

        for attempt in range(ORDER_LOOKUP_TRIES):
            if attempt:
                time.sleep(ORDER_LOOKUP_PAUSE_SECS)
            try:
                order = self.exchange._api.fetch_order(
                    "", entry.pair, {"origClientOrderId": entry.client_id}
                )
            except ccxt.OrderNotFound:
                return None
            except ccxt.BaseError as error:
                logger.info("Fleet: looking up %s order on %s: %s", entry.side, entry.pair, error)
                continue
            if order.get("status") is None:
                order["status"] = "open"
            if order.get("type") is None:
                order["type"] = entry.order_type
            return self.exchange._order_contracts_to_amount(order)
        return _LOOKUP_FAILED

    # -- orders of a bot that died ---------------------------------------------------------
    def settle_pending(self, pair: str | None = None) -> None:
        """Look up every order whose answer was lost (of ``pair``, or all) and record the
        ones found in their trade."""
        from freqtrade.persistence import Order

        from freqfleet.strategy.order_journal import OrderState

        for entry in self.journal.unsettled(pair):
            found = self._look_up(entry)
            if found is _LOOKUP_FAILED:
                self.journal.settle(entry.client_id, OrderState.UNKNOWN)
                continue
            if found is None:
                self.journal.settle(entry.client_id, OrderState.NOT_PLACED)
                logger.info(
                    "Fleet: %s %s order of an earlier run was not placed", entry.pair, entry.side
                )
                continue
            order_id = str(found["id"])
            if Order.order_by_id(order_id, entry.pair) is not None:
                self.journal.settle(entry.client_id, OrderState.PLACED, order_id=order_id)
                continue
            if self.bot is None:
                continue  # recorded at start-up, when the bot is known
            _record_found_order(self.bot, entry, found)
            self.adopted += 1
            self.journal.settle(entry.client_id, OrderState.ADOPTED, order_id=order_id)

    def stats(self) -> dict[str, int]:
        return {
            "found_after_error": self.found_after_error,
            "adopted": self.adopted,
            "unsettled": len(self.journal.unsettled()),
        }


_LOOKUP_FAILED: Any = object()


def _record_found_order(bot: Any, entry: Any, order: Any) -> None:
    """Record an order found on the exchange (sent by a bot that died before the answer)
    in its trade, as freqtrade's ``execute_entry`` / ``execute_trade_exit`` would have."""
    from freqtrade.constants import NON_OPEN_EXCHANGE_STATES
    from freqtrade.exchange import timeframe_to_minutes
    from freqtrade.persistence import Order, Trade

    order_obj = Order.parse_from_ccxt_object(
        order, entry.pair, entry.side, entry.amount, entry.rate
    )
    order_obj.ft_order_tag = entry.tag
    rate = entry.rate or float(order.get("average") or order.get("price") or 0.0)
    trade = None
    if entry.trade_id is not None:
        trade = Trade.get_trades([Trade.id == entry.trade_id]).first()
    if trade is None and entry.kind != "entry":
        logger.warning(
            "Fleet: %s order %s of an earlier run belongs to trade %s, which is gone: left "
            "on the exchange",
            entry.pair,
            order["id"],
            entry.trade_id,
        )
        return
    if trade is None:
        exchange = bot.exchange
        fee = exchange.get_fee(symbol=entry.pair, taker_or_maker="maker")
        trade = Trade(
            pair=entry.pair,
            base_currency=exchange.get_pair_base_currency(entry.pair),
            stake_currency=bot.config["stake_currency"],
            stake_amount=entry.stake_amount or entry.amount * rate / entry.leverage,
            amount=0,
            is_open=True,
            amount_requested=entry.amount,
            fee_open=fee,
            fee_close=fee,
            open_rate=rate,
            open_rate_requested=rate,
            open_date=order_obj.order_date_utc,
            exchange=exchange.id,
            strategy=bot.strategy.get_strategy_name(),
            enter_tag=entry.tag,
            timeframe=timeframe_to_minutes(bot.config["timeframe"]),
            leverage=entry.leverage,
            is_short=entry.is_short,
            trading_mode=bot.trading_mode,
            funding_fees=0.0,
            amount_precision=exchange.get_precision_amount(entry.pair),
            price_precision=exchange.get_precision_price(entry.pair),
            precision_mode=exchange.precisionMode,
            precision_mode_price=exchange.precision_mode_price,
            contract_size=exchange.get_contract_size(entry.pair),
        )
        trade.adjust_stop_loss(trade.open_rate, bot.strategy.stoploss, initial=True)
    elif entry.kind == "exit":
        trade.exit_reason = entry.tag
        trade.close_rate_requested = rate
    trade.orders.append(order_obj)
    trade.recalc_trade_from_orders()
    Trade.session.add(trade)
    Trade.commit()
    logger.warning(
        "Fleet: %s %s order %s sent before the bot stopped was found on the exchange "
        "(%s): recorded in trade %s",
        entry.pair,
        entry.side,
        order["id"],
        order.get("status"),
        trade.id,
    )
    if order.get("status") in NON_OPEN_EXCHANGE_STATES:
        bot.update_trade_state(trade, order_obj.order_id, order)


_orders_guarded = False


def guard_orders(exchange: Any, journal: Any) -> OrderGuard:
    """Guard ``exchange``'s (a live consumer's) orders with ``journal``; patches
    ``FreqtradeBot.startup`` once per process so that orders of a bot that died are looked
    up before the first loop (only for a bot whose exchange carries a guard)."""
    global _orders_guarded
    missing = missing_order_internals()
    if missing:
        raise StrategySetupError(unsupported_message(missing, "the live consumer's orders"))
    guard = OrderGuard(exchange, journal)
    guard.install()
    _patch_order_path()
    if not _orders_guarded:
        from freqtrade.freqtradebot import FreqtradeBot

        startup = FreqtradeBot.startup

        def fleet_startup(self: Any) -> None:
            startup(self)
            found = getattr(self.exchange, "_fleet_order_guard", None)
            if found is not None:
                found.bot = self
                found.settle_pending()
                found.journal.compact()

        functools.update_wrapper(fleet_startup, startup)
        setattr(fleet_startup, _ORIGINAL, startup)
        FreqtradeBot.startup = fleet_startup
        _orders_guarded = True
    return guard
