"""Exchange settings for producers: dry-run bookkeepers that ask the exchange for little.

Why: a producer trades in dry-run, with no slot limit, only so that its signals become
(virtual) trades the consumer can follow. freqtrade's dry-run order simulation asks the
exchange for the order book on every order placed (``create_dry_run_order``: 20 levels)
and on every loop for every open limit order (``_dry_is_price_crossed``: 1 level), and
order-book pricing (``use_order_book``) asks for a book per entry and per open trade on
every loop, ``check_depth_of_market`` for 1,000 levels per entry. With one virtual trade
per signalled pair that is most of a fleet's exchange weight, and none of it changes what
the producer analyses or signals. So a producer gets:

- ``exchange._ft_has_params.exchange_has_overrides.fetchL2OrderBook: false``: freqtrade's
  dry-run fills stop asking for order books (a limit order fills when placed, a market
  order at the priced rate);
- ``entry_pricing`` / ``exit_pricing`` from the ticker (best bid/ask, the book's top
  level) instead of the order book, and no ``check_depth_of_market`` (the consumer, which
  places the real orders, keeps the user's pricing and depth check);
- (a stoploss on exchange needs nothing: in dry-run freqtrade checks the stoploss itself);
- a futures producer (``trading_mode: futures``) keeps order-book pricing at the book's
  top level and its dry-run fills' books: freqtrade refuses ticker pricing on Binance
  futures, whose tickers carry no bid/ask (``tickers_have_price``);
- when the consumer follows none of the producers' price-driven exits (``follow`` without
  ``exits`` and ``position_adjustments``): one loop per candle
  (``internals.process_throttle_secs`` = the timeframe; freqtrade wakes a bot one second
  after each candle closes whatever the throttle), because then a producer's open trades
  need no price between candles.

What is left between candles, when the consumer follows exits, is a price per open
virtual trade per loop: the price its ROI, stoploss and ``custom_exit`` are checked at,
which is what a followed exit is. The fleet strategy on a producer takes those prices
from the exchange's ticker streams (``freqfleet.strategy.producer_pricing``: ccxt.pro's
``watch_tickers`` for the open trades' pairs, no request weight) and, when a pair's
streamed ticker is missing or stale, from one batched REST ticker request a loop for up
to 20 pairs (Binance: weight 2), instead of one REST ticker per trade per loop.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from freqfleet.sim import name_bot
from freqfleet.timeframes import timeframe_seconds

PRICE_DRIVEN_FOLLOW = frozenset({"exits", "position_adjustments"})
"""Followed producer actions that depend on the producer checking prices between candles."""


def needs_prices_between_candles(follow: Sequence[str]) -> bool:
    return bool(PRICE_DRIVEN_FOLLOW & set(follow))


def producer_exchange_settings(
    producer: dict[str, Any],
    follow: Sequence[str],
    timeframe: str,
    name: str | None = None,
) -> dict[str, Any]:
    """``producer`` (a complete producer config) with its exchange traffic cut to candles.

    Returns a copy; only the keys named in the module docstring change. ``name``: the
    bot's name for a simulator or gateway counting requests per bot (``name_bot``).
    """
    config = copy.deepcopy(producer)
    if name is not None:
        config["exchange"] = name_bot(config.get("exchange") or {}, name)
    exchange = config.setdefault("exchange", {})
    # freqtrade refuses ticker pricing where tickers carry no bid/ask (Binance futures):
    # there a producer keeps the order book, its cheapest (top level, fewest levels).
    books = str(config.get("trading_mode") or "spot") == "futures"
    if not books:
        has = exchange.setdefault("_ft_has_params", {})
        has.setdefault("exchange_has_overrides", {})["fetchL2OrderBook"] = False
    for side in ("entry_pricing", "exit_pricing"):
        pricing = dict(config.get(side) or {})
        pricing["use_order_book"] = books
        if books:
            pricing["order_book_top"] = 1
        config[side] = pricing
    depth = dict(config["entry_pricing"].get("check_depth_of_market") or {})
    depth["enabled"] = False
    config["entry_pricing"]["check_depth_of_market"] = depth
    if not needs_prices_between_candles(follow):
        internals = dict(config.get("internals") or {})
        internals["process_throttle_secs"] = timeframe_seconds(timeframe)
        config["internals"] = internals
    return config


__all__ = [
    "PRICE_DRIVEN_FOLLOW",
    "needs_prices_between_candles",
    "producer_exchange_settings",
]
