"""The pricing and order path patches: once per process, freqtrade's own underneath.

How a consumer's prices are reused and orders priced fresh is tested with real bots in
``tests/strategy/test_exit_pricing.py``; here, what the patches are.
"""

from __future__ import annotations

from types import SimpleNamespace

from freqtrade.exchange import Exchange
from freqtrade.freqtradebot import FreqtradeBot

from freqfleet import compat
from freqfleet.compat import patches
from freqfleet.compat.pricing import _sending, order_context

PATCHED = {
    (FreqtradeBot, "handle_trade"),
    (FreqtradeBot, "check_and_call_adjust_trade_position"),
    (FreqtradeBot, "execute_trade_exit"),
    (FreqtradeBot, "execute_entry"),
    (Exchange, "get_rate"),
    (Exchange, "get_rates"),
}


def test_the_six_methods_are_patched_once_over_freqtrades_own():
    own = {(owner, name): vars(owner)[name] for owner, name in PATCHED}
    compat.reuse_exit_prices()
    compat.reuse_exit_prices()
    assert {(p.owner, p.name) for p in patches.applied()} == PATCHED
    assert len(patches.applied()) == len(PATCHED)
    for (owner, name), function in own.items():
        assert getattr(owner, name) is not function
        assert patches.original(owner, name) is function
        assert getattr(owner, name).__wrapped__ is function  # its name, docs, signature
    assert compat.undo_patches() == len(PATCHED)
    assert {(owner, name): vars(owner)[name] for owner, name in PATCHED} == own


class Unconnected(Exchange):
    """freqtrade's Exchange with nothing connected (and nothing to close)."""

    def __init__(self) -> None:
        pass

    def close(self) -> None:
        pass


def guarded_bot() -> SimpleNamespace:
    exchange = Unconnected()
    patches.patch(exchange, "create_order", lambda **kwargs: kwargs)
    return SimpleNamespace(exchange=exchange)


def test_a_guarded_bots_orders_are_told_what_they_are_for():
    bot = guarded_bot()
    with _sending(bot, kind="exit", trade_id=7, tag="roi", is_short=True):
        assert (order_context.kind, order_context.trade_id, order_context.tag) == (
            "exit",
            7,
            "roi",
        )
        assert order_context.is_short
    assert order_context.kind is None and order_context.trade_id is None


def test_an_unguarded_bots_orders_leave_the_context_alone():
    bot = SimpleNamespace(exchange=Unconnected())
    with _sending(bot, kind="exit", trade_id=7):
        assert order_context.kind is None
