"""The producer's analysed columns put onto the consumer's own candles, by date.

freqtrade validates what a strategy returns against the consumer's own candles (same
length, last date and last close), so a consumer cannot hand back a producer's frame as
it is. The merged frame keeps the consumer's OHLCV and the producer's other columns under
their own names. Rows the producer has not analysed carry no entry and no exit signal.

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

OHLCV_COLUMNS = ("date", "open", "high", "low", "close", "volume")
SIGNAL_COLUMNS = ("enter_long", "exit_long", "enter_short", "exit_short")
ENTRY_COLUMNS = ("enter_long", "enter_short")
TAG_COLUMNS = ("enter_tag", "exit_tag")
_OHLCV = frozenset(OHLCV_COLUMNS)


_NS_PER_UNIT = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


def column_values(frame: DataFrame, name: str) -> Any:
    """A column's values without building a Series (the per-loop path reads a few).

    Uses pandas' internal column accessor when it exists (a few microseconds instead of
    about ten for ``frame[name]``), else the public one.
    """
    getter = getattr(frame, "_get_column_array", None)
    if getter is not None:
        location = frame.columns.get_loc(name)
        if isinstance(location, int):
            return getter(location)
    return frame[name].array


def _epoch_ns(dates: Any) -> np.ndarray:
    """Dates as int64 nanoseconds (producer frames arrive in another unit than ours)."""
    return np.asarray(dates.asi8) * _NS_PER_UNIT[getattr(dates, "unit", "ns")]


def last_date_ns(frame: DataFrame) -> int:
    """The newest date as int nanoseconds, without building a Timestamp (cheap per loop)."""
    dates = column_values(frame, "date")
    return int(dates.asi8[-1]) * _NS_PER_UNIT[getattr(dates, "unit", "ns")]


def _contiguous_start(consumer_dates: Any, producer_dates: Any) -> int | None:
    """Row of the producer where a run matching every consumer candle starts, or None."""
    ours = _epoch_ns(consumer_dates)
    theirs = _epoch_ns(producer_dates)
    if not len(ours):
        return None
    start = int(np.searchsorted(theirs, ours[0]))
    end = start + len(ours)
    if end > len(theirs) or not np.array_equal(theirs[start:end], ours):
        return None
    return start


def merge_producer_frame(
    consumer: DataFrame, producer: DataFrame | None, *, block_entries: bool = False
) -> DataFrame:
    """The consumer's candles with the producer's columns, matched by date.

    ``block_entries`` clears every entry signal (stale or missing producer data). Signal
    columns the producer does not set are left out, as freqtrade reads a missing signal
    column as "no signal".
    """
    if producer is None or producer.empty or "date" not in producer.columns:
        return consumer.reset_index(drop=True)
    length = len(consumer)
    start = _contiguous_start(column_values(consumer, "date"), column_values(producer, "date"))
    if start is not None:
        # The usual case: one contiguous run of the producer's rows (a view, no copy),
        # with the consumer's candles wherever they differ from the producer's.
        frame = producer.iloc[start : start + length]
        frame.index = pd.RangeIndex(length)
        for column in OHLCV_COLUMNS[1:]:
            ours = np.asarray(column_values(consumer, column))
            if column not in frame.columns or not np.array_equal(
                np.asarray(column_values(frame, column)), ours
            ):
                frame[column] = ours
    else:
        base = consumer[list(OHLCV_COLUMNS)].reset_index(drop=True)
        extra = [c for c in producer.columns if c not in _OHLCV]
        indexed = producer.drop_duplicates("date", keep="last").set_index("date")[extra]
        part = indexed.reindex(base["date"].to_numpy()).reset_index(drop=True)
        frame = pd.concat([base, part], axis=1)
        missing = ~base["date"].isin(indexed.index).to_numpy()
        if missing.any():
            for column in SIGNAL_COLUMNS:
                if column in frame.columns:
                    frame[column] = frame[column].fillna(0)
            for column in TAG_COLUMNS:
                if column in frame.columns:
                    frame[column] = frame[column].astype(object).where(~missing, None)
    if block_entries:
        for column in ENTRY_COLUMNS:
            if column in frame.columns:
                frame[column] = 0
    return frame


@dataclass
class MergedEntry:
    """A pair's merged frame and what it was built from."""

    key: tuple[Any, ...]
    frame: DataFrame
    producer: str | None
    producer_newest: int | None
    """The producer's newest analysed candle (epoch nanoseconds)."""
    stale: bool


class MergeCache:
    """Merged frames per pair, rebuilt only when what they were built from changed."""

    def __init__(self) -> None:
        self._entries: dict[str, MergedEntry] = {}
        self.builds = 0

    def get(self, pair: str) -> MergedEntry | None:
        return self._entries.get(pair)

    def frame(
        self,
        pair: str,
        consumer: DataFrame,
        key: tuple[Any, ...],
        producer_name: str | None,
        producer: DataFrame | None,
        *,
        stale: bool,
        producer_newest: int | None = None,
    ) -> MergedEntry:
        """The cached entry when ``key`` is unchanged, else a freshly merged one."""
        entry = self._entries.get(pair)
        if entry is not None and entry.key == key:
            return entry
        frame = merge_producer_frame(consumer, producer, block_entries=stale)
        entry = MergedEntry(key, frame, producer_name, producer_newest, stale)
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
    "last_date_ns",
    "merge_producer_frame",
]
