"""Binance request weights, the used-weight header and optional enforcement.

Why: a fleet multiplies candle requests (every bot refreshes its own pairs), and what that
costs on the real exchange is measured in request weight per minute. The simulator counts
weight the way Binance does (fixed one-minute windows, ``X-MBX-USED-WEIGHT-1M`` on every
answer) and, only when a limit is set, answers ``429 / -1003`` above it.
"""

from __future__ import annotations

import threading

from freqfleet.gateway import (
    BINANCE_FUTURES,
    BINANCE_SPOT,
    binance_depth_weight,
    binance_futures_depth_weight,
    binance_futures_klines_weight,
    binance_one_or_many_weight,
    binance_ticker_24hr_weight,
)
from freqfleet.sim.binance_errors import too_many_requests

# Binance's rules have one home, the gateway's exchange profile: the simulator charges what
# the gateway budgets, so a measured fleet and a gated one count the same weight.
BINANCE_WEIGHT_LIMIT = BINANCE_SPOT.limit_per_minute
depth_weight = binance_depth_weight
ticker_24hr_weight = binance_ticker_24hr_weight
one_or_many_weight = binance_one_or_many_weight
# USD-M futures: their own host at Binance, so their own minute and limit here.
BINANCE_FUTURES_WEIGHT_LIMIT = BINANCE_FUTURES.limit_per_minute
futures_weight = BINANCE_FUTURES.weight
futures_depth_weight = binance_futures_depth_weight
futures_klines_weight = binance_futures_klines_weight


class WeightMeter:
    """Used weight in the current minute; raises -1003 above ``limit`` when one is set."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self._minute = -1
        self._used = 0
        self._lock = threading.Lock()

    def spend(self, weight: int, now_ms: int) -> int:
        """Add ``weight``; returns the minute's used weight (for the header)."""
        minute = now_ms // 60_000
        with self._lock:
            if minute != self._minute:
                self._minute = minute
                self._used = 0
            if self.limit is not None and self._used + weight > self.limit:
                raise too_many_requests(self._used, self.limit)
            self._used += weight
            return self._used

    def used(self, now_ms: int) -> int:
        with self._lock:
            return self._used if now_ms // 60_000 == self._minute else 0


__all__ = [
    "BINANCE_FUTURES_WEIGHT_LIMIT",
    "BINANCE_WEIGHT_LIMIT",
    "WeightMeter",
    "depth_weight",
    "futures_depth_weight",
    "futures_klines_weight",
    "futures_weight",
    "one_or_many_weight",
    "ticker_24hr_weight",
]
