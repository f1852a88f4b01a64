"""How fresh each pair's producer data is, said once per change in the bot's log.

Why a record per pair: the consumer analyses every pair on every loop (about once a
second); a line per loop would bury the log, so a pair's state (fresh, stale, missing) is
logged when it changes, and the callbacks that got freqtrade's neutral answers while a
pair had no data are named once, and again when its data arrives. Bot thread only.
"""

from __future__ import annotations

import logging

from freqfleet.fleet_state import Freshness
from freqfleet.strategy.merge import MergedEntry

logger = logging.getLogger("freqfleet.strategy.consumer")
"""The consumer's logger: its lines read as they did when this was part of it."""


class FreshnessLog:
    """Each pair's freshness as last logged, and the callbacks waiting for its data."""

    def __init__(self, max_signal_age: int) -> None:
        self.max_signal_age = max_signal_age
        self._states: dict[str, Freshness] = {}
        self._waiting_callbacks: dict[str, set[str]] = {}

    def of(self, entry: MergedEntry) -> Freshness:
        if entry.lag is None:
            return Freshness.MISSING
        if entry.lag > self.max_signal_age:
            return Freshness.STALE
        return Freshness.FRESH

    def note(self, pair: str, entry: MergedEntry) -> None:
        """Log the pair's freshness when it changed."""
        state = self.of(entry)
        previous = self._states.get(pair)
        if previous == state:
            return
        self._states[pair] = state
        if state == Freshness.MISSING:
            logger.info("Fleet: no producer data for %s yet; no entries on it", pair)
        elif state == Freshness.STALE:
            logger.warning(
                "Fleet: %s data for %s is %d candles old (fleet.max_signal_age %d); "
                "no entries on it until it is fresh",
                entry.producer,
                pair,
                entry.lag,
                self.max_signal_age,
            )
        elif previous == Freshness.STALE:
            logger.info("Fleet: %s data for %s is fresh again", entry.producer, pair)
        if state != Freshness.MISSING and self._waiting_callbacks.pop(pair, set()):
            logger.info("Fleet: producer data for %s arrived; its callbacks run again", pair)

    def callback_skipped(self, pair: str, callback: str) -> None:
        """Log once per pair (until data arrives) that callbacks get neutral answers."""
        waiting = self._waiting_callbacks.setdefault(pair, set())
        if not waiting:
            logger.info(
                "Fleet: no producer data for %s yet; its callbacks (%s, ...) get "
                "freqtrade's neutral answers until it arrives",
                pair,
                callback,
            )
        waiting.add(callback)

    def forget(self, keep: set[str]) -> None:
        """Drop the pairs the bot no longer trades."""
        for pair in [p for p in self._states if p not in keep]:
            del self._states[pair]


__all__ = ["FreshnessLog"]
