"""Merging a producer's frame onto the consumer's candles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from freqfleet.strategy.merge import MergeCache, MergedEntry, merge_producer_frame
from tests.kit.fleet_strategy import candles


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


def test_the_frame_ends_at_the_producers_newest_and_gaps_carry_no_signal():
    own = candles("ETH/BTC", 100, end=1000)
    producer = _producer(candles("ETH/BTC", 150, end=997)).drop(index=[120])
    merged = merge_producer_frame(own, producer)
    # The three consumer candles the producer has not analysed are not in the frame.
    assert merged["date"].tolist() == own["date"].iloc[:-3].tolist()
    assert merged.columns.tolist() == producer.columns.tolist()
    missing = ~merged["date"].isin(set(producer["date"]))
    assert missing.sum() == 1  # the dropped candle
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


def test_a_producer_older_than_every_consumer_candle_gives_an_empty_frame():
    own = candles("ADA/BTC", 50, end=1000)
    producer = _producer(candles("ADA/BTC", 50, end=900))
    assert merge_producer_frame(own, producer).empty


def test_cache_keeps_entries_until_forgotten():
    own = candles("ETH/BTC", 60)
    cache = MergeCache()
    entry = MergedEntry(("k", 1), own, "p1", None, 0)
    assert cache.store("ETH/BTC", entry) is entry and cache.get("ETH/BTC") is entry
    assert cache.builds == 1
    cache.forget({"LTC/BTC"})
    assert cache.get("ETH/BTC") is None
