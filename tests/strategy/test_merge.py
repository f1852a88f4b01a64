"""Merging a producer's frame onto the consumer's candles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from freqfleet.strategy.merge import MergeCache, merge_producer_frame

from .fleet_support import candles


def _producer(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["close"] = out["close"] * 1.01  # the producer's own candles differ slightly
    out["indicator"] = np.arange(len(out), dtype=float)
    out["enter_long"] = (np.arange(len(out)) % 3 == 0).astype(int)
    out["exit_long"] = (np.arange(len(out)) % 4 == 0).astype(int)
    out["enter_tag"] = np.where(out["enter_long"] == 1, "tag", "")
    out["exit_tag"] = None
    return out


def test_aligned_frames_share_the_producers_data():
    own = candles("ETH/BTC", 100, end=1000)
    producer = _producer(candles("ETH/BTC", 150, end=1000))
    merged = merge_producer_frame(own, producer)
    assert len(merged) == len(own)
    assert (merged["close"] == own["close"]).all()
    assert merged["indicator"].tolist() == list(range(50, 150))
    assert np.shares_memory(merged["indicator"].to_numpy(), producer["indicator"].to_numpy())
    assert merged["enter_tag"].tolist() == producer["enter_tag"].iloc[50:].tolist()
    # Signal columns the producer does not set stay absent: freqtrade reads them as 0.
    assert "enter_short" not in merged.columns and "exit_short" not in merged.columns


def test_rows_the_producer_has_not_analysed_carry_no_signal():
    own = candles("ETH/BTC", 100, end=1000)
    producer = _producer(candles("ETH/BTC", 150, end=997)).drop(index=[120])
    merged = merge_producer_frame(own, producer)
    assert len(merged) == len(own)
    assert merged["date"].tolist() == own["date"].tolist()
    dates = set(producer["date"])
    missing = ~merged["date"].isin(dates)
    assert missing.sum() == 4  # three newest candles and the dropped one
    assert (merged.loc[missing, ["enter_long", "exit_long"]] == 0).all().all()
    assert merged.loc[missing, "enter_tag"].isna().all()
    assert merged.loc[missing, "indicator"].isna().all()
    present = merged[~missing].set_index("date")
    expected = producer.set_index("date").loc[present.index]
    assert (present["enter_long"] == expected["enter_long"]).all()
    assert (present["indicator"] == expected["indicator"]).all()


def test_producer_candles_that_differ_are_replaced_by_the_consumers():
    own = candles("ETH/BTC", 100, end=1000)
    producer = _producer(candles("ETH/BTC", 100, end=1000))
    before = producer["close"].copy()
    merged = merge_producer_frame(own, producer)
    assert (merged["close"] == own["close"]).all() and not (merged["close"] == before).all()
    assert (producer["close"] == before).all()
    assert np.shares_memory(merged["indicator"].to_numpy(), producer["indicator"].to_numpy())


def test_blocked_entries_keep_exits_and_leave_the_producer_frame_alone():
    own = candles("LTC/BTC", 80, end=500)
    producer = _producer(candles("LTC/BTC", 80, end=500))
    merged = merge_producer_frame(own, producer, block_entries=True)
    assert merged["enter_long"].sum() == 0
    assert merged["exit_long"].sum() == producer["exit_long"].sum() > 0
    assert producer["enter_long"].sum() > 0


def test_no_producer_data_gives_the_consumers_candles_without_signals():
    own = candles("ADA/BTC", 50)
    merged = merge_producer_frame(own, None)
    assert merged.equals(own)
    assert not {"enter_long", "exit_long", "enter_short", "exit_short"} & set(merged.columns)


def test_cache_rebuilds_only_on_a_new_key():
    own = candles("ETH/BTC", 60)
    producer = _producer(candles("ETH/BTC", 60))
    cache = MergeCache()
    first = cache.frame("ETH/BTC", own, ("k", 1), "p1", producer, stale=False)
    assert cache.frame("ETH/BTC", own, ("k", 1), "p1", producer, stale=False) is first
    assert cache.builds == 1
    assert cache.frame("ETH/BTC", own, ("k", 2), "p1", producer, stale=True).stale
    assert cache.builds == 2
    cache.forget(set())
    assert cache.get("ETH/BTC") is None
