"""The snapshot feed: one taker for every viewer, each snapshot numbered once, a failing
snapshot logged and the previous one kept."""

from __future__ import annotations

import json
import logging
import time

import pytest

from freqfleet.dashboard import SnapshotFeed
from freqfleet.dashboard.snapshot import Snapshot, Wallet


def snapshot(taken: str) -> Snapshot:
    return Snapshot(
        taken=taken,
        timeframe="1m",
        candle_secs=60,
        max_signal_age=1,
        nodes=[],
        pairs=[],
        producers=[],
        wallet=Wallet(),
        unrouted_pairs=[],
        rejected={},
        versions={},
        mixed_versions=False,
        exchange=None,
    )


def test_each_snapshot_numbered_and_encoded_once(caplog: pytest.LogCaptureFixture) -> None:
    taken = iter(["a", "b"])

    def take() -> Snapshot:
        moment = next(taken, None)
        if moment is None:
            raise RuntimeError("a bot answered nonsense")
        return snapshot(moment)

    feed = SnapshotFeed(take)
    assert feed.latest() is None and feed.latest_json() == (0, "null")
    feed.refresh()
    assert feed.latest_json()[0] == 1
    feed.refresh()
    serial, text = feed.latest_json()
    assert serial == 2 and json.loads(text)["taken"] == "b"
    with caplog.at_level(logging.ERROR):
        feed.refresh()
    assert feed.latest_json() == (serial, text)  # kept
    assert "taking a snapshot failed" in caplog.text


class CountingTaker:
    """A snapshot per call, counted, each taken a moment (as asking the bots takes)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Snapshot:
        self.calls += 1
        time.sleep(0.01)
        return snapshot(str(self.calls))


def wait_until(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_taker_rests_without_readers_and_a_reader_gets_a_fresh_snapshot() -> None:
    take = CountingTaker()
    feed = SnapshotFeed(take, interval=0.05, idle_after=0.3)
    feed.start()
    try:
        wait_until(lambda: take.calls >= 3)  # taking while the start counts as a read
        wait_until(lambda: feed.resting)
        time.sleep(0.1)  # a snapshot begun as the rest began ends
        rested = take.calls
        time.sleep(0.5)  # ten intervals without a reader
        assert take.calls == rested
        assert feed.has_snapshot() and take.calls == rested  # a health check wakes nothing
        # A reader after the rest waits for the snapshot its wake-up takes.
        fresh = feed.latest()
        assert fresh is not None and fresh.taken == str(rested + 1)
        wait_until(lambda: take.calls >= rested + 3)  # taking again while read
    finally:
        feed.stop()
    assert not feed._thread.is_alive()  # type: ignore[union-attr]


def test_the_event_streams_read_wakes_the_taker_without_waiting() -> None:
    take = CountingTaker()
    feed = SnapshotFeed(take, interval=0.05, idle_after=0.2)
    feed.start()
    try:
        wait_until(lambda: feed.resting)
        time.sleep(0.1)
        serial, _ = feed.latest_json(wait=False)
        wait_until(lambda: feed.latest_json(wait=False)[0] > serial)
    finally:
        feed.stop()
