"""One upstream call for identical requests that are in flight at the same time.

Why: at every candle close each pair is asked for by its producer and by the consumer
within milliseconds; the second asker waits for the first one's answer instead of
spending request weight again. The shared call runs as its own task, so a client that
hangs up does not cancel it for the others.
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
        self.joined = 0

    def waiting(self, key: Hashable) -> bool:
        return key in self._in_flight

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """The result of the one call for ``key``, and whether this caller joined it."""
        task = self._in_flight.get(key)
        joined = task is not None
        if task is None:
            task = asyncio.ensure_future(call())
            self._in_flight[key] = task
            task.add_done_callback(lambda _: self._in_flight.pop(key, None))
        else:
            self.joined += 1
        return await asyncio.shield(task), joined


__all__ = ["Coalescer"]
