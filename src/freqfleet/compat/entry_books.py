"""A consumer's entry orders priced from order books fetched together, once per loop.

freqtrade places a loop's entries one after the other (``FreqtradeBot.enter_positions``
-> ``create_trade`` -> ``execute_entry``), and each asks the exchange for an order book:
``Exchange.get_rate`` with ``use_order_book`` (``refresh=True``), and a dry-run market
order again for its fill price (``create_dry_run_order``). ccxt spaces those requests by
the exchange's rate limit (Binance: 50 ms), so a candle with 30 entries took 3 s before
the last order left. A consumer knows which pairs are about to enter (its frames carry the
signals): the patched ``enter_positions`` asks the bot's strategy for each pair's entry
signal first, fetches the books of the pairs that will enter (as many as free slots)
together in one batch, and freqtrade's own loop then runs unchanged, its
``fetch_l2_order_book`` answered from that batch: a book of this loop, never older, one
per pair (the deeper of what ``get_rate`` and a dry-run fill ask for, cut to the depth
each asks for). What is traded does not change: the same loop, checks, prices policy and
amounts; a pair whose book the batch lacks (a failed request, a pair beyond the batch)
fetches its own as before. A dry-run consumer's wallet is recomputed only after a database
write (``dry_wallet``). Undone by putting freqtrade's functions back
(``patches.undo_patches``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from freqfleet.compat import patches
from freqfleet.compat.checks import lacking
from freqfleet.compat.dry_wallet import refresh_on_writes_only
from freqfleet.compat.model import Feature
from freqfleet.compat.versions import unsupported_message

logger = logging.getLogger(__name__)

BATCH_MAX = 50
"""Books fetched together at most per loop (Binance: weight 5 each, 250 of the 6,000 a
minute allows); the entries beyond take freqtrade's path."""
DRY_FILL_DEPTH = 20
"""The depth freqtrade's dry-run market orders ask for (``create_dry_run_order``)."""


class _Batch:
    """The books of one ``enter_positions`` call, for the thread that runs it."""

    __slots__ = ("books", "limit", "served", "thread")

    def __init__(self, books: dict[str, Any], limit: int) -> None:
        self.books = books
        self.limit = limit
        self.thread = threading.get_ident()
        self.served = 0


_batches: dict[int, _Batch] = {}
"""``id(exchange)`` -> the batch of the loop running on it (during ``enter_positions``)."""


def entering_pairs(bot: Any, free_slots: int) -> list[str]:
    """The pairs freqtrade's entry loop is about to enter, in its order: the whitelist
    without open trades' pairs, those whose frame gives an entry signal and are not locked,
    as many as ``free_slots`` (and ``BATCH_MAX``)."""
    from freqtrade.persistence import Trade

    strategy = bot.strategy
    open_pairs = {trade.pair for trade in Trade.get_open_trades()}
    no_entry = getattr(strategy, "fleet_no_entry", None)
    found: list[str] = []
    for pair in bot.active_pair_whitelist:
        if len(found) >= min(free_slots, BATCH_MAX):
            break
        if pair in open_pairs or (no_entry is not None and no_entry(pair)):
            continue
        frame, _ = bot.dataprovider.get_analyzed_dataframe(pair, strategy.timeframe)
        signal, _ = strategy.get_entry_signal(pair, strategy.timeframe, frame)
        if not signal:
            continue
        candle = frame.iloc[-1]["date"] if len(frame) > 0 else None
        if strategy.is_pair_locked(pair, candle_date=candle, side=signal):
            continue
        found.append(pair)
    return found


def book_limit(exchange: Any, config: dict[str, Any]) -> int | None:
    """The depth (as the exchange takes it) that answers every book the entries ask for;
    None when they ask for none."""
    wanted = []
    pricing = config.get("entry_pricing", {})
    if pricing.get("use_order_book", False):
        wanted.append(int(pricing.get("order_book_top", 1)))
    if config.get("dry_run") and exchange.exchange_has("fetchL2OrderBook"):
        wanted.append(DRY_FILL_DEPTH)
    if not wanted:
        return None
    return _exchange_limit(exchange, max(wanted))


def _exchange_limit(exchange: Any, limit: int) -> int:
    has = exchange._ft_has
    return int(
        exchange.get_next_limit_in_list(
            limit, has["l2_limit_range"], has["l2_limit_range_required"], has["l2_limit_upper"]
        )
    )


def fetch_books(exchange: Any, pairs: list[str], limit: int) -> dict[str, Any]:
    """``pairs``' order books at ``limit``, requested together on freqtrade's async ccxt
    client (without ccxt's spacing between them: one burst of ``len(pairs)`` requests);
    a pair whose request failed is left out."""
    if not pairs:
        return {}
    api = exchange._api_async

    async def gather() -> list[Any]:
        requests = [api.fetch_l2_order_book(pair, limit) for pair in pairs]
        return await asyncio.gather(*requests, return_exceptions=True)

    with exchange._loop_lock:
        spaced = api.enableRateLimit
        api.enableRateLimit = False
        try:
            results = exchange.loop.run_until_complete(gather())
        finally:
            api.enableRateLimit = spaced
    books: dict[str, Any] = {}
    for pair, result in zip(pairs, results, strict=True):
        if isinstance(result, BaseException):
            logger.info("Fleet: order book of %s for its entry: %r", pair, result)
            continue
        books[pair] = result
    return books


def _served(batch: _Batch, pair: str, limit: int) -> Any:
    """The batch's book of ``pair`` cut to ``limit`` levels (what the exchange answers at
    that depth); None when the batch cannot answer."""
    book = batch.books.get(pair)
    if book is None or batch.thread != threading.get_ident() or limit > batch.limit:
        return None
    batch.served += 1
    return {**book, "bids": book["bids"][:limit], "asks": book["asks"][:limit]}


def fetch_entry_books() -> None:
    """Patch ``FreqtradeBot.enter_positions`` and ``Exchange.fetch_l2_order_book`` once
    per process (see the module docstring). Each acts only for a bot whose strategy is a
    consumer's (``fleet_no_entry``); every other bot runs freqtrade's own code."""
    from freqtrade.exchange import Exchange
    from freqtrade.freqtradebot import FreqtradeBot

    if patches.is_patched(FreqtradeBot, "enter_positions"):
        return
    problems = lacking(Feature.ENTRY_BOOKS)
    if problems:
        logger.info(
            "Fleet consumer enters as freqtrade does, a book per entry: %s",
            unsupported_message(problems, "fetching a loop's entry books together"),
        )
        return
    enter_positions = FreqtradeBot.enter_positions
    fetch_l2_order_book = Exchange.fetch_l2_order_book

    def fleet_enter_positions(self: Any, free_trade_slots: int) -> int:
        if getattr(self.strategy, "fleet_no_entry", None) is None or free_trade_slots <= 0:
            return int(enter_positions(self, free_trade_slots))
        refresh_on_writes_only(self.wallets, self.config)
        limit = book_limit(self.exchange, self.config)
        pairs = entering_pairs(self, free_trade_slots) if limit is not None else []
        if not pairs or limit is None:
            return int(enter_positions(self, free_trade_slots))
        key = id(self.exchange)
        _batches[key] = _Batch(fetch_books(self.exchange, pairs, limit), limit)
        try:
            return int(enter_positions(self, free_trade_slots))
        finally:
            batch = _batches.pop(key)
            logger.debug(
                "Fleet: %d entry books fetched together, %d served", len(batch.books), batch.served
            )

    def fleet_fetch_l2_order_book(self: Any, pair: str, limit: int = 100) -> Any:
        batch = _batches.get(id(self))
        if batch is not None:
            book = _served(batch, pair, _exchange_limit(self, limit))
            if book is not None:
                return book
        return fetch_l2_order_book(self, pair, limit)

    patches.patch(FreqtradeBot, "enter_positions", fleet_enter_positions)
    patches.patch(Exchange, "fetch_l2_order_book", fleet_fetch_l2_order_book)


__all__ = ["BATCH_MAX", "book_limit", "entering_pairs", "fetch_books", "fetch_entry_books"]
