"""Redundant producers on a real consumer strategy fed through freqtrade's own message
handling: the plan's route order breaks ties, the fresh and planned producers of each
pair are reported, and a producer whose decisions differ from the first one's analysis of
the same candle is counted per column and logged once per column."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from freqfleet.strategy.agreement import DECISION_COLUMNS, Agreement
from tests.kit.fleet_strategy import (
    bot_config,
    candles,
    consumer_analyze,
    load_strategy,
    produce,
    producer_feed,
)

PAIR = "ETH/BTC"


def flipped(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its newest row's long entry signal inverted and another tag."""
    changed = frame.copy()
    newest = changed["enter_long"].iat[-1]
    changed.loc[changed.index[-1], "enter_long"] = 0 if newest == 1 else 1
    changed.loc[changed.index[-1], "enter_tag"] = "other version"
    return changed


def test_routes_order_ties_fresh_producers_and_disagreements(
    user_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    fleet = {"routes": {PAIR: ["p2", "p1"]}}
    config = bot_config(user_data, "FleetSampleStrategy", ["p1", "p2"], fleet=fleet)
    consumer = load_strategy(config)
    caplog.set_level(logging.INFO)
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        for name in ("p1", "p2"):
            feed.whitelist(name, [PAIR])
        frame = produce(producer, PAIR, candles(PAIR, 200, end=3000))
        feed.analyzed("p1", PAIR, frame)
        feed.analyzed("p2", PAIR, frame)
        consumer_analyze(consumer, PAIR, candles(PAIR, 100, end=3000))
        report = consumer.fleet_consumer.report()
        # Same candle from both: the plan's first producer of the pair, not the config's.
        assert report.pairs[PAIR].producer == "p2"
        assert (report.pairs[PAIR].fresh_producers, report.pairs[PAIR].planned_producers) == (
            2,
            2,
        )
        assert report.producers["p1"].disagreements == {}
        # Two later candles: p1 first each time, p2 with other decisions.
        for end in (3001, 3002):
            frame = produce(producer, PAIR, candles(PAIR, 200, end=end))
            feed.analyzed("p1", PAIR, frame)
            feed.analyzed("p2", PAIR, flipped(frame))
        consumer_analyze(consumer, PAIR, candles(PAIR, 100, end=3002))
        # p2 stops; the consumer's candles move on by two: only p1's analysis is fresh.
        frame = produce(producer, PAIR, candles(PAIR, 200, end=3004))
        feed.analyzed("p1", PAIR, frame)
        consumer_analyze(consumer, PAIR, candles(PAIR, 100, end=3004))
        consumer.fleet_consumer.write_state(force=True)
    state = json.loads((user_data / "fleet-state.json").read_text())
    assert state["producers"]["p2"]["disagreements"] == {"enter_long": 2, "enter_tag": 2}
    assert "disagreements" not in state["producers"]["p1"]
    pair = state["pairs"][PAIR]
    assert pair["producer"] == "p1"
    assert (pair["fresh_producers"], pair["planned_producers"]) == (1, 2)
    assert pair["disagreements"] == {"p2": 2}
    lines = [r.getMessage() for r in caplog.records if "disagrees with p1" in r.getMessage()]
    assert len(lines) == 2  # one per column, not one per candle
    assert any("enter_long of ETH/BTC" in line for line in lines)


def test_missing_values_compare_as_no_signal_and_no_tag() -> None:
    dates = pd.date_range("2026-01-01", periods=2, freq="5min", tz="UTC")
    first = pd.DataFrame({"date": dates, "enter_long": [0, float("nan")], "enter_tag": ["", None]})
    later = pd.DataFrame({"date": dates, "enter_tag": [None, float("nan")]})
    agreement = Agreement()
    frames: dict[str, dict[str, tuple[pd.DataFrame, None]]] = {}
    assert agreement.check("a", PAIR, first, frames) == []  # the first of its candle
    frames["a"] = {PAIR: (first, None)}
    assert agreement.check("b", PAIR, later, frames) == []
    assert agreement.compared == 1
    shifted = later.iloc[:1].assign(enter_long=[1])  # an older candle than a's newest
    assert agreement.check("b", PAIR, shifted, frames) == []
    assert agreement.compared == 1
    assert set(DECISION_COLUMNS) >= {"enter_long", "exit_short", "enter_tag", "exit_tag"}
