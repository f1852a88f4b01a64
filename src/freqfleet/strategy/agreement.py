"""Whether the producers of a pair agree on its decisions, candle by candle.

Why: with ``fleet.redundancy`` above 1 several producers analyse each pair, and the
consumer acts on the first analysis of a candle that arrives. Producers running another
strategy version (a file edited on one host, a producer started before a plan rewrote
it) would make the consumer's decisions depend on which producer happened to be first.
So every later producer's analysis of a candle is compared with the first one's on the
columns decisions are made of; a difference is counted per producer and column and
logged once per producer and column (a log line per candle would bury the log).

Runs on freqtrade's message thread, under the consumer's lock, from
:meth:`~freqfleet.strategy.producer_inbox.ProducerInbox.frame_stored`: it compares one row
per arriving frame (the newest) and keeps nothing but counters and, per pair, which
producer delivered the newest candle first.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pandas import DataFrame

from freqfleet.strategy.merge import SIGNAL_COLUMNS, TAG_COLUMNS, epoch_ns, last_date_ns

logger = logging.getLogger("freqfleet.strategy.consumer")
"""The consumer's logger: its lines read as they did when this was part of it."""

DECISION_COLUMNS: tuple[str, ...] = (*SIGNAL_COLUMNS, *TAG_COLUMNS)
"""What entries and exits are decided on: the signals and their tags."""


def _row_of(frame: DataFrame, candle_ns: int) -> int | None:
    """Position of the row of ``candle_ns`` in ``frame`` (usually its last), or None."""
    if frame.empty or "date" not in frame.columns:
        return None
    if last_date_ns(frame) == candle_ns:
        return len(frame) - 1
    dates = epoch_ns(frame["date"].array)
    position = int(np.searchsorted(dates, candle_ns))
    if position < len(dates) and dates[position] == candle_ns:
        return position
    return None


def _normal(column: str, value: Any) -> Any:
    """One value as compared: a signal as a number (missing is 0), a tag as text or None."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if column in TAG_COLUMNS:
        return None if missing or value == "" else str(value)
    if missing:
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _value(frame: DataFrame, row: int, column: str) -> Any:
    if column not in frame.columns:
        return _normal(column, None)
    return _normal(column, frame[column].iat[row])


class Agreement:
    """Per pair the first producer of its newest candle; disagreements counted."""

    def __init__(self, columns: Sequence[str] = DECISION_COLUMNS) -> None:
        self.columns = tuple(columns)
        self._first: dict[str, tuple[int, str]] = {}
        self.compared = 0
        """Rows compared with the first producer's row of the same candle."""
        self.counts: dict[str, dict[str, int]] = {}
        """Producer -> column -> candles it disagreed on."""
        self.pair_counts: dict[str, dict[str, int]] = {}
        """Pair -> producer -> candles it disagreed on (any column)."""
        self._logged: set[tuple[str, str]] = set()

    def check(
        self,
        producer: str,
        pair: str,
        frame: DataFrame,
        frames: Mapping[str, Mapping[str, tuple[DataFrame, Any]]],
    ) -> list[str]:
        """Compare ``frame``'s newest row with the first producer's analysis of the same
        candle (``frames``: producer -> pair -> stored data); the columns that differ."""
        if frame.empty or "date" not in frame.columns:
            return []
        candle = last_date_ns(frame)
        first = self._first.get(pair)
        if first is None or first[0] < candle:
            self._first[pair] = (candle, producer)
            return []
        if first[0] != candle or first[1] == producer:
            return []
        stored = frames.get(first[1], {}).get(pair)
        if stored is None:
            return []
        row = _row_of(stored[0], candle)
        if row is None:
            return []
        self.compared += 1
        ours = len(frame) - 1
        values = {
            column: (_value(frame, ours, column), _value(stored[0], row, column))
            for column in self.columns
        }
        differing = [column for column, (mine, theirs) in values.items() if mine != theirs]
        for column in differing:
            self._count(producer, pair, column, first[1], values[column])
        if differing:
            per_pair = self.pair_counts.setdefault(pair, {})
            per_pair[producer] = per_pair.get(producer, 0) + 1
        return differing

    def _count(
        self, producer: str, pair: str, column: str, reference: str, values: tuple[Any, Any]
    ) -> None:
        columns = self.counts.setdefault(producer, {})
        columns[column] = columns.get(column, 0) + 1
        if (producer, column) in self._logged:
            return
        self._logged.add((producer, column))
        logger.warning(
            "Fleet: producer %s disagrees with %s on %s of %s (%r against %r); does it run "
            "another version of the strategy? (logged once per producer and column)",
            producer,
            reference,
            column,
            pair,
            *values,
        )

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Producer -> column -> count, a copy."""
        return {name: dict(columns) for name, columns in self.counts.items()}

    def of_pair(self, pair: str) -> dict[str, int]:
        """Producer -> candles of ``pair`` it disagreed on, a copy."""
        return dict(self.pair_counts.get(pair, {}))

    def forget(self, producer: str) -> None:
        """Drop ``producer`` as first deliverer (it left the fleet)."""
        for pair in [p for p, (_, name) in self._first.items() if name == producer]:
            del self._first[pair]


__all__ = ["DECISION_COLUMNS", "Agreement"]
