"""The wrapped strategy's callbacks on a consumer, while a pair has no producer data.

A consumer restarted with open trades runs freqtrade's callbacks before its producers
are back; a public strategy reads ``df.iloc[-1]["EMA_200"]`` in ``custom_exit`` and would
raise on a frame without the producer's columns. While a pair has no producer data, the
callbacks that read it are not called: the consumer answers with freqtrade's neutral
default, as if the strategy did not implement them, and calls them again the moment data
arrives.

Every strategy callback of freqtrade's ``IStrategy`` and what a consumer does with it:

=========================  ============================================================
callback                   while the pair has no producer data
=========================  ============================================================
bot_start, bot_loop_start  called (not about a pair)
custom_stake_amount        proposed_stake
custom_entry_price         proposed_rate
custom_exit_price          proposed_rate
confirm_trade_entry        True (entries need fresh producer data anyway)
confirm_trade_exit         True: exits are confirmed
custom_exit                None: no custom exit
custom_stoploss            None: no stoploss change
custom_roi                 None: the strategy's minimal_roi
adjust_trade_position      None: no adjustment
adjust_entry_price         current_order_rate (the order stays)
adjust_exit_price          current_order_rate
adjust_order_price         current_order_rate
check_entry_timeout        False (freqtrade's unfilledtimeout still applies)
check_exit_timeout         False
order_filled               not called
leverage                   1.0
populate_*, informative    not called on a consumer at all (producers analyse)
plot_annotations           not called in trade mode
=========================  ============================================================
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from freqtrade.strategy import IStrategy

from freqfleet.compat import patch


class _Argument:
    """A neutral answer that is one of the callback's arguments; ``reads`` names it, so
    the start-up check (``freqfleet.compat``) can tell freqtrade still passes it."""

    def __init__(self, name: str) -> None:
        self.reads = (name,)

    def __call__(self, arguments: dict[str, Any]) -> Any:
        return arguments.get(self.reads[0])


def _argument(name: str) -> Callable[[dict[str, Any]], Any]:
    return _Argument(name)


def _constant(value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda arguments: value


NEUTRAL_DEFAULTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "custom_stake_amount": _argument("proposed_stake"),
    "custom_entry_price": _argument("proposed_rate"),
    "custom_exit_price": _argument("proposed_rate"),
    "confirm_trade_entry": _constant(True),
    "confirm_trade_exit": _constant(True),
    "custom_exit": _constant(None),
    "custom_stoploss": _constant(None),
    "custom_roi": _constant(None),
    "adjust_trade_position": _constant(None),
    "adjust_entry_price": _argument("current_order_rate"),
    "adjust_exit_price": _argument("current_order_rate"),
    "adjust_order_price": _argument("current_order_rate"),
    "check_entry_timeout": _constant(False),
    "check_exit_timeout": _constant(False),
    "order_filled": _constant(None),
    "leverage": _constant(1.0),
}
"""Callback name -> its neutral answer, from the call's arguments."""


def _pair_of(arguments: dict[str, Any]) -> str | None:
    pair = arguments.get("pair")
    if isinstance(pair, str):
        return pair
    trade = arguments.get("trade")
    return getattr(trade, "pair", None)


def guard_callbacks(
    strategy: Any,
    has_data: Callable[[str], bool],
    on_skip: Callable[[str, str], None],
    names: tuple[str, ...] = tuple(NEUTRAL_DEFAULTS),
) -> None:
    """Bind guarded versions of ``names`` on the strategy instance.

    ``has_data(pair)`` decides per call; ``on_skip(pair, callback)`` is told when a call
    is answered with the neutral default. Arguments are bound by the names of
    ``IStrategy``'s signature, as freqtrade passes them (mostly by keyword).
    """
    for name in names:
        method = getattr(strategy, name, None)
        if method is None:
            continue
        signature = inspect.signature(getattr(IStrategy, name))
        patch(
            strategy,
            name,
            _guarded(name, method, signature, NEUTRAL_DEFAULTS[name], has_data, on_skip),
        )


def _guarded(
    name: str,
    method: Callable[..., Any],
    signature: inspect.Signature,
    default: Callable[[dict[str, Any]], Any],
    has_data: Callable[[str], bool],
    on_skip: Callable[[str, str], None],
) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            arguments = signature.bind_partial(None, *args, **kwargs).arguments
        except TypeError:
            return method(*args, **kwargs)
        pair = _pair_of(arguments)
        if pair is None or has_data(pair):
            return method(*args, **kwargs)
        on_skip(pair, name)
        return default(arguments)

    return guarded


__all__ = ["NEUTRAL_DEFAULTS", "guard_callbacks"]
