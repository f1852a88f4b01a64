"""Open trades' prices between a consumer's loops, and the order path that uses them.

freqtrade prices every open trade on every loop (``FreqtradeBot.handle_trade`` and
``check_and_call_adjust_trade_position`` ask ``Exchange.get_rate`` / ``get_rates`` with
``refresh=True``) and places orders through ``execute_trade_exit`` / ``execute_entry``.
``reuse_exit_prices`` patches those six once per process (see ``patch_order_path``); the
policy of when a price may be reused is ``freqfleet.strategy.exit_pricing``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from freqfleet.compat import patches

logger = logging.getLogger(__name__)


class OrderContext(threading.local):
    """What freqtrade is doing on this thread when it sends an order (set by the
    ``execute_entry`` / ``execute_trade_exit`` patches of a bot whose orders are guarded)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.kind: str | None = None
        self.trade_id: int | None = None
        self.stake_amount: float | None = None
        self.tag: str | None = None
        self.is_short = False
        self.leverage = 1.0


order_context = OrderContext()


@contextlib.contextmanager
def _sending(bot: Any, **what: Any) -> Iterator[None]:
    """Tell a guarded bot's order guard what the orders sent in this block are for."""
    if not patches.is_patched(bot.exchange, "create_order"):
        yield
        return
    for name, value in what.items():
        setattr(order_context, name, value)
    try:
        yield
    finally:
        order_context.reset()


class _Pricing:
    """The open trade being priced on this thread (one ``handle_trade`` or adjustment)."""

    __slots__ = ("kind", "pair", "prices", "reused")

    def __init__(self, prices: Any, kind: str, pair: str) -> None:
        self.prices = prices
        self.kind = kind
        self.pair = pair
        self.reused = False


_pricing = threading.local()


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
        get_rate = patches.original(Exchange, "get_rate")
        rate = float(get_rate(bot.exchange, pair, True, "exit", is_short))
        pricing.prices.taken("exit", pair, is_short, (rate,))
        logger.debug("Fleet: %s exit decided on a reused price, placed at %s", pair, rate)
        return rate, rate
    entry, exit_ = patches.original(Exchange, "get_rates")(bot.exchange, pair, True, is_short)
    pricing.prices.taken("adjust", pair, is_short, (entry, exit_))
    logger.debug(
        "Fleet: %s adjustment decided on reused rates, placed at %s/%s", pair, entry, exit_
    )
    return float(entry), float(exit_)


def reuse_exit_prices() -> None:
    """Let a consumer bot reuse its open trades' prices (``freqfleet.strategy.exit_pricing``)."""
    patch_order_path()


def patch_order_path() -> None:
    """Patch freqtrade's pricing and order path once per process.

    Each patched method acts only for a bot whose strategy carries ``fleet_exit_prices``
    (an ``ExitPrices``), every other bot in the process runs freqtrade's own code:

    - ``FreqtradeBot.handle_trade`` and ``check_and_call_adjust_trade_position`` mark the
      trade being priced (a thread-local: the API's force exits on other threads are
      untouched);
    - ``Exchange.get_rate`` (exit side, ``refresh=True``) and ``get_rates`` hand out the
      trade's reused price when ``ExitPrices`` allows, else ask the exchange and remember;
    - ``FreqtradeBot.execute_trade_exit`` and ``execute_entry``, called by a decision made
      on a reused price, place the order at a price taken fresh for it: an exit or
      adjustment always goes out at a price of the loop that places it, and every
      callback runs once per loop as in a plain bot; on a bot whose orders are guarded
      (``orders.guard_orders``) they also tell the guard what the order is for.
    """
    from freqtrade.exchange import Exchange
    from freqtrade.freqtradebot import FreqtradeBot

    if patches.is_patched(FreqtradeBot, "handle_trade"):
        return
    _patch_bot(FreqtradeBot)
    _patch_exchange(Exchange)


def _patch_bot(bot_class: Any) -> None:
    handle_trade = bot_class.handle_trade
    adjust_position = bot_class.check_and_call_adjust_trade_position
    execute_exit = bot_class.execute_trade_exit
    execute_entry = bot_class.execute_entry

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

    patches.patch(bot_class, "handle_trade", fleet_handle_trade)
    patches.patch(bot_class, "check_and_call_adjust_trade_position", fleet_adjust_position)
    patches.patch(bot_class, "execute_trade_exit", fleet_execute_exit)
    patches.patch(bot_class, "execute_entry", fleet_execute_entry)


def _patch_exchange(exchange_class: Any) -> None:
    get_rate = exchange_class.get_rate
    get_rates = exchange_class.get_rates

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

    patches.patch(exchange_class, "get_rate", fleet_get_rate)
    patches.patch(exchange_class, "get_rates", fleet_get_rates)


__all__ = ["OrderContext", "order_context", "patch_order_path", "reuse_exit_prices"]
