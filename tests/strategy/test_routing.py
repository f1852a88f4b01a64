"""Routing pairs to producers."""

from __future__ import annotations

import pandas as pd

from freqfleet.strategy.routing import ProducerRouter


def _data(newest: str) -> tuple[pd.DataFrame, pd.Timestamp]:
    dates = pd.date_range(end=newest, periods=3, freq="5min", tz="UTC")
    return pd.DataFrame({"date": dates, "close": [1.0, 2.0, 3.0]}), pd.Timestamp(newest, tz="UTC")


def test_table_rebuilt_only_when_a_whitelist_changes():
    router = ProducerRouter(["a", "b"])
    lists = {"a": ["X/USDT", "Y/USDT"], "b": ["Z/USDT"]}
    assert router.refresh(lists)
    assert not router.refresh(lists)
    assert not router.refresh({"a": ["X/USDT", "Y/USDT"], "b": ["Z/USDT"]})
    assert router.rebuilds == 1
    assert router.producers_for("Y/USDT") == ("a",)
    assert router.refresh({"a": ["X/USDT"], "b": ["Z/USDT", "Y/USDT"]})
    assert router.producers_for("Y/USDT") == ("b",)
    assert router.producers_for("Q/USDT") == ()
    assert router.pair_counts() == {"a": 1, "b": 2}


def test_newer_candle_wins_and_ties_go_to_the_first_producer():
    router = ProducerRouter(["a", "b", "c"])
    router.refresh({"a": ["X/USDT"], "b": ["X/USDT"], "c": []})
    data = {"a": _data("2024-01-01 00:05"), "b": _data("2024-01-01 00:10")}
    assert router.choose("X/USDT", data.get)[0] == "b"
    data["a"] = _data("2024-01-01 00:10")
    assert router.choose("X/USDT", data.get)[0] == "a"
    assert router.choose("X/USDT", {}.get) == (None, None)


def test_a_pair_no_whitelist_holds_falls_back_to_any_producer_with_data():
    router = ProducerRouter(["a", "b"])
    router.refresh({"a": ["X/USDT"], "b": []})
    assert router.choose("OLD/USDT", {"b": _data("2024-01-01")}.get)[0] == "b"
