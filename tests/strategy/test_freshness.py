"""Freshness is logged once per change of a pair, and callbacks waiting for data once."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from freqfleet.fleet_state import Freshness
from freqfleet.strategy.freshness import FreshnessLog
from freqfleet.strategy.merge import MergedEntry


def entry(lag: int | None) -> MergedEntry:
    return MergedEntry((), pd.DataFrame(), None if lag is None else "p1", None, lag)


def test_states_follow_the_lag_and_the_allowance() -> None:
    log = FreshnessLog(max_signal_age=2)
    assert [log.of(entry(lag)) for lag in (None, -1, 0, 2, 3)] == [
        Freshness.MISSING,
        Freshness.FRESH,
        Freshness.FRESH,
        Freshness.FRESH,
        Freshness.STALE,
    ]


def test_each_change_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    log = FreshnessLog(max_signal_age=1)
    log.callback_skipped("ETH/BTC", "custom_exit")
    log.callback_skipped("ETH/BTC", "custom_stoploss")
    for lag in (None, None, 0, 0, 3, 3, 1, 1):
        log.note("ETH/BTC", entry(lag))
    assert [r.getMessage() for r in caplog.records] == [
        "Fleet: no producer data for ETH/BTC yet; its callbacks (custom_exit, ...) get "
        "freqtrade's neutral answers until it arrives",
        "Fleet: no producer data for ETH/BTC yet; no entries on it",
        "Fleet: producer data for ETH/BTC arrived; its callbacks run again",
        "Fleet: p1 data for ETH/BTC is 3 candles old (fleet.max_signal_age 1); "
        "no entries on it until it is fresh",
        "Fleet: p1 data for ETH/BTC is fresh again",
    ]
    assert {r.name for r in caplog.records} == {"freqfleet.strategy.consumer"}
    caplog.clear()
    log.forget(set())
    log.note("ETH/BTC", entry(0))  # forgotten: its state is new again, but fresh is quiet
    log.note("ETH/BTC", entry(None))
    assert [r.getMessage() for r in caplog.records] == [
        "Fleet: no producer data for ETH/BTC yet; no entries on it"
    ]
