"""A consumer follows a producer's forced actions (real bots on the simulator).

One producer and one consumer run ``FollowQuiet``, which never trades on its own, so every
trade here comes from a REST call on a bot and every consumer action from following.
The tests run in order on one fleet (module fixture), each on its own pair.
"""

from __future__ import annotations

import pytest

from freqfleet.sim.launcher import running_simulator
from tests.scenarios.follow.support import (
    Bot,
    consumer_config,
    loops_between,
    producer_config,
    wait_until,
)

pytestmark = [pytest.mark.slow]

ENTRY_TTL_WAIT = 14.0  # the consumer offers a followed force entry for 10 s


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("follow-fleet")
    with running_simulator(pairs=6, seed=3) as sim:
        pairs = sim.pairs[:6]
        producer = Bot(
            "producer-1",
            workdir / "producer-1",
            producer_config(sim, "producer-1", pairs, position_adjustment_enable=True),
            "FollowQuiet",
        )
        consumer = Bot(
            "consumer",
            workdir / "consumer",
            consumer_config(
                sim,
                [producer],
                follow=["exits", "force_entries", "force_exits", "position_adjustments"],
                max_open_trades=2,
                workdir=workdir / "consumer",
                position_adjustment_enable=True,
            ),
            "FollowQuiet",
        )
        try:
            producer.start()
            consumer.start()
            wait_until(
                lambda: (
                    len((consumer.client().whitelist() or {}).get("whitelist", [])) == len(pairs)
                ),
                60,
                "the consumer to receive the producer's whitelist",
            )
            wait_until(
                lambda: "Following trades of producer producer-1" in consumer.log_text(),
                30,
                "the consumer to subscribe to the producer's trade events",
            )
            yield {"producer": producer, "consumer": consumer, "pairs": pairs}
        finally:
            consumer.stop()
            producer.stop()


def _force_enter(bot: Bot, pair: str, **kw) -> dict:
    trade = bot.client().forceenter(pair, "long", **kw)
    assert isinstance(trade, dict) and trade.get("trade_id"), trade
    return trade


def _closed(bot: Bot, trade_id: int) -> dict | None:
    return next(
        (t for t in bot.closed_trades() if t["trade_id"] == trade_id and not t["is_open"]),
        None,
    )


@pytest.mark.timeout(120)
def test_force_entry_on_producer_opens_consumer_trade_when_a_slot_is_free(fleet):
    producer, consumer, pair = fleet["producer"], fleet["consumer"], fleet["pairs"][0]
    _force_enter(producer, pair)
    trade = wait_until(lambda: consumer.open_trade(pair), 30, f"consumer trade on {pair}")
    assert trade["enter_tag"] == "fleet:producer-1:force_entry"


@pytest.mark.timeout(120)
def test_additional_producer_entry_grows_consumer_position_in_proportion(fleet):
    producer, consumer, pair = fleet["producer"], fleet["consumer"], fleet["pairs"][0]
    producer_before = wait_until(lambda: producer.open_trade(pair), 10, "producer trade")
    consumer_before = wait_until(lambda: consumer.open_trade(pair), 30, "consumer trade")
    # The producer adds half of its stake again: +50 %.
    added = producer_before["stake_amount"] * 0.5
    _force_enter(producer, pair, stake_amount=added)
    producer_after = wait_until(
        lambda: (t := producer.open_trade(pair)) and t["nr_of_successful_entries"] == 2 and t,
        30,
        "the producer's second entry to fill",
    )
    consumer_after = wait_until(
        lambda: (t := consumer.open_trade(pair)) and t["nr_of_successful_entries"] == 2 and t,
        30,
        "the consumer's second entry",
    )
    producer_growth = producer_after["stake_amount"] / producer_before["stake_amount"]
    consumer_growth = consumer_after["stake_amount"] / consumer_before["stake_amount"]
    assert producer_growth > 1.3
    assert consumer_growth == pytest.approx(producer_growth, rel=0.03)


@pytest.mark.timeout(120)
def test_partial_producer_exit_shrinks_consumer_position_in_proportion(fleet):
    producer, consumer, pair = fleet["producer"], fleet["consumer"], fleet["pairs"][0]
    producer_before = wait_until(lambda: producer.open_trade(pair), 10, "producer trade")
    consumer_before = wait_until(lambda: consumer.open_trade(pair), 30, "consumer trade")
    # The producer sells a third of its position.
    producer.client().forceexit(producer_before["trade_id"], amount=producer_before["amount"] / 3)
    producer_after = wait_until(
        lambda: (t := producer.open_trade(pair)) and t["amount"] < producer_before["amount"] and t,
        30,
        "the producer's partial exit to fill",
    )
    consumer_after = wait_until(
        lambda: (t := consumer.open_trade(pair)) and t["amount"] < consumer_before["amount"] and t,
        30,
        "the consumer's partial exit",
    )
    producer_kept = producer_after["amount"] / producer_before["amount"]
    consumer_kept = consumer_after["amount"] / consumer_before["amount"]
    assert producer_kept == pytest.approx(2 / 3, rel=0.02)
    assert consumer_kept == pytest.approx(producer_kept, rel=0.03)


@pytest.mark.timeout(120)
def test_force_exit_on_producer_exits_consumer_within_two_loops(fleet):
    producer, consumer, pair = fleet["producer"], fleet["consumer"], fleet["pairs"][0]
    producer_trade = wait_until(lambda: producer.open_trade(pair), 10, "producer trade")
    consumer_trade = wait_until(lambda: consumer.open_trade(pair), 30, "consumer trade")
    producer.client().forceexit(producer_trade["trade_id"])
    wait_until(lambda: _closed(consumer, consumer_trade["trade_id"]), 30, "consumer exit")

    closed = _closed(consumer, consumer_trade["trade_id"])
    # The strategy saw the producer's own reason; the trade records where it came from.
    assert closed["exit_reason"] == "force_exit"
    assert consumer.followed_exit(consumer_trade["trade_id"]) == "producer-1:force_exit"
    producer_exit = next(
        o for o in producer.exit_orders() if o["trade_id"] == producer_trade["trade_id"]
    )
    consumer_exit = next(
        o for o in consumer.exit_orders() if o["trade_id"] == consumer_trade["trade_id"]
    )
    assert consumer_exit["order_date"] >= producer_exit["filled_date"]
    loops = loops_between(
        consumer.loop_starts(), producer_exit["filled_date"], consumer_exit["order_date"]
    )
    assert loops <= 2


@pytest.mark.timeout(120)
def test_force_entry_on_producer_is_not_followed_without_free_slot(fleet):
    producer, consumer = fleet["producer"], fleet["consumer"]
    own_1, own_2, followed = fleet["pairs"][1], fleet["pairs"][2], fleet["pairs"][3]
    # The consumer fills both of its slots itself.
    for pair in (own_1, own_2):
        _force_enter(consumer, pair)
    wait_until(lambda: len(consumer.open_trades()) == 2, 30, "two consumer trades")

    _force_enter(producer, followed)
    loops_before = len(consumer.loop_starts())
    wait_until(
        lambda: len(consumer.loop_starts()) >= loops_before + ENTRY_TTL_WAIT,
        60,
        "the followed entry's offer to run out",
        every=1.0,
    )
    assert consumer.open_trade(followed) is None
    assert {t["pair"] for t in consumer.open_trades()} == {own_1, own_2}

    # Free the slots again for the next test.
    for trade in consumer.open_trades():
        consumer.client().forceexit(trade["trade_id"])
    wait_until(lambda: not consumer.open_trades(), 30, "the consumer's own exits")


@pytest.mark.timeout(240)
def test_exit_missed_while_consumer_was_down_is_followed_after_restart(fleet):
    producer, consumer, pair = fleet["producer"], fleet["consumer"], fleet["pairs"][4]
    producer_trade = _force_enter(producer, pair)
    consumer_trade = wait_until(lambda: consumer.open_trade(pair), 30, "consumer trade")

    consumer.stop(kill=True)
    producer.client().forceexit(producer_trade["trade_id"])
    wait_until(lambda: _closed(producer, producer_trade["trade_id"]), 30, "producer exit")
    consumer.start()

    wait_until(lambda: _closed(consumer, consumer_trade["trade_id"]), 60, "consumer exit")
    closed = _closed(consumer, consumer_trade["trade_id"])
    assert closed["exit_reason"] == "force_exit"
    assert consumer.followed_exit(consumer_trade["trade_id"]) == "producer-1:force_exit"
    # One exit, not one per start (the replayed exit is not followed again).
    exits = [o for o in consumer.exit_orders() if o["trade_id"] == consumer_trade["trade_id"]]
    assert len(exits) == 1


@pytest.mark.timeout(240)
def test_consumer_resubscribes_after_producer_restart(fleet):
    producer, consumer, pair = fleet["producer"], fleet["consumer"], fleet["pairs"][5]
    subscribed = "Following trades of producer producer-1"
    subscriptions = consumer.log_text().count(subscribed)
    producer.stop()
    producer.start()
    # Entries are not caught up over REST (entering late would be a different trade):
    # wait until the consumer has subscribed again.
    wait_until(
        lambda: consumer.log_text().count(subscribed) > subscriptions,
        60,
        "the consumer to subscribe again",
    )
    producer_trade = _force_enter(producer, pair)
    consumer_trade = wait_until(lambda: consumer.open_trade(pair), 60, "consumer trade")
    assert consumer_trade["enter_tag"] == "fleet:producer-1:force_entry"
    producer.client().forceexit(producer_trade["trade_id"])
    wait_until(lambda: _closed(consumer, consumer_trade["trade_id"]), 30, "consumer exit")
    assert _closed(consumer, consumer_trade["trade_id"])["exit_reason"] == "force_exit"
    assert consumer.followed_exit(consumer_trade["trade_id"]) == "producer-1:force_exit"


def test_consumer_log_never_shows_the_producer_ws_token(fleet):
    producer, consumer = fleet["producer"], fleet["consumer"]
    log = consumer.log_text()
    assert "Following trades of producer producer-1" in log
    assert producer.api["ws_token"] not in log
