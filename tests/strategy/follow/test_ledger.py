from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from freqfleet.strategy.follow.events import from_closed_trade, from_message
from freqfleet.strategy.follow.ledger import ConsumerTrade, FollowLedger, fleet_tag
from tests.strategy.follow.messages import entry_fill, exit_fill

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
PAIR = "ETH/USDT"


def serves_all(producer: str, pair: str) -> bool | None:
    return True


def exit_event(
    trade_id=1,
    pair=PAIR,
    opened=T0,
    closed=T0 + timedelta(minutes=5),
    reason="custom_exit",
    producer="p1",
):
    return from_message(producer, exit_fill(trade_id, pair, opened, closed, exit_reason=reason))


def consumer_trade(opened=T0 + timedelta(seconds=2), pair=PAIR, tag=None):
    return ConsumerTrade(pair=pair, open_date=opened, enter_tag=tag)


def test_exit_is_followed_with_the_producers_reason_and_counted_once():
    ledger = FollowLedger(("exits",))
    assert ledger.add(exit_event(reason="roi")) is None
    trade = consumer_trade()
    followed = ledger.exit_for(trade, serves_all)
    assert (followed.producer, followed.reason) == ("p1", "roi")
    # asked again (exit not through yet): same answer, still one followed exit
    assert ledger.exit_for(trade, serves_all) is followed
    assert ledger.stats()["followed"]["exits"] == 1
    # trade closed: pending exit dropped, nothing counted as ignored
    ledger.reconcile({}, T0 + timedelta(minutes=6))
    assert ledger.pending()["exits"] == 0
    assert sum(ledger.stats()["ignored"].values()) == 0


def test_duplicates_across_websocket_and_rest_are_counted():
    ledger = FollowLedger(("exits",))
    ws = exit_event()
    rest = from_closed_trade(
        "p1",
        {
            "trade_id": 1,
            "pair": PAIR,
            "is_open": False,
            "exit_reason": "custom_exit",
            "open_timestamp": int(T0.timestamp() * 1000),
            "close_timestamp": int((T0 + timedelta(minutes=5)).timestamp() * 1000),
        },
    )
    assert ledger.add(ws) is None
    assert ledger.add(rest) == "duplicate"
    assert ledger.add(exit_event()) == "duplicate"
    assert ledger.stats()["ignored"]["duplicate"] == 2


def test_exit_older_than_consumer_trade_is_ignored():
    ledger = FollowLedger(("exits",))
    ledger.add(exit_event(closed=T0 + timedelta(minutes=1)))
    assert ledger.exit_for(consumer_trade(opened=T0 + timedelta(minutes=2)), serves_all) is None
    assert ledger.stats()["ignored"]["older_than_trade"] == 1
    assert ledger.pending()["exits"] == 0


def test_exit_without_consumer_trade_is_ignored_on_reconcile():
    ledger = FollowLedger(("exits",))
    ledger.add(exit_event(pair="XRP/USDT"))
    ledger.reconcile({PAIR: consumer_trade()}, T0 + timedelta(minutes=6))
    assert ledger.stats()["ignored"]["no_consumer_trade"] == 1


def test_exit_from_producer_no_longer_serving_the_pair_is_ignored():
    ledger = FollowLedger(("exits",))
    ledger.add(exit_event(producer="p2"))

    def serves(producer, pair):
        return producer == "p1"

    assert ledger.exit_for(consumer_trade(), serves) is None
    assert ledger.stats()["ignored"]["producer_not_serving"] == 1


def test_unknown_routing_does_not_block_exits():
    ledger = FollowLedger(("exits",))
    ledger.add(exit_event())
    assert ledger.exit_for(consumer_trade(), lambda p, q: None).reason == "custom_exit"


def test_newest_exit_wins_when_events_arrive_out_of_order():
    ledger = FollowLedger(("exits",))
    newer = exit_event(
        trade_id=2, opened=T0 + timedelta(minutes=6), closed=T0 + timedelta(minutes=9), reason="roi"
    )
    older = exit_event(trade_id=1, closed=T0 + timedelta(minutes=5), reason="stop_loss")
    ledger.add(newer)
    ledger.add(older)
    assert ledger.exit_for(consumer_trade(opened=T0 + timedelta(minutes=7)), serves_all).reason == (
        "roi"
    )


@pytest.mark.parametrize(
    ("follow", "reason", "followed"),
    [
        (("exits",), "custom_exit", True),
        (("force_exits",), "force_exit", True),
        (("force_exits",), "roi", False),
        (("force_entries",), "force_exit", False),
    ],
)
def test_follow_setting_selects_exits(follow, reason, followed):
    ledger = FollowLedger(follow)
    dropped = ledger.add(exit_event(reason=reason))
    assert (dropped is None) is followed
    assert (ledger.exit_for(consumer_trade(), serves_all) is not None) is followed


def test_force_entry_offered_until_taken_then_counted():
    ledger = FollowLedger(("force_entries",), entry_ttl=timedelta(seconds=10))
    event = from_message("p1", entry_fill(5, PAIR, T0, enter_tag="force_entry"), received=T0)
    ledger.add(event)
    offered = ledger.entry_for(PAIR, T0 + timedelta(seconds=1), serves_all)
    assert offered is event
    tag = fleet_tag("p1", "force_entry")
    ledger.reconcile(
        {PAIR: consumer_trade(opened=T0 + timedelta(seconds=2), tag=tag)}, T0 + timedelta(seconds=3)
    )
    assert ledger.stats()["followed"]["force_entries"] == 1
    assert ledger.entry_for(PAIR, T0 + timedelta(seconds=4), serves_all) is None


def test_force_entry_expires_without_slot():
    ledger = FollowLedger(("force_entries",), entry_ttl=timedelta(seconds=10))
    ledger.add(from_message("p1", entry_fill(5, PAIR, T0, enter_tag="force_entry"), received=T0))
    ledger.reconcile({}, T0 + timedelta(seconds=11))
    assert ledger.entry_for(PAIR, T0 + timedelta(seconds=12), serves_all) is None
    assert ledger.stats()["ignored"]["entry_expired"] == 1


def test_signal_entries_are_not_followed_as_force_entries():
    ledger = FollowLedger(("force_entries",))
    assert ledger.add(from_message("p1", entry_fill(5, PAIR, T0, enter_tag="rsi"))) == (
        "not_followed"
    )


def test_force_entry_on_pair_already_traded_is_ignored():
    ledger = FollowLedger(("force_entries",))
    ledger.add(from_message("p1", entry_fill(5, PAIR, T0, enter_tag="force_entry"), received=T0))
    ledger.reconcile({PAIR: consumer_trade(opened=T0 - timedelta(minutes=5))}, T0)
    assert ledger.stats()["ignored"]["consumer_has_trade"] == 1


def test_adjustments_compound_and_apply_once():
    ledger = FollowLedger(("position_adjustments",))
    t = T0 + timedelta(minutes=1)
    first = entry_fill(
        5, PAIR, T0, sub_trade=True, amount=0.5, open_rate=100.0, stake_amount=150.0
    )  # +50%
    second = entry_fill(
        5, PAIR, T0, sub_trade=True, amount=1.5, open_rate=100.0, stake_amount=300.0
    )  # +100%
    ledger.add(from_message("p1", first, received=t))
    ledger.add(from_message("p1", second, received=t))
    ratio = ledger.adjustment_for(consumer_trade(opened=T0), serves_all)
    assert abs(ratio - 2.0) < 1e-9  # 1.5 * 2 - 1
    assert ledger.adjustment_for(consumer_trade(opened=T0), serves_all) is None
    assert ledger.stats()["followed"]["position_adjustments"] == 2


def test_adjustment_before_consumer_trade_is_ignored():
    ledger = FollowLedger(("position_adjustments",))
    msg = entry_fill(5, PAIR, T0, sub_trade=True, amount=0.5, open_rate=100.0, stake_amount=150.0)
    ledger.add(from_message("p1", msg, received=T0 + timedelta(minutes=1)))
    assert (
        ledger.adjustment_for(consumer_trade(opened=T0 + timedelta(minutes=2)), serves_all) is None
    )
    assert ledger.stats()["ignored"]["older_than_trade"] == 1


def test_dedupe_memory_is_bounded():
    ledger = FollowLedger(("exits",), memory=3)
    for trade_id in range(10):
        ledger.add(exit_event(trade_id=trade_id, pair=f"P{trade_id}/USDT"))
    assert len(ledger._seen) == 3
