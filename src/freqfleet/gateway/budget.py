"""One request-weight budget for the whole fleet, and one back-off for all of it.

Why: the exchange limits weight per IP, and every bot's own rate limiter assumes it has
the whole limit to itself. The gateway spends from one budget of ``share`` of the
exchange's limit per minute: a request that does not fit waits (in arrival order) for the
next minute instead of failing, unless every client that asked for it hung up meanwhile
(:class:`Dropped`: an answer nobody reads is not worth the weight). The exchange's used-weight header raises the count when
others on the same IP (the bots' private calls) spent too. A 429 or 418 stops every
upstream call until its Retry-After has passed; meanwhile callers learn it at once
(:class:`BackingOff`) so they can answer from cache or pass the status on.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from freqfleet.gateway.settings import budget_per_minute

MINUTE = 60.0
# Header values in a window's first moments (2 s of a minute) may still be the previous
# window's count (the exchange's clock and ours differ slightly): not trusted then.
HEADER_GRACE = 1 / 30


@dataclass(frozen=True)
class BackOff:
    """The exchange said stop: its status, body and until when (wall clock seconds)."""

    status: int
    body: bytes
    until: float

    def retry_after(self, now: float) -> int:
        return max(1, math.ceil(self.until - now))


class BackingOff(Exception):
    """Raised to a caller while the exchange's 429/418 back-off lasts."""

    def __init__(self, back_off: BackOff) -> None:
        super().__init__(f"backing off after HTTP {back_off.status}")
        self.back_off = back_off


class Dropped(Exception):
    """Raised instead of spending: every client waiting for this request hung up."""


class WeightBudget:
    """Spends request weight within ``capacity`` per fixed window (the exchange's
    minute); waits, never fails."""

    def __init__(self, limit_per_minute: int, share: float, window: float = MINUTE) -> None:
        self.limit_per_minute = limit_per_minute
        self.share = share
        self.capacity = budget_per_minute(limit_per_minute, share)
        self.window = window
        self._clock = time.time
        self._minute = -1
        self._used = 0
        self._turn = asyncio.Lock()  # FIFO: waiters are served in arrival order
        self._spent: deque[tuple[float, int]] = deque()
        self.back_off: BackOff | None = None
        # Requests that waited for budget (behind others or for the next minute), the
        # seconds they waited in all, those still waiting, and those dropped while waiting.
        self.queued = 0
        self.queued_seconds = 0.0
        self.waiting = 0
        self.dropped = 0

    def _roll(self, now: float) -> None:
        minute = int(now // self.window)
        if minute != self._minute:
            self._minute = minute
            self._used = 0

    def used_this_minute(self) -> int:
        self._roll(self._clock())
        return self._used

    def spent_last_minute(self) -> int:
        """Weight this gateway sent upstream in the last window (sliding)."""
        now = self._clock()
        while self._spent and self._spent[0][0] <= now - self.window:
            self._spent.popleft()
        return sum(w for _, w in self._spent)

    def current_back_off(self) -> BackOff | None:
        if self.back_off is not None and self._clock() >= self.back_off.until:
            self.back_off = None
        return self.back_off

    async def acquire(self, weight: int, wanted: Callable[[], bool] | None = None) -> None:
        """Wait until ``weight`` fits this minute's budget, then spend it.

        Raises :class:`BackingOff` while the exchange's back-off lasts (also to callers
        already waiting when it starts), and :class:`Dropped` when ``wanted()`` turns
        false before the weight is spent (checked at least once a second while waiting).
        """
        entered = time.monotonic()
        queued = self._turn.locked()
        if queued:
            self._start_queueing()
        try:
            async with self._turn:
                while True:
                    back_off = self.current_back_off()
                    if back_off is not None:
                        raise BackingOff(back_off)
                    if wanted is not None and not wanted():
                        self.dropped += 1
                        raise Dropped()
                    now = self._clock()
                    self._roll(now)
                    # A request heavier than the whole budget still goes, alone in its minute.
                    if self._used + weight <= self.capacity or self._used == 0:
                        self._used += weight
                        self._spent.append((now, weight))
                        return
                    if not queued:
                        queued = True
                        self._start_queueing()
                    await asyncio.sleep(min(1.0, (self._minute + 1) * self.window - now + 0.01))
        finally:
            if queued:
                self.waiting -= 1
                self.queued_seconds += time.monotonic() - entered

    def _start_queueing(self) -> None:
        self.queued += 1
        self.waiting += 1

    def observe_used(self, used: int) -> None:
        """The exchange's used-weight header: what the whole IP spent this minute."""
        now = self._clock()
        self._roll(now)
        if now - self._minute * self.window >= HEADER_GRACE * self.window and used > self._used:
            self._used = used

    def stop(self, status: int, body: bytes, retry_after: float) -> BackOff:
        """Start (or extend) the back-off everyone observes."""
        until = self._clock() + max(0.0, retry_after)
        if self.back_off is None or until > self.back_off.until:
            self.back_off = BackOff(status, body, until)
        return self.back_off


__all__ = ["MINUTE", "BackOff", "BackingOff", "Dropped", "WeightBudget"]
