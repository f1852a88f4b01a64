"""A live consumer's orders under the exchange's faults (freqtrade's live path, in process).

Each test starts its own simulator with an account of 10,000 USDT, a live consumer
(``dry_run: false``) whose orders go through freqtrade's own code and the consumer's order
guard, breaks something on the exchange side, and then checks that the bot's wallet and
the account reconcile: every exchange order that moved money belongs to a trade, none was
sent twice, and per asset the balances agree (``tests/kit/live_wallet.py``). Each test
prints its figures (orders placed/filled/cancelled, duplicates, orphans, differences).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from freqtrade.enums import ExitCheckTuple, ExitType
from freqtrade.exceptions import (
    DependencyException,
    InsufficientFundsError,
    InvalidOrderException,
    TemporaryError,
)
from freqtrade.persistence import Trade

from freqfleet.compat import guard_of
from freqfleet.sim import RunningSimulator, running_simulator
from freqfleet.sim.account_file import create_account_file
from freqfleet.strategy.follow.events import FollowEvent
from freqfleet.strategy.order_journal import OrderState
from tests.kit.live_consumer import PRODUCER, STAKE, LiveConsumer, live_consumer

pytestmark = pytest.mark.timeout(180)
__all__ = ["live_consumer"]  # the fixture, used by name

ORDER = "/api/v3/order"


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[RunningSimulator]:
    # Deep enough for orders several times the size of a book level.
    account = tmp_path / "account.json"
    create_account_file(account, {"USDT": 1_000_000 * 10**8})  # in units of 1e-8
    with running_simulator(pairs=4, seed=11, account=account) as running:
        yield running


Make = Callable[..., LiveConsumer]


def figures(consumer: LiveConsumer, case: str) -> None:
    """Reconcile at a quiet moment (no order open on the exchange) and print the figures."""
    assert [
        o for o in consumer.sim.account()["orders"] if o["status"] in ("NEW", "PARTIALLY_FILLED")
    ] == []
    result = consumer.reconcile()
    print(f"{case}: {result.summary()}")
    assert result.clean, result.summary()


def journal_states(consumer: LiveConsumer) -> list[OrderState]:
    guard = guard_of(consumer.bot.exchange)
    assert guard is not None
    return [entry.state for entry in guard.journal.entries()]


def exit_now(consumer: LiveConsumer, trade: Trade, ordertype: str | None = None) -> bool:
    rate = consumer.bot.exchange.get_rate(trade.pair, side="exit", is_short=False, refresh=True)
    return consumer.bot.execute_trade_exit(
        trade, rate, ExitCheckTuple(exit_type=ExitType.FORCE_EXIT), ordertype=ordertype
    )


def settle(consumer: LiveConsumer, seconds: float) -> None:
    """Let the unfilled timeout pass, then one loop (freqtrade cancels what timed out)."""
    time.sleep(seconds)
    consumer.loop()


def top_of_book(consumer: LiveConsumer, pair: str) -> tuple[float, float, float, float]:
    book = consumer.bot.exchange.fetch_l2_order_book(pair, 1)
    (bid, bid_qty), (ask, ask_qty) = book["bids"][0][:2], book["asks"][0][:2]
    return bid, bid_qty, ask, ask_qty


def best_level_early_in_a_second(
    consumer: LiveConsumer, pair: str, side: str
) -> tuple[float, float]:
    """A limit price that takes the best level of ``side`` (``"asks"``/``"bids"``) and no
    other, and that level's quantity.

    The simulator's book moves with its price (every millisecond) and draws its sizes anew
    every second: the book is read early in a second, and the price lies halfway to the
    second level, so the best level still crosses when the price has moved a little.
    """
    time.sleep(1.05 - time.time() % 1)
    levels = consumer.bot.exchange.fetch_l2_order_book(pair, 2)[side]
    (best, quantity), (second, _) = levels[0][:2], levels[1][:2]
    return consumer.bot.exchange.price_to_precision(pair, (best + second) / 2), quantity


# -- orders that fill ------------------------------------------------------------------------


def test_entry_and_exit_fill_and_the_wallet_reconciles(
    sim: RunningSimulator, live_consumer: Make
) -> None:
    consumer = live_consumer(sim, sim.pairs[:2])
    pair = sim.pairs[0]
    assert consumer.bot.execute_entry(pair, STAKE, ordertype="market")
    trade = consumer.open_trade(pair)
    assert trade is not None and trade.amount > 0
    # The account charged its commission in the asset bought: freqtrade saw it in the
    # account's trades and holds the amount after the fee.
    assert trade.fee_open_currency == pair.split("/")[0]
    assert exit_now(consumer, trade, "market")
    consumer.loop()
    closed = next(t for t in consumer.trades() if t.pair == pair)
    assert not closed.is_open and closed.close_profit is not None
    assert [o["status"] for o in consumer.exchange_orders(pair)] == ["FILLED", "FILLED"]
    assert set(journal_states(consumer)) == {OrderState.PLACED}
    figures(consumer, "fill")


def test_a_partial_entry_keeps_its_fill_and_the_rest_is_cancelled_at_the_timeout(
    sim: RunningSimulator, live_consumer: Make
) -> None:
    consumer = live_consumer(sim, sim.pairs[:1])
    pair = sim.pairs[0]
    price, ask_qty = best_level_early_in_a_second(consumer, pair, "asks")
    # A limit buy for three times what the best ask offers: the level fills, the rest
    # rests below the market.
    stake = price * ask_qty * 3
    assert stake < 900_000, "the account must afford the test's order"
    assert consumer.bot.execute_entry(pair, stake, price=price)
    trade = consumer.open_trade(pair)
    assert trade is not None
    [order] = consumer.exchange_orders(pair)
    assert order["status"] == "PARTIALLY_FILLED"
    settle(consumer, 3.5)
    [order] = consumer.exchange_orders(pair)
    assert order["status"] == "CANCELED"
    trade = consumer.open_trade(pair)
    assert trade is not None and not trade.has_open_orders
    requested = float(order["origQty"])
    assert 0 < float(order["executedQty"]) < requested
    # What the account booked after its commission, rounded down to the market's step.
    after_fee = float(order["executedQty"]) * 0.999
    step = float(consumer.steps()[pair])
    assert after_fee - step < trade.amount <= after_fee + 1e-12
    figures(consumer, "partial entry")


def test_a_partial_exit_leaves_the_rest_in_the_trade_and_a_later_exit_closes_it(
    sim: RunningSimulator, live_consumer: Make
) -> None:
    consumer = live_consumer(sim, sim.pairs[:1])
    pair = sim.pairs[0]
    price, bid_qty = best_level_early_in_a_second(consumer, pair, "bids")
    stake = price * bid_qty * 3
    assert stake < 900_000
    assert consumer.bot.execute_entry(pair, stake, ordertype="market")
    trade = consumer.open_trade(pair)
    assert trade is not None and not trade.has_open_orders
    held = trade.amount
    # A limit sell (in the same second) for three times the best bid: that level fills, the
    # rest rests above the market.
    assert consumer.bot.execute_trade_exit(
        trade,
        price,
        ExitCheckTuple(exit_type=ExitType.FORCE_EXIT),
        ordertype="limit",
    )
    settle(consumer, 3.5)
    sell = [o for o in consumer.exchange_orders(pair) if o["side"] == "SELL"]
    assert [o["status"] for o in sell] == ["CANCELED"]
    assert 0 < float(sell[0]["executedQty"]) < float(sell[0]["origQty"])
    trade = consumer.open_trade(pair)
    assert trade is not None
    assert trade.amount == pytest.approx(held - float(sell[0]["executedQty"]), rel=1e-9)
    figures(consumer, "partial exit, before the second exit")
    assert exit_now(consumer, trade, "market")
    consumer.loop()
    assert consumer.open_trade(pair) is None
    figures(consumer, "partial exit")


def test_an_unfilled_entry_is_cancelled_at_the_timeout_and_nothing_stays_open(
    sim: RunningSimulator, live_consumer: Make
) -> None:
    consumer = live_consumer(sim, sim.pairs[:1])
    pair = sim.pairs[0]
    bid = top_of_book(consumer, pair)[0]
    assert consumer.bot.execute_entry(pair, STAKE, price=bid * 0.98)
    [order] = consumer.exchange_orders(pair)
    assert order["status"] == "NEW"
    settle(consumer, 3.5)
    [order] = consumer.exchange_orders(pair)
    assert order["status"] == "CANCELED" and float(order["executedQty"]) == 0
    # freqtrade deletes a trade whose only entry was cancelled unfilled.
    assert consumer.trades() == []
    assert all(o["status"] not in ("NEW", "PARTIALLY_FILLED") for o in sim.account()["orders"])
    figures(consumer, "unfilled entry")


# -- the exchange fails around an order -------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "placed"),
    [
        ({"kind": "error", "status": 503}, False),
        ({"kind": "error", "status": 502}, False),
        ({"kind": "error", "status": 503, "after": True}, True),
        ({"kind": "error", "status": 500, "after": True}, True),
        ({"kind": "rate_limit"}, False),
        ({"kind": "delay", "delay_s": 4}, True),
    ],
    ids=["503-before", "502-before", "503-after", "500-after", "429", "timeout"],
)
def test_an_order_whose_answer_is_lost_is_recorded_once_or_not_at_all(
    sim: RunningSimulator,
    live_consumer: Make,
    fault: dict[str, Any],
    placed: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # ccxt gives up on an answer after 2 s (the user's ``ccxt_config.timeout``).
    consumer = live_consumer(sim, sim.pairs[:1], ccxt_timeout_ms=2_000)
    pair = sim.pairs[0]
    sim.inject_fault(method="POST", path=ORDER, **fault)
    caplog.set_level(logging.INFO)
    if placed:
        assert consumer.bot.execute_entry(pair, STAKE, ordertype="market")
        trade = consumer.open_trade(pair)
        [order] = consumer.exchange_orders(pair)
        assert trade is not None and [o.order_id for o in trade.orders] == [str(order["id"])]
        assert "was placed although the exchange answered" in caplog.text
    else:
        with pytest.raises(TemporaryError):
            consumer.bot.execute_entry(pair, STAKE, ordertype="market")
        assert consumer.exchange_orders(pair) == []
        assert consumer.trades() == []
        assert "not found on the exchange by its client id" in caplog.text
        # The next loop's decision places one order.
        assert consumer.bot.execute_entry(pair, STAKE, ordertype="market")
    assert len(consumer.exchange_orders(pair)) == 1
    assert OrderState.UNKNOWN not in journal_states(consumer)
    figures(consumer, f"order answer lost ({fault})")


def test_insufficient_balance_refuses_the_order_and_the_bot_goes_on(
    sim: RunningSimulator, live_consumer: Make, caplog: pytest.LogCaptureFixture
) -> None:
    consumer = live_consumer(sim, sim.pairs[:2])
    pair, other = sim.pairs[:2]
    assert consumer.bot.execute_entry(other, STAKE, ordertype="market")
    # The account's USDT spent elsewhere, behind the bot's back (its wallet still thinks
    # it has them).
    usdt = sim.account()["balances"]["USDT"]["free"]
    sim.adjust_balance("USDT", f"-{float(usdt) - 10:.8f}")
    with pytest.raises(InsufficientFundsError):
        consumer.bot.execute_entry(pair, STAKE, ordertype="market")
    assert consumer.exchange_orders(pair) == []
    assert [t.pair for t in consumer.trades()] == [other]
    # The base asset of the open trade sold elsewhere: freqtrade, reading the account's
    # balance before it sends the exit, refuses it; the trade stays for the user to look
    # at, and the bot's loop goes on.
    trade = consumer.open_trade(other)
    assert trade is not None
    base = other.split("/")[0]
    sim.adjust_balance(base, f"-{trade.amount:.8f}")
    caplog.set_level(logging.INFO)
    with pytest.raises(DependencyException, match="Not enough amount to exit trade"):
        exit_now(consumer, trade, "market")
    consumer.loop()
    assert consumer.open_trade(other) is not None
    sells = [o for o in consumer.exchange_orders(other) if o["side"] == "SELL"]
    assert sells == []
    result = consumer.reconcile()
    # What was taken behind the bot's back shows as exactly that difference, and only it.
    assert not result.orphans and not result.duplicates and not result.fill_differences
    assert set(result.balance_differences) == {base}, result.summary()
    print(f"insufficient balance: {result.summary()}")


@pytest.mark.parametrize("name", ["LOT_SIZE", "NOTIONAL"])
def test_a_filter_failure_refuses_the_order_and_the_next_one_is_placed(
    sim: RunningSimulator, live_consumer: Make, name: str
) -> None:
    """The exchange tightened a market's filter after the bot loaded its markets. ccxt
    calls NOTIONAL's answer BadRequest (freqtrade: a TemporaryError, which would pause the
    whole bot for 30 s); the consumer's guard makes both an invalid order, which freqtrade's
    loop reports for the pair and goes on."""
    consumer = live_consumer(sim, sim.pairs[:1])
    pair = sim.pairs[0]
    sim.inject_fault(method="POST", path=ORDER, kind="reject", filter=name)
    with pytest.raises(InvalidOrderException, match=f"Filter failure: {name}"):
        consumer.bot.execute_entry(pair, STAKE, ordertype="market")
    assert consumer.exchange_orders(pair) == []
    assert consumer.trades() == []
    assert journal_states(consumer) == [OrderState.NOT_PLACED]
    consumer.loop()  # the loop goes on
    assert consumer.bot.execute_entry(pair, STAKE, ordertype="market")
    assert len(consumer.exchange_orders(pair)) == 1
    figures(consumer, f"filter failure {name}")


# -- followed producer exits in live mode ---------------------------------------------------------


def test_a_followed_producer_exit_goes_out_at_a_price_taken_in_its_loop(
    sim: RunningSimulator, live_consumer: Make
) -> None:
    consumer = live_consumer(sim, sim.pairs[:1])
    pair = sim.pairs[0]
    assert consumer.bot.execute_entry(pair, STAKE, ordertype="market")
    Trade.commit()
    for _ in range(2):
        consumer.loop()  # open trade priced, then its price reused
    books: list[tuple[float, float]] = []
    exchange = consumer.bot.exchange
    fetch = exchange.fetch_l2_order_book

    def recorded(symbol: str, limit: int = 100) -> Any:
        book = fetch(symbol, limit)
        books.append((time.monotonic(), book["bids"][0][0]))
        return book

    exchange.fetch_l2_order_book = recorded
    follower = consumer.bot.strategy.fleet_consumer.follower
    follower.ledger.add(
        FollowEvent(
            producer=PRODUCER,
            kind="exit",
            pair=pair,
            trade_id=1,
            is_short=False,
            reason="exit_signal",
            time=datetime.now(UTC),
            key=("exit", PRODUCER, 1, 0),
        )
    )
    loop_started = time.monotonic()
    consumer.loop()
    trade = next(t for t in consumer.trades() if t.pair == pair)
    sell = [o for o in trade.orders if o.ft_order_side == "sell"]
    assert len(sell) == 1
    taken_in_loop = [bid for moment, bid in books if moment >= loop_started]
    assert taken_in_loop, "the exit was priced on a price of an earlier loop"
    assert sell[0].price == pytest.approx(taken_in_loop[-1], rel=1e-12)
    [exchange_sell] = [o for o in consumer.exchange_orders(pair) if o["side"] == "SELL"]
    assert float(exchange_sell["price"]) == pytest.approx(taken_in_loop[-1], rel=1e-12)
    settle(consumer, 3.5)  # filled, or what is left cancelled at the timeout
    figures(consumer, "followed exit")
