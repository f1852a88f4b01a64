"""Binance request weights, the used-weight header and optional enforcement.

Why: a fleet multiplies candle requests (every bot refreshes its own pairs), and what that
costs on the real exchange is measured in request weight per minute. The simulator counts
weight the way Binance does (fixed one-minute windows, ``X-MBX-USED-WEIGHT-1M`` on every
answer) and, only when a limit is set, answers ``429 / -1003`` above it.
"""

from __future__ import annotations

import threading

from freqfleet.sim.binance_errors import too_many_requests

# Binance's real spot limit (REQUEST_WEIGHT per minute), stated in exchangeInfo.
BINANCE_WEIGHT_LIMIT = 6000


def depth_weight(limit: int) -> int:
    if limit <= 100:
        return 5
    if limit <= 500:
        return 25
    if limit <= 1000:
        return 50
    return 250


def symbols_weight(count: int | None, single: int, few: int, all_: int) -> int:
    """Weight of ticker endpoints: one symbol, a list of them, or every symbol."""
    if count is None:
        return all_
    if count <= 1:
        return single
    return few


def ticker_24hr_weight(count: int | None) -> int:
    if count is None:
        return 80
    if count <= 20:
        return 2
    if count <= 100:
        return 40
    return 80


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
    "BINANCE_WEIGHT_LIMIT",
    "WeightMeter",
    "depth_weight",
    "symbols_weight",
    "ticker_24hr_weight",
]
