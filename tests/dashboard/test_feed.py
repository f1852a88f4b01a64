"""The snapshot feed: one taker for every viewer, each snapshot numbered once, a failing
snapshot logged and the previous one kept."""

from __future__ import annotations

import json
import logging

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
