"""A burst of entries in one loop of a live consumer (freqtrade's live path, in process):
each order is placed once, at the price of the order book fetched for it in the loop's
batch (``freqfleet.compat.entry_books``), and the wallet reconciles with the account."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from freqtrade.persistence import Trade

from freqfleet import compat
from freqfleet.compat import entry_books, guard_of
from freqfleet.compat.model import Feature
from freqfleet.sim import RunningSimulator, running_simulator
from freqfleet.sim.account_file import create_account_file
from freqfleet.strategy.order_journal import OrderState
from tests.kit.live_consumer import LiveConsumer, away_from_a_close, live_consumer

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(
        bool(compat.lacking(Feature.ENTRY_BOOKS)),
        reason="this freqtrade's entry loop differs: the consumer enters as freqtrade does",
    ),
]
__all__ = ["live_consumer"]  # the fixture, used by name

DEPTH = "/api/v3/depth"


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[RunningSimulator]:
    account = tmp_path / "account.json"
    create_account_file(account, {"USDT": 1_000_000 * 10**8})  # in units of 1e-8
    with running_simulator(pairs=8, seed=11, account=account) as running:
        yield running


def test_a_burst_of_entries_places_each_order_once_at_its_books_price(
    sim: RunningSimulator, live_consumer: Callable[..., LiveConsumer], monkeypatch
) -> None:
    batches: list[dict[str, Any]] = []
    fetch = entry_books.fetch_books

    def recorded(exchange: Any, pairs: list[str], limit: int) -> dict[str, Any]:
        books = fetch(exchange, pairs, limit)
        batches.append(books)
        return books

    monkeypatch.setattr(entry_books, "fetch_books", recorded)
    consumer = live_consumer(sim, list(sim.pairs))
    consumer.send_signals([])
    consumer.loop()  # the producer's pairs routed, no signal yet
    entering = list(sim.pairs[1:])
    away_from_a_close()
    depth_before = sim.bot_stats()["live-0"]["requests"].get(DEPTH, 0)
    consumer.send_signals(entering)
    consumer.loop()

    [books] = batches
    assert sorted(books) == sorted(entering)
    assert sim.bot_stats()["live-0"]["requests"][DEPTH] - depth_before == len(entering)
    for pair in entering:
        # Exactly one order on the exchange, recorded in the pair's one trade, at the best
        # ask of the batch's book (limit entries, price_side "other", order_book_top 1).
        [placed] = consumer.exchange_orders(pair)
        [trade] = [t for t in Trade.get_trades_proxy() if t.pair == pair]
        [order] = trade.orders
        assert order.order_id == str(placed["id"]) and placed["side"] == "BUY"
        assert float(placed["price"]) == books[pair]["asks"][0][0] == order.price
    assert consumer.exchange_orders(sim.pairs[0]) == []
    guard = guard_of(consumer.bot.exchange)
    assert guard is not None
    assert [e.state for e in guard.journal.entries()] == [OrderState.PLACED] * len(entering)

    time.sleep(3.5)  # the unfilled timeout: what did not fill at the ask is cancelled
    consumer.loop()
    open_orders = [o for o in sim.account()["orders"] if o["status"] in ("NEW", "PARTIALLY_FILLED")]
    assert open_orders == []
    result = consumer.reconcile()
    print(f"entry burst: {result.summary()}")
    assert result.clean, result.summary()
