"""The consumer's watch on producers that do not let it in, on a thread of its own.

Why: freqtrade's consumer only logs "HTTP 403 retrying" without naming the producer. This
thread checks, every ``interval`` seconds, each producer that sent nothing for that long
(:mod:`freqfleet.strategy.producer_access`), names the producer and the fix once, and says
when it lets the consumer in again.

Threads: the watch's own thread is the only writer of what it found; the bot thread (the
state file, ``freqfleet status``) reads a copy taken under the watch's lock, so a reader
never sees a producer half added or removed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

logger = logging.getLogger("freqfleet.strategy.consumer")
"""The consumer's logger: its lines read as they did when this was part of it."""

LastHeard = Callable[[str], float | None]
"""``last_heard(producer)``: when (``time.monotonic``) its newest message arrived, or None."""


class AccessWatch:
    """Producer -> why the consumer cannot use it (``token_rejected``, ...), kept current."""

    def __init__(self, last_heard: LastHeard, stopping: threading.Event) -> None:
        self._last_heard = last_heard
        self._stopping = stopping
        self._problems: dict[str, str] = {}
        self._lock = threading.Lock()

    def problems(self) -> dict[str, str]:
        """A copy of the current problems (safe to read from any thread)."""
        with self._lock:
            return dict(self._problems)

    def start(
        self, producers: Sequence[Mapping[str, Any]], interval: float = 60.0, first: float = 10.0
    ) -> None:
        """Check in the background: first after ``first`` seconds, then every ``interval``."""
        thread = threading.Thread(
            target=self._loop,
            args=(list(producers), interval, first),
            name="freqfleet-access",
            daemon=True,
        )
        thread.start()

    def _loop(self, producers: list[Mapping[str, Any]], interval: float, first: float) -> None:
        wait = first
        while not self._stopping.wait(wait):
            wait = interval
            for index, producer in enumerate(producers):
                self.check(index, producer, interval)

    def check(self, index: int, producer: Mapping[str, Any], interval: float) -> None:
        """One producer: heard from within ``interval`` seconds, or let in by a handshake."""
        from freqfleet.strategy.producer_access import (
            access_problem_message,
            check_producer_access,
        )

        name = str(producer.get("name"))
        heard = self._last_heard(name)
        if heard is not None and time.monotonic() - heard < interval:
            self._set(name, None)
            return
        problem = check_producer_access(
            name,
            str(producer.get("host")),
            producer.get("port", 0),
            str(producer.get("ws_token", "")),
            bool(producer.get("secure", False)),
        )
        previous = self._set(name, problem)
        if problem is None:
            if previous is not None:
                logger.info("Fleet: producer %s accepts this consumer again", name)
        elif problem != previous:
            logger.error("Fleet: %s", access_problem_message(name, problem, index))

    def _set(self, name: str, problem: str | None) -> str | None:
        """Record ``problem`` (None: none) for ``name``; the one recorded before."""
        with self._lock:
            previous = self._problems.pop(name, None)
            if problem is not None:
                self._problems[name] = problem
        return previous


__all__ = ["AccessWatch", "LastHeard"]
