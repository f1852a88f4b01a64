"""A live consumer's orders: none lost, orphaned or sent twice.

freqtrade records an order only after the exchange answered; the guard gives each order
a client order id written to the journal first (``freqfleet.strategy.order_journal``),
through freqtrade's ``Exchange.create_order`` and ``_get_params``, looks a lost answer
up with ccxt (``Exchange._api``) and records orders found that way as freqtrade would
have (``freqtrade.persistence``, ``FreqtradeBot.update_trade_state``).
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from freqfleet.compat import patches
from freqfleet.compat.checks import require
from freqfleet.compat.model import Feature
from freqfleet.compat.pricing import order_context, patch_order_path

logger = logging.getLogger(__name__)

ORDER_LOOKUP_TRIES = 3
ORDER_LOOKUP_PAUSE_SECS = 1.0


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

        patches.patch(exchange, "_get_params", params_with_client_id)
        patches.patch(exchange, "create_order", _GuardedCreateOrder(self, guarded_create_order))

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
        context = order_context
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
            if _refused(error):
                # The exchange answered and refused the order (a 4xx such as Binance's
                # "Filter failure: NOTIONAL", which ccxt calls BadRequest): nothing was
                # placed. freqtrade would take it for a network failure and pause the
                # whole bot for 30 s; it is this order's failure, as an invalid order is.
                self.journal.settle(entry.client_id, OrderState.NOT_PLACED)
                raise InvalidOrderException(str(error)) from error
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
            if _recorded(Order, order_id, entry.pair):
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


def _recorded(order_model: Any, order_id: str, pair: str) -> bool:
    """Whether freqtrade's database holds exchange order ``order_id`` of ``pair``
    (``Order.order_by_id`` takes the pair from freqtrade 2026.7 on)."""
    parameters = inspect.signature(order_model.order_by_id).parameters
    if "pair" in parameters:
        return order_model.order_by_id(order_id, pair) is not None
    found = order_model.order_by_id(order_id)
    return found is not None and found.ft_pair == pair


def _refused(error: BaseException) -> bool:
    """Whether freqtrade's TemporaryError came from an answer refusing the request (ccxt's
    BadRequest, a 4xx with the exchange's reason) rather than from a lost one."""
    import ccxt

    cause = error.__cause__
    return isinstance(cause, ccxt.BadRequest) and not isinstance(cause, ccxt.NetworkError)


def _record_found_order(bot: Any, entry: Any, order: Any) -> None:
    """Record an order found on the exchange (sent by a bot that died before the answer)
    in its trade, as freqtrade's ``execute_entry`` / ``execute_trade_exit`` would have."""
    from freqtrade.constants import NON_OPEN_EXCHANGE_STATES
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
        trade = _new_trade(bot, entry, order_obj, rate)
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


def _new_trade(bot: Any, entry: Any, order_obj: Any, rate: float) -> Any:
    """The trade a found entry order opens, as freqtrade's ``execute_entry`` makes it."""
    from freqtrade.exchange import timeframe_to_minutes
    from freqtrade.persistence import Trade

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
    return trade


def guard_orders(exchange: Any, journal: Any) -> OrderGuard:
    """Guard ``exchange``'s (a live consumer's) orders with ``journal``; patches
    ``FreqtradeBot.startup`` once per process so that orders of a bot that died are looked
    up before the first loop (only for a bot whose exchange carries a guard)."""
    require(Feature.LIVE_ORDERS)
    guard = OrderGuard(exchange, journal)
    guard.install()
    patch_order_path()
    from freqtrade.freqtradebot import FreqtradeBot

    if not patches.is_patched(FreqtradeBot, "startup"):
        startup = FreqtradeBot.startup

        def fleet_startup(self: Any) -> None:
            startup(self)
            found = guard_of(self.exchange)
            if found is not None:
                found.bot = self
                found.settle_pending()
                found.journal.compact()

        patches.patch(FreqtradeBot, "startup", fleet_startup)
    return guard


class _GuardedCreateOrder:
    """A guarded exchange's ``create_order``: knows its guard (``guard_of``)."""

    def __init__(self, guard: OrderGuard, create_order: Callable[..., Any]) -> None:
        self.guard = guard
        self._create_order = create_order

    def __call__(self, **kwargs: Any) -> Any:
        return self._create_order(**kwargs)


def guard_of(exchange: Any) -> OrderGuard | None:
    """The guard of ``exchange``'s orders; None when they are not guarded."""
    sender = patches.replacement(exchange, "create_order")
    return sender.guard if isinstance(sender, _GuardedCreateOrder) else None


__all__ = [
    "ORDER_LOOKUP_PAUSE_SECS",
    "ORDER_LOOKUP_TRIES",
    "OrderGuard",
    "guard_of",
    "guard_orders",
]
