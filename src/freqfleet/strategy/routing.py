"""Which producer serves which pair, from the producers' (checked) whitelists.

The table is a dict (pair -> producers in config order), rebuilt only when a producer's
whitelist changes, so a lookup costs O(1) on every loop. When several producers serve a
pair, the one whose analysed candle is newer wins; ties go to the first in the config.
A redundant plan's ``routes`` (pair -> producers, first preferred: ``fleet.routes``)
orders a pair's producers by the plan instead of the config; without it, or for a pair it
does not name, the order is the config's, exactly as with one producer per pair.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from pandas import DataFrame

from freqfleet.strategy.merge import last_date_ns

ProducerData = tuple[DataFrame, datetime]


def newest_candle(frame: DataFrame) -> int | None:
    """Date of the newest analysed candle of a producer frame (epoch nanoseconds)."""
    if frame.empty or "date" not in frame.columns:
        return None
    return last_date_ns(frame)


class ProducerRouter:
    """pair -> producers serving it, in config order."""

    def __init__(
        self,
        producer_names: Sequence[str],
        routes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.producer_names = list(producer_names)
        self.routes = {pair: list(order) for pair, order in (routes or {}).items()}
        self._whitelists: dict[str, list[str]] = {}
        self._table: dict[str, tuple[str, ...]] = {}
        self.rebuilds = 0

    def refresh(self, whitelists: Mapping[str, list[str]]) -> bool:
        """Rebuild the table if any whitelist changed; True when it did."""
        changed = False
        for name in self.producer_names:
            new = whitelists.get(name) or []
            old = self._whitelists.get(name)
            if old is None or (new is not old and new != old):
                changed = True
            self._whitelists[name] = new
        if not changed and self.rebuilds:
            return False
        table: dict[str, list[str]] = {}
        for name in self.producer_names:
            for pair in self._whitelists.get(name) or []:
                serving = table.setdefault(pair, [])
                if name not in serving:
                    serving.append(name)
        self._table = {pair: self._ordered(pair, names) for pair, names in table.items()}
        self.rebuilds += 1
        return True

    def _ordered(self, pair: str, serving: list[str]) -> tuple[str, ...]:
        """``serving`` in the plan's order for ``pair`` (others after it, in config order)."""
        order = self.routes.get(pair)
        if not order:
            return tuple(serving)
        rank = {name: index for index, name in enumerate(order)}
        return tuple(sorted(serving, key=lambda name: rank.get(name, len(order))))

    def producers_for(self, pair: str) -> tuple[str, ...]:
        """Producers whose whitelist holds ``pair`` (the plan's order, else config order)."""
        return self._table.get(pair, ())

    def served(self) -> frozenset[str]:
        """Every pair some producer's whitelist holds."""
        return frozenset(self._table)

    def pair_counts(self) -> dict[str, int]:
        return {name: len(self._whitelists.get(name) or []) for name in self.producer_names}

    def choose(
        self, pair: str, lookup: Callable[[str], ProducerData | None]
    ) -> tuple[str | None, ProducerData | None]:
        """The producer (and its data) to use for ``pair``.

        Routed producers first; a pair no whitelist holds (an open trade on a pair that
        left the list) falls back to any producer still holding data for it.
        """
        candidates = self._table.get(pair) or self.producer_names
        if len(candidates) == 1:
            data = lookup(candidates[0])
            return (candidates[0], data) if data is not None else (None, None)
        best_name: str | None = None
        best: ProducerData | None = None
        best_newest = None
        for name in candidates:
            data = lookup(name)
            if data is None:
                continue
            newest = newest_candle(data[0])
            if best is None or (
                newest is not None and (best_newest is None or newest > best_newest)
            ):
                best_name, best, best_newest = name, data, newest
        return best_name, best


__all__ = ["ProducerData", "ProducerRouter", "newest_candle"]
