"""A pair's next entry: kept while a closed candle waits for its producer's analysis,
replaced when the analysis arrives; the producer's frame is never written through."""

from __future__ import annotations

import pandas as pd

from freqfleet.strategy.merge import epoch_ns
from freqfleet.strategy.pair_entry import merged_entry, producer_entry

CANDLE_NS = 300 * 10**9


def frame(rows: int) -> pd.DataFrame:
    dates = pd.date_range("2026-01-01", periods=rows, freq="5min", tz="UTC")
    return pd.DataFrame({"date": dates, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0,
                         "volume": 1.0, "enter_long": 0})  # fmt: skip


def newest_ns(data: pd.DataFrame) -> int:
    return int(epoch_ns(data["date"].array)[-1])


def test_producer_frame_lag_is_counted_from_the_clock_and_kept_until_it_moves():
    first = frame(10)
    closed = newest_ns(first)
    entry = producer_entry(("k1",), "p1", (first, None), closed, CANDLE_NS, None)
    assert entry is not None and entry.lag == 0 and entry.producer == "p1"
    # The next candle closes, the producer has not analysed it: the same entry, lag 1.
    kept = producer_entry(("k2",), "p1", (first, None), closed + CANDLE_NS, CANDLE_NS, entry)
    assert kept is entry and kept.lag == 1 and kept.key == ("k2",)
    # Its analysis arrives: a new entry on the producer's new frame.
    second = frame(11)
    moved = producer_entry(("k3",), "p1", (second, None), closed + CANDLE_NS, CANDLE_NS, entry)
    assert moved is not entry and moved.lag == 0 and len(moved.frame) == 11
    moved.frame["enter_long"] = 1  # a callback writing into its frame ...
    assert second["enter_long"].sum() == 0  # ... leaves the producer's alone
    assert producer_entry(("k4",), "p1", (frame(0), None), closed, CANDLE_NS, None) is None


def test_merged_entry_without_producer_data_is_the_consumers_candles_alone():
    candles = frame(5)
    entry = merged_entry(candles, ("k",), None, None, newest_ns(candles), CANDLE_NS, None)
    assert entry.producer is None and entry.lag is None
    pd.testing.assert_frame_equal(entry.frame, candles)
    assert entry.frame is not candles
    producer = frame(5)
    producer["rsi"] = 40.0
    merged = merged_entry(candles, ("k",), "p1", (producer, None), newest_ns(candles),
                          CANDLE_NS, None)  # fmt: skip
    assert merged.lag == 0 and merged.frame["rsi"].iat[-1] == 40.0
