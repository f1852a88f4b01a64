"""The producer's analysed columns put onto the consumer's own candles, by date.

The consumer's analysed frame of a pair is its own candles (pricing and freqtrade's
checks of the newest candle use them) with the producer's columns under their own names,
and it ends at the newest candle the producer has analysed: never a row that carries the
consumer's candle without the producer's analysis of it.

With pandas' copy-on-write the merged frame shares the producer's column data whenever
the producer's candles line up with the consumer's (the usual case), so a consumer holds
its producers' data about once, not twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas import DataFrame

from freqfleet.compat import column_values

OHLCV_COLUMNS = ("date", "open", "high", "low", "close", "volume")
SIGNAL_COLUMNS = ("enter_long", "exit_long", "enter_short", "exit_short")
ENTRY_COLUMNS = ("enter_long", "enter_short")
TAG_COLUMNS = ("enter_tag", "exit_tag")
_OHLCV = frozenset(OHLCV_COLUMNS)


_NS_PER_UNIT = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


def epoch_ns(dates: Any) -> np.ndarray:
    """Dates as int64 nanoseconds (producer frames may arrive in another unit than ours)."""
    return np.asarray(dates.asi8) * _NS_PER_UNIT[getattr(dates, "unit", "ns")]


def last_date_ns(frame: DataFrame) -> int:
    """The newest date as int nanoseconds, without building a Timestamp (cheap per loop)."""
    dates = column_values(frame, "date")
    return int(dates.asi8[-1]) * _NS_PER_UNIT[getattr(dates, "unit", "ns")]


def _contiguous_start(ours: np.ndarray, theirs: np.ndarray) -> int | None:
    """Row of the producer where a run matching every consumer candle starts, or None."""
    if not len(ours):
        return None
    start = int(np.searchsorted(theirs, ours[0]))
    end = start + len(ours)
    if end > len(theirs) or not np.array_equal(theirs[start:end], ours):
        return None
    return start


def merge_producer_frame(consumer: DataFrame, producer: DataFrame) -> DataFrame:
    """The consumer's candles up to the producer's newest, with the producer's columns.

    The frame ends at the newest candle the producer has analysed: a consumer candle the
    producer has not analysed yet is left out, as a plain bot still holds its previous
    frame while it analyses. An empty frame means no candle of the consumer's is
    analysed. Rows whose date the producer lacks (a gap) carry no signal.
    """
    ours = epoch_ns(column_values(consumer, "date"))
    theirs = epoch_ns(column_values(producer, "date"))
    length = int(np.searchsorted(ours, theirs[-1], side="right"))
    if length < len(ours):
        consumer = consumer.iloc[:length]
        ours = ours[:length]
    if not length:
        return consumer.iloc[:0].reset_index(drop=True)
    start = _contiguous_start(ours, theirs)
    if start is not None:
        # The usual case: one contiguous run of the producer's rows (a view, no copy),
        # with the consumer's candles wherever they differ from the producer's.
        frame = producer.iloc[start : start + length]
        frame.index = pd.RangeIndex(length)
        for column in OHLCV_COLUMNS[1:]:
            values = np.asarray(column_values(consumer, column))
            if column not in frame.columns or not np.array_equal(
                np.asarray(column_values(frame, column)), values
            ):
                frame[column] = values
        return frame
    base = consumer[list(OHLCV_COLUMNS)].reset_index(drop=True)
    extra = [c for c in producer.columns if c not in _OHLCV]
    indexed = producer.drop_duplicates("date", keep="last").set_index("date")[extra]
    part = indexed.reindex(base["date"].to_numpy()).reset_index(drop=True)
    order = [c for c in OHLCV_COLUMNS if c not in producer.columns] + list(producer.columns)
    frame = pd.concat([base, part], axis=1)[order]
    missing = ~base["date"].isin(indexed.index).to_numpy()
    if missing.any():
        for column in SIGNAL_COLUMNS:
            if column in frame.columns:
                frame[column] = frame[column].fillna(0)
        for column in TAG_COLUMNS:
            if column in frame.columns:
                frame[column] = frame[column].astype(object).where(~missing, None)
    return frame


@dataclass
class MergedEntry:
    """A pair's merged frame and what it was built from."""

    key: tuple[Any, ...]
    frame: DataFrame
    producer: str | None
    producer_newest: int | None
    """The producer's newest analysed candle (epoch nanoseconds)."""
    lag: int | None
    """Candles between the consumer's newest candle and the producer's newest analysed
    one (0 or less: the frame ends at the consumer's newest candle); None: no data."""


class MergeCache:
    """Merged frames per pair, rebuilt only when what they were built from changed."""

    def __init__(self) -> None:
        self._entries: dict[str, MergedEntry] = {}
        self.builds = 0

    def get(self, pair: str) -> MergedEntry | None:
        return self._entries.get(pair)

    def store(self, pair: str, entry: MergedEntry) -> MergedEntry:
        self._entries[pair] = entry
        self.builds += 1
        return entry

    def forget(self, keep: set[str]) -> None:
        """Drop frames of pairs no longer analysed."""
        for pair in [p for p in list(self._entries) if p not in keep]:
            del self._entries[pair]

    def pairs(self) -> dict[str, MergedEntry]:
        return self._entries


__all__ = [
    "ENTRY_COLUMNS",
    "OHLCV_COLUMNS",
    "SIGNAL_COLUMNS",
    "TAG_COLUMNS",
    "MergeCache",
    "MergedEntry",
    "epoch_ns",
    "last_date_ns",
    "merge_producer_frame",
]
