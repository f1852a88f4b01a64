"""New entries of a candle wait for the pairs whose producer is merely behind.

Why: a plain bot analyses every pair before it fills free slots in whitelist order; a
consumer that entered pairs as their rows arrive would give the slots to the fastest
producer's pairs instead. So entries of a candle wait until every pair whose producer is
behind (not stale) has its analysis of that candle, for at most a quarter of a candle
after it closed (freqtrade warns when a bot's analysis takes longer than that). Bot thread
only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from freqfleet.strategy.consumer_report import iso
from freqfleet.strategy.merge import MergedEntry

logger = logging.getLogger("freqfleet.strategy.consumer")
"""The consumer's logger: its lines read as they did when this was part of it."""

ENTRY_WAIT_FRACTION = 0.25
"""How long after a candle closed entries wait for producers still behind, in candles."""


class EntryWait:
    """Whether the loop may take new entries, and the pairs whose rows it waits for."""

    def __init__(self, max_signal_age: int) -> None:
        self.max_signal_age = max_signal_age
        self.open = True
        self.awaited: set[str] = set()
        self._logged: int | None = None

    def update(
        self, entries: Iterable[MergedEntry | None], pairs: list[str], candle_ns: int
    ) -> bool:
        """Decide from the pairs' merged entries (in ``pairs`` order); sets ``open`` and
        ``awaited``."""
        behind: list[MergedEntry] = []
        awaited: set[str] = set()
        newest = 0
        for pair, entry in zip(pairs, entries, strict=True):
            if entry is None or entry.lag is None:
                continue
            newest = max(newest, entry.key[0])
            if 0 < entry.lag <= self.max_signal_age:
                behind.append(entry)
                awaited.add(pair)
        self.awaited = awaited
        self.open = not behind or self._waited_enough(behind, newest, candle_ns)
        return self.open

    def _waited_enough(self, behind: list[MergedEntry], newest: int, candle_ns: int) -> bool:
        closed_ns = newest + candle_ns
        waited = time.time_ns() - closed_ns
        if waited < ENTRY_WAIT_FRACTION * candle_ns:
            return False
        if self._logged != newest:
            self._logged = newest
            late = sorted({entry.producer for entry in behind if entry.producer})
            logger.warning(
                "Fleet: entries of the candle closed at %s taken after %.0f s without the "
                "analysis of %d pair(s) from %s",
                iso(closed_ns),
                waited / 1e9,
                len(behind),
                ", ".join(late),
            )
        return True


__all__ = ["ENTRY_WAIT_FRACTION", "EntryWait"]
