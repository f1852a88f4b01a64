"""The message thread's side of the consumer: checked messages stored under the lock, and a
bot thread waiting for rows woken by the last of them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from freqfleet.strategy.intake import IntakeRules, Rejections
from freqfleet.strategy.producer_inbox import ProducerInbox
from tests.kit.fleet_strategy import candles

RULES = IntakeRules(timeframe="5m", candle_type="spot", candle_ns=300 * 10**9)


def inbox() -> ProducerInbox:
    box = ProducerInbox(threading.Lock(), Rejections())
    box.rules = RULES
    return box


def test_checked_messages_are_stored_and_counted() -> None:
    box = inbox()
    frame = candles("ETH/BTC", 10)
    assert box.check_frame("p1", "ETH/BTC", "5m", "spot", frame)
    assert not box.check_frame("p1", "ETH/BTC", "1h", "spot", frame)
    assert box.check_whitelist("p1", ["ETH/BTC", "not a pair", "ETH/BTC"]) == ["ETH/BTC"]
    assert box.whitelists == {"p1": ["ETH/BTC"]} and box.whitelists_changed
    assert box.rejections.snapshot() == {"p1": {"timeframe": 1, "pair_invalid": 1}}
    assert box.last_heard("p1") is not None and box.last_heard("p2") is None
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    box.frame_stored("p1", "ETH/BTC", "5m", "spot", frame, moment)
    stored = box.frame("p1", "ETH/BTC")
    assert stored is not None and stored[0] is frame and stored[1] == moment
    assert box.frame("p2", "ETH/BTC") is None


def test_the_last_awaited_row_wakes_the_bot_thread() -> None:
    box = inbox()
    frame = candles("ETH/BTC", 10)
    box.await_rows({"ETH/BTC", "LTC/BTC"})
    assert not box.rows_come_meanwhile()  # nothing delivered yet

    def deliver(pair: str) -> None:
        box.frame_stored("p1", pair, "5m", "spot", frame, datetime.now(UTC))

    thread = threading.Thread(target=deliver, args=("ETH/BTC",))
    thread.start()
    thread.join()
    assert box.rows_come_meanwhile() and not box.arrival.is_set()
    thread = threading.Thread(target=deliver, args=("LTC/BTC",))
    thread.start()
    assert box.arrival.wait(5)
    thread.join()
    deliver("ADA/BTC")  # on this thread: waiting here would wait for nothing
    assert not box.rows_come_meanwhile()
