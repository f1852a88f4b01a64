"""A clock tests can move, for the simulator's notion of "now"."""

from __future__ import annotations

# 2026-03-04 05:06:07.890 UTC: inside a 1m, 5m and 1h candle, not on a boundary.
NOW_MS = 1_772_600_767_890


class Clock:
    """A clock tests can move: the simulator's notion of "now"."""

    def __init__(self, now_ms: int = NOW_MS) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms
