"""Binance's ORDERS rate limits: new orders per 10 seconds and per day, per account.

Why: a bot that re-places orders in a loop (or a fleet sharing one account) hits these
before it hits the request weight; Binance then answers ``429`` with ``-1015``, which ccxt
raises as ``RateLimitExceeded`` (a ``DDoSProtection``) and freqtrade retries. Windows are
fixed (aligned to 10 s and to the UTC day), as Binance's intervals are; every order
answer carries the counts in ``X-MBX-ORDER-COUNT-10S`` / ``X-MBX-ORDER-COUNT-1D``.
"""

from __future__ import annotations

import threading

from freqfleet.sim.binance_errors import BinanceError

ORDERS_PER_10S = 100
ORDERS_PER_DAY = 200_000
TEN_SECONDS_MS = 10_000
DAY_MS = 86_400_000


def too_many_orders(limit: int, interval: str) -> BinanceError:
    return BinanceError(
        -1015, f"Too many new orders; current limit is {limit} orders per {interval}.", status=429
    )


class OrderLimits:
    """New-order counts in the current 10-second window and day."""

    def __init__(self, per_10s: int = ORDERS_PER_10S, per_day: int = ORDERS_PER_DAY) -> None:
        self.per_10s = per_10s
        self.per_day = per_day
        self._windows = [(-1, 0), (-1, 0)]  # (window number, count) for 10 s and the day
        self._lock = threading.Lock()

    def _current(self, now_ms: int) -> list[tuple[int, int]]:
        numbers = (now_ms // TEN_SECONDS_MS, now_ms // DAY_MS)
        return [
            (number, count if window == number else 0)
            for number, (window, count) in zip(numbers, self._windows, strict=True)
        ]

    def spend(self, now_ms: int) -> None:
        """Count one new order; BinanceError ``-1015`` (429) above either limit."""
        with self._lock:
            (ten, ten_count), (day, day_count) = self._current(now_ms)
            if ten_count >= self.per_10s:
                raise too_many_orders(self.per_10s, "10 SECOND")
            if day_count >= self.per_day:
                raise too_many_orders(self.per_day, "DAY")
            self._windows = [(ten, ten_count + 1), (day, day_count + 1)]

    def headers(self, now_ms: int) -> dict[str, str]:
        """The counts as Binance's answer headers."""
        with self._lock:
            (_, ten_count), (_, day_count) = self._current(now_ms)
        return {"X-MBX-ORDER-COUNT-10S": str(ten_count), "X-MBX-ORDER-COUNT-1D": str(day_count)}

    def retry_after(self, now_ms: int) -> int:
        """Seconds until the 10-second window turns."""
        return -(-(TEN_SECONDS_MS - now_ms % TEN_SECONDS_MS) // 1000)


__all__ = ["ORDERS_PER_10S", "ORDERS_PER_DAY", "OrderLimits", "too_many_orders"]
