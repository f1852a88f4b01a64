"""A pair's next merged entry, from what the consumer holds and the producer sent.

Pure: the consumer stores what these return and hands freqtrade the frame when it is new.
A pair's frame only moves forward with the producer's analysis of the newest closed
candle; until then the previous complete frame stays (what a plain bot holds while it
analyses) and carries the lag that keeps new entries off it.
"""

from __future__ import annotations

from typing import Any

from pandas import DataFrame

from freqfleet.strategy.merge import MergedEntry, merge_producer_frame
from freqfleet.strategy.routing import ProducerData, newest_candle


def _kept(
    cached: MergedEntry | None, key: tuple[Any, ...], name: str | None, newest: int, lag: int
) -> MergedEntry | None:
    """The cached entry, re-keyed, when a candle closed that its producer (the same one,
    at the same newest candle) has not analysed yet."""
    if (
        cached is None
        or cached.producer is None
        or cached.producer != name
        or cached.producer_newest != newest
        or lag <= 0
    ):
        return None
    cached.key = key
    cached.lag = lag
    return cached


def producer_entry(
    key: tuple[Any, ...],
    name: str | None,
    data: ProducerData,
    closed_ns: int,
    candle_ns: int,
    cached: MergedEntry | None,
) -> MergedEntry | None:
    """With the candles from the producers: the producer's frame is the pair's candles and
    analysis (nothing to merge); its lag counted from the candle the clock says closed
    (``closed_ns``). None: the frame has no dates."""
    newest = newest_candle(data[0])
    if newest is None:
        return None
    lag = (closed_ns - newest) // candle_ns
    kept = _kept(cached, key, name, newest, lag)
    if kept is not None:
        return kept
    # A shallow copy: a callback writing into its frame leaves the producer's alone.
    return MergedEntry(key, data[0].copy(deep=False), name, newest, lag)


def merged_entry(
    candles: DataFrame,
    key: tuple[Any, ...],
    name: str | None,
    data: ProducerData | None,
    consumer_newest: int,
    candle_ns: int,
    cached: MergedEntry | None,
) -> MergedEntry:
    """With the consumer's own candles: the producer's columns merged onto them by date."""
    newest = None if data is None else newest_candle(data[0])
    if data is None or newest is None:
        # No producer data: the consumer's candles alone. No callback reads them (see
        # callbacks.py) and they carry no signal.
        return MergedEntry(key, candles.copy(), None, None, None)
    lag = (consumer_newest - newest) // candle_ns
    kept = _kept(cached, key, name, newest, lag)
    if kept is not None:
        return kept
    frame = merge_producer_frame(candles, data[0])
    if frame.empty:
        return MergedEntry(key, candles.copy(), None, None, None)
    return MergedEntry(key, frame, name, newest, lag)


__all__ = ["merged_entry", "producer_entry"]
