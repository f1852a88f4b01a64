"""Exits decided in ``custom_exit`` are followed, not re-decided (real bots on the simulator).

Two producers share sixteen pairs and run ``FollowRandomExit``: an entry signal on every
candle and exits only in ``custom_exit``, at random, so trades last seconds. The consumer
runs the same strategy and follows ``exits``: while the producer serving a pair holds a
trade there, the consumer's own ``custom_exit`` is not asked (it would close at other
moments), so every consumer exit then comes right after a producer exit on the pair. A
consumer trade opened while the producer held none (its trade had just closed) is the
strategy's own to close.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from freqfleet.sim.launcher import running_simulator
from tests.scenarios.follow.support import (
    Bot,
    consumer_config,
    db_date,
    loops_between,
    producer_config,
    wait_until,
)

pytestmark = [pytest.mark.slow]

PRODUCER_EXITS = 30
PAIRS = 16  # freqtrade locks a pair for the rest of the candle after an exit


HOLD_MARGIN = timedelta(seconds=2)
"""A producer's entry reaches the consumer a moment after it fills."""


def producer_held(producers: list[Bot], pair: str, moment: datetime) -> bool:
    """Whether a producer held an open trade on ``pair`` at ``moment`` (known by then)."""
    for bot in producers:
        for opened, closed in bot.query(
            "SELECT open_date, close_date FROM trades WHERE pair = ?", pair
        ):
            opened_at, closed_at = db_date(opened), db_date(closed)
            if opened_at + HOLD_MARGIN <= moment and (closed_at is None or moment < closed_at):
                return True
    return False


def producer_exit_before(producers: list[Bot], consumer: Bot):
    """Each consumer exit order with the latest producer exit fill on its pair before it."""
    producer_fills: dict[str, list[tuple[datetime, str]]] = {}
    for bot in producers:
        for order in bot.exit_orders():
            if order["filled_date"]:
                producer_fills.setdefault(order["pair"], []).append(
                    (order["filled_date"], bot.name)
                )
    result = []
    for order in consumer.exit_orders():
        before = [
            fill for fill in producer_fills.get(order["pair"], []) if fill[0] <= order["order_date"]
        ]
        result.append((order, max(before) if before else None))
    return result


@pytest.mark.timeout(420)
def test_every_consumer_exit_follows_a_producer_exit_within_a_loop(tmp_path):
    with running_simulator(pairs=PAIRS, seed=11) as sim:
        halves = [sim.pairs[: PAIRS // 2], sim.pairs[PAIRS // 2 : PAIRS]]
        chance = {"follow_test_exit_chance": 0.12}
        producers = [
            Bot(
                f"producer-{i}",
                tmp_path / f"producer-{i}",
                producer_config(sim, f"producer-{i}", pairs, **chance),
                "FollowRandomExit",
            )
            for i, pairs in enumerate(halves, start=1)
        ]
        consumer = Bot(
            "consumer",
            tmp_path / "consumer",
            consumer_config(
                sim,
                producers,
                follow=["exits"],
                max_open_trades=PAIRS,
                workdir=tmp_path / "consumer",
                **chance,
            ),
            "FollowRandomExit",
        )
        try:
            for bot in producers:
                bot.start()
            consumer.start()
            wait_until(
                lambda: (
                    sum(len(bot.exit_orders()) for bot in producers) >= PRODUCER_EXITS
                    and len(consumer.exit_orders()) >= 10
                ),
                300,
                f"{PRODUCER_EXITS} producer exits",
                every=2.0,
            )
        finally:
            consumer.stop()
            for bot in producers:
                bot.stop()

        loops = consumer.loop_starts()
        # Open trades were priced on the 5 s loop (prices reused in between) ...
        state = json.loads((consumer.workdir / "user_data" / "fleet-state.json").read_text())
        assert state["exit_prices"]["reuse_secs"] == 5 and state["exit_prices"]["reused"] > 0
        followed = producer_exit_before(producers, consumer)
        assert len(followed) >= 10
        own = 0
        for order, producer_exit in followed:
            assert order["exit_reason"] == "dice"
            provenance = consumer.followed_exit(order["trade_id"])
            if provenance is None:
                # The strategy's own exit: only while no producer held the pair.
                assert not producer_held(producers, order["pair"], order["order_date"]), order
                own += 1
                continue
            assert producer_exit is not None
            fill, producer = producer_exit
            assert provenance == f"{producer}:dice"
            # The producer's exit came after the consumer's trade opened ...
            assert fill >= order["trade_open_date"]
            # ... and the consumer placed its exit in the first loop that could see the
            # event (a loop starting while the event is on its way cannot), its price
            # taken fresh for the followed exit.
            assert loops_between(loops, fill, order["order_date"]) <= 2
        assert len(followed) - own >= 10
