"""Entries of a candle wait for the pairs whose producer is merely behind, a quarter of a
candle at most."""

from __future__ import annotations

import logging
import time

import pandas as pd

from freqfleet.strategy.entry_wait import ENTRY_WAIT_FRACTION, EntryWait
from freqfleet.strategy.merge import MergedEntry

CANDLE_NS = 60 * 10**9


def entry(newest_ns: int, lag: int | None, producer: str | None = "p1") -> MergedEntry:
    return MergedEntry((newest_ns,), pd.DataFrame(), producer, newest_ns - CANDLE_NS, lag)


def closed_ago(seconds: float) -> int:
    """The open date of a candle that closed ``seconds`` ago."""
    return time.time_ns() - int(seconds * 10**9) - CANDLE_NS


def test_entries_wait_for_pairs_behind_then_go_after_a_quarter_candle(caplog):
    wait = EntryWait(max_signal_age=1)
    pairs = ["A", "B", "C", "D"]
    newest = closed_ago(2)
    entries = [entry(newest, 0), entry(newest, 1), entry(newest, 5), None]
    assert not wait.update(entries, pairs, CANDLE_NS)
    assert wait.awaited == {"B"}  # not the stale pair, nor one with no data
    late = closed_ago(ENTRY_WAIT_FRACTION * 60 + 1)
    with caplog.at_level(logging.WARNING):
        assert wait.update([entry(late, 0), entry(late, 1)], pairs[:2], CANDLE_NS)
        assert wait.update([entry(late, 0), entry(late, 1)], pairs[:2], CANDLE_NS)
    warnings = [
        r for r in caplog.records if "without the analysis of 1 pair(s) from p1" in r.message
    ]
    assert len(warnings) == 1  # once per candle
    assert wait.update([entry(newest, 0), entry(newest, 0)], pairs[:2], CANDLE_NS)
    assert wait.open and wait.awaited == set()
