"""One upstream call for identical requests that are in flight at the same time.

Why: at every candle close each pair is asked for by its producer and by the consumer
within milliseconds; the second asker waits for the first one's answer instead of
spending request weight again. The shared call runs as its own task, so a client that
hangs up does not cancel it for the others; the call can ask :meth:`Coalescer.wanted`
whether anyone still waits for it (a request still queued for budget is then dropped).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Coalescer(Generic[T]):
    """Runs ``call()`` once per ``key`` at a time; concurrent callers share its result."""

    def __init__(self) -> None:
        self._in_flight: dict[Hashable, asyncio.Task[T]] = {}
        # Per key in flight: each caller's "hung up" event (None: cannot tell, wanted).
        self._askers: dict[Hashable, list[asyncio.Event | None]] = {}
        self.joined = 0

    def waiting(self, key: Hashable) -> bool:
        return key in self._in_flight

    def wanted(self, key: Hashable) -> bool:
        """Whether a caller of ``key`` still waits for its answer (not hung up, not gone)."""
        askers = self._askers.get(key)
        if askers is None:
            return True  # not called through run(): nobody to ask
        return any(gone is None or not gone.is_set() for gone in askers)

    async def run(
        self, key: Hashable, call: Callable[[], Awaitable[T]], gone: asyncio.Event | None = None
    ) -> tuple[T, bool]:
        """The result of the one call for ``key``, and whether this caller joined it.

        ``gone``: set when this caller's client hangs up (see :meth:`wanted`).
        """
        task = self._in_flight.get(key)
        joined = task is not None
        askers = self._askers.setdefault(key, [])
        askers.append(gone)
        if task is None:
            task = asyncio.ensure_future(call())
            self._in_flight[key] = task
            task.add_done_callback(lambda _: self._done(key))
        else:
            self.joined += 1
        try:
            return await asyncio.shield(task), joined
        finally:
            if askers is self._askers.get(key):
                askers.remove(gone)

    def _done(self, key: Hashable) -> None:
        self._in_flight.pop(key, None)
        self._askers.pop(key, None)


__all__ = ["Coalescer"]
