"""A consumer's entries priced from one batch of order books per loop: real freqtrade bots
on the simulator (the live path, with the exchange's account, in
``tests/scenarios/live/test_live_entry_burst.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from freqtrade.exchange import Exchange
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.persistence import Trade

from freqfleet import compat
from freqfleet.compat import entry_books
from freqfleet.compat.model import Feature
from freqfleet.sim import RunningSimulator, running_simulator
from freqfleet.sim.account_file import create_account_file
from tests.kit.live_consumer import LiveConsumer, away_from_a_close, dry_consumer

needs_entry_books = pytest.mark.skipif(
    bool(compat.lacking(Feature.ENTRY_BOOKS)),
    reason="this freqtrade's entry loop differs: the consumer enters as freqtrade does",
)

pytestmark = pytest.mark.timeout(120)
__all__ = ["dry_consumer"]  # the fixture, used by name
DEPTH = "/api/v3/depth"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    account = tmp_path_factory.mktemp("account") / "account.json"
    create_account_file(account, {"USDT": 1_000_000 * 10**8})
    with running_simulator(pairs=6, seed=11, account=account) as running:
        yield running


def depth_requests(sim: RunningSimulator, bot: str) -> int:
    return int(sim.bot_stats().get(bot, {}).get("requests", {}).get(DEPTH, 0))


def recording_batches(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every batch of books ``fetch_books`` returns, as it returned it."""
    batches: list[dict[str, Any]] = []
    fetch = entry_books.fetch_books

    def recorded(exchange: Any, pairs: list[str], limit: int) -> dict[str, Any]:
        books = fetch(exchange, pairs, limit)
        batches.append(books)
        return books

    monkeypatch.setattr(entry_books, "fetch_books", recorded)
    return batches


@needs_entry_books
def test_a_loops_entries_take_one_book_per_pair_and_fill_at_that_books_price(
    sim: RunningSimulator, dry_consumer: Callable[..., LiveConsumer], monkeypatch
):
    consumer = dry_consumer("burst")
    batches = recording_batches(monkeypatch)
    entering = list(sim.pairs[1:])
    away_from_a_close()
    before = depth_requests(sim, "burst")
    consumer.send_signals(entering)
    consumer.loop()
    trades = {t.pair: t for t in Trade.get_open_trades()}
    assert sorted(trades) == sorted(entering)
    [books] = batches
    assert sorted(books) == sorted(entering)
    # One book per entering pair, in the batch: freqtrade's price and its dry-run fill
    # would have asked for two each.
    assert depth_requests(sim, "burst") - before == len(entering)
    exchange = consumer.bot.exchange
    for pair, trade in trades.items():
        [order] = trade.orders
        ask = books[pair]["asks"][0][0]
        assert trade.open_rate_requested == ask
        filled = exchange.get_dry_market_fill_price(
            pair, "buy", trade.amount_requested, ask, ask * 1.05, books[pair]
        )
        assert order.average == pytest.approx(filled, rel=1e-12)


@needs_entry_books
def test_entries_beyond_the_free_slots_are_not_fetched_and_a_full_bot_fetches_none(
    sim: RunningSimulator, dry_consumer: Callable[..., LiveConsumer], monkeypatch
):
    consumer = dry_consumer("slots", max_open_trades=2)
    batches = recording_batches(monkeypatch)
    away_from_a_close()
    consumer.send_signals(list(sim.pairs))
    consumer.loop()
    # freqtrade enters the first two signalled pairs of its whitelist, as without a batch.
    assert sorted(t.pair for t in Trade.get_open_trades()) == sorted(sim.pairs[:2])
    assert [sorted(b) for b in batches] == [sorted(sim.pairs[:2])]
    consumer.loop()  # no free slot: no batch (the open trades' exit checks price them)
    assert len(batches) == 1


@needs_entry_books
def test_the_depth_answers_every_book_the_entries_ask_for(
    sim: RunningSimulator, dry_consumer: Callable[..., LiveConsumer]
):
    bot = dry_consumer("limits").bot
    exchange, config = bot.exchange, bot.config
    # Binance takes 5, 10, 20, ...: the dry-run fill's 20 covers the price's top 1.
    assert entry_books.book_limit(exchange, config) == 20
    live = {**config, "dry_run": False}
    assert entry_books.book_limit(exchange, live) == 5
    deeper = {**live, "entry_pricing": {**config["entry_pricing"], "order_book_top": 7}}
    assert entry_books.book_limit(exchange, deeper) == 10
    tickers = {**live, "entry_pricing": {"price_side": "other", "use_order_book": False}}
    assert entry_books.book_limit(exchange, tickers) is None


@needs_entry_books
def test_a_batch_leaves_out_a_book_it_could_not_fetch(
    sim: RunningSimulator, dry_consumer: Callable[..., LiveConsumer]
):
    exchange = dry_consumer("failed").bot.exchange
    exchange._api_async.enableRateLimit = True  # the bot's config turned it off
    books = entry_books.fetch_books(exchange, [sim.pairs[0], "NOPE/USDT"], 5)
    assert list(books) == [sim.pairs[0]]
    book = books[sim.pairs[0]]
    assert len(book["asks"]) == 5 and book["asks"][0][0] > book["bids"][0][0]
    assert exchange._api_async.enableRateLimit  # ccxt's spacing is back for everything else


@needs_entry_books
def test_the_patches_are_applied_once_per_process_and_undone():
    own_enter, own_book = FreqtradeBot.enter_positions, Exchange.fetch_l2_order_book
    since = compat.mark()
    compat.fetch_entry_books()
    compat.fetch_entry_books()  # once per process
    assert compat.undo_patches(since) == 2
    assert FreqtradeBot.enter_positions is own_enter
    assert Exchange.fetch_l2_order_book is own_book


def test_a_freqtrade_whose_entry_loop_differs_keeps_its_own(monkeypatch, caplog):
    """freqtrade 2026.6's ``enter_positions()`` counts the free slots itself: the declared
    signature differs, so nothing is patched and the consumer enters as freqtrade does."""
    own_enter = FreqtradeBot.enter_positions

    def enter_positions(self: Any) -> int:  # 2026.6's signature
        return int(own_enter(self, 0))

    monkeypatch.setattr(FreqtradeBot, "enter_positions", enter_positions)
    since = compat.mark()
    with caplog.at_level("INFO", logger="freqfleet.compat.entry_books"):
        compat.fetch_entry_books()
    assert compat.undo_patches(since) == 0
    assert FreqtradeBot.enter_positions is enter_positions
    assert "enters as freqtrade does" in caplog.text and "enter_positions" in caplog.text
