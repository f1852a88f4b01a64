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


def test_the_plans_routes_order_a_pairs_producers_and_break_ties():
    router = ProducerRouter(["a", "b", "c"], routes={"X/USDT": ["c", "a"]})
    router.refresh({"a": ["X/USDT", "Y/USDT"], "b": ["X/USDT", "Y/USDT"], "c": ["X/USDT"]})
    assert router.producers_for("X/USDT") == ("c", "a", "b")  # b: not routed, after the plan's
    assert router.producers_for("Y/USDT") == ("a", "b")  # no route: config order
    same = _data("2024-01-01 00:10")
    assert router.choose("X/USDT", {"a": same, "c": same}.get)[0] == "c"
    assert router.choose("X/USDT", {"a": _data("2024-01-01 00:15"), "c": same}.get)[0] == "a"


def test_without_routes_the_order_is_the_configs():
    plain = ProducerRouter(["b", "a"])
    routed = ProducerRouter(["b", "a"], routes={})
    lists = {"a": ["X/USDT"], "b": ["X/USDT"]}
    plain.refresh(lists)
    routed.refresh(lists)
    assert plain.producers_for("X/USDT") == routed.producers_for("X/USDT") == ("b", "a")
