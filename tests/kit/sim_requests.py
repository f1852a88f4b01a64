"""Requests to a running simulator, as the gateway's tests make and count them."""

from __future__ import annotations

import time

from freqfleet.sim import RunningSimulator

HOUR_MS = 3_600_000


def symbol(sim: RunningSimulator, index: int) -> str:
    """The exchange symbol of the simulator's ``index``-th pair (``BTC/USDT`` -> ``BTCUSDT``)."""
    return sim.pairs[index].replace("/", "")


def days_ago_ms(days: int) -> int:
    """An hour boundary ``days`` ago: the start of a range of closed candles."""
    now = time.time_ns() // 1_000_000
    return (now - days * 86_400_000) // HOUR_MS * HOUR_MS


def kline_count(sim: RunningSimulator) -> int:
    return sim.request_counts().get("/api/v3/klines", 0)
