"""The consumer's report: what ``fleet-state.json`` says after real producer messages, and
dates out of range."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from freqfleet.strategy.consumer_report import iso, moment
from tests.kit.fleet_strategy import (
    bot_config,
    candles,
    consumer_analyze,
    load_strategy,
    produce,
    producer_feed,
)


def test_state_file(user_data: Path):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["p1", "p2"], fleet={"max_signal_age": 2})
    consumer = load_strategy(config)
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", ["ETH/BTC"])
        frame = produce(producer, "ETH/BTC", candles("ETH/BTC", 200, end=3000))
        feed.analyzed("p1", "ETH/BTC", frame)
        consumer_analyze(consumer, "ETH/BTC", candles("ETH/BTC", 100, end=3000))
        consumer_analyze(consumer, "LTC/BTC", candles("LTC/BTC", 100, end=3000))
        consumer.fleet_consumer.write_state(force=True)
    state = json.loads((user_data / "fleet-state.json").read_text())
    assert state["role"] == "consumer" and state["timeframe"] == "5m"
    assert state["max_signal_age"] == 2
    newest = frame["date"].iat[-1]
    pair = state["pairs"]["ETH/BTC"]
    assert pair["producer"] == "p1" and pair["lag"] == 0
    assert pair["newest_candle"] == newest.isoformat()
    analyzed = datetime.fromisoformat(pair["analyzed"])
    took = state["producers"]["p1"].pop("analysis_secs")
    assert took == round((analyzed - (newest + timedelta(minutes=5))).total_seconds(), 3)
    assert state["producers"]["p1"] == {
        "pairs": 1,
        "newest_candle": newest.isoformat(),
        "rejected": {},
    }
    assert state["pairs"]["LTC/BTC"]["producer"] is None
    assert state["waiting_pairs"] == []
    assert state["producers"]["p2"] == {
        "pairs": 0,
        "newest_candle": None,
        "rejected": {},
    }
    assert state["unrouted_pairs"] == ["LTC/BTC"] and state["missing_pairs"] == ["LTC/BTC"]
    assert state["stale_pairs"] == []
    assert state["follow"] == {}
    assert datetime.fromisoformat(state["updated"]).tzinfo is not None


def test_dates_out_of_range_give_none() -> None:
    assert moment(None) is None and iso(None) is None
    assert moment(10**30) is None and iso(10**30) is None
    assert moment(1_500_000_000 * 10**9) == datetime(2017, 7, 14, 2, 40, tzinfo=UTC)
    assert iso(1_500_000_000 * 10**9) == "2017-07-14T02:40:00+00:00"
