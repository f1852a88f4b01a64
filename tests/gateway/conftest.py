"""Fixtures for the gateway's tests: one real simulator, shared by the session."""

from __future__ import annotations

import time

import pytest

from freqfleet.sim import RunningSimulator, running_simulator

HOUR_MS = 3_600_000


@pytest.fixture(scope="session")
def simulator() -> RunningSimulator:
    with running_simulator(pairs=12, seed=5) as sim:
        yield sim


def symbol(sim: RunningSimulator, index: int) -> str:
    """The exchange symbol of the simulator's ``index``-th pair (``BTC/USDT`` -> ``BTCUSDT``)."""
    return sim.pairs[index].replace("/", "")


def days_ago_ms(days: int) -> int:
    """An hour boundary ``days`` ago: the start of a range of closed candles."""
    now = time.time_ns() // 1_000_000
    return (now - days * 86_400_000) // HOUR_MS * HOUR_MS


def kline_count(sim: RunningSimulator) -> int:
    return sim.request_counts().get("/api/v3/klines", 0)
