"""Hostile and broken producer messages: dropped where they arrive, counted, never raised.

Messages go through freqtrade's own handling (``ExternalMessageConsumer``) into a
consumer attached to a real DataProvider, after the websocket's serialiser.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from freqtrade.enums import SignalDirection

from freqfleet.strategy.intake import MAX_ROWS, IntakeRules, pair_problem
from tests.kit.fleet_strategy import (
    bot_config,
    candles,
    consumer_analyze,
    load_strategy,
    produce,
    producer_entry,
    producer_feed,
    recent,
    wire,
)

PAIR = "ETH/BTC"


@pytest.fixture
def fleet(user_data: Path):
    """A consumer of p1 (ETH/BTC, LTC/BTC) and p2 (ADA/BTC) with static shares."""
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(
        user_data,
        "FleetSampleStrategy",
        ["p1", "p2"],
        fleet={"shares": {"p1": ["ETH/BTC", "LTC/BTC"], "p2": ["ADA/BTC"]}},
    )
    consumer = load_strategy(config)
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        yield producer, consumer, feed


def analysed(producer, pair: str = PAIR, rows: int = 200) -> pd.DataFrame:
    return produce(producer, pair, recent(candles(pair, rows, end=3000)))


def rejected(consumer) -> dict:
    return {
        name: counts
        for name, state in consumer.fleet_state()["producers"].items()
        if (counts := state["rejected"])
    }


def test_a_frame_with_a_null_date_is_dropped_and_the_consumer_keeps_running(fleet, tmp_path):
    producer, consumer, feed = fleet
    feed.whitelist("p1", [PAIR])
    good = analysed(producer)
    feed.analyzed("p1", PAIR, good)
    before = consumer_analyze(consumer, PAIR, recent(candles(PAIR, 100, end=3000)))
    bad = good.tail(1).copy()
    bad["date"] = pd.NaT
    feed.analyzed("p1", PAIR, bad)
    after = consumer_analyze(consumer, PAIR, recent(candles(PAIR, 100, end=3000)))
    assert after is before
    assert rejected(consumer) == {"p1": {"dates_missing": 1}}
    consumer.fleet_consumer.write_state(force=True)  # the state file is written as usual
    assert (tmp_path / "user_data" / "fleet-state.json").exists()


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda f: f.assign(date=f["date"] + pd.Timedelta(hours=1)), "dates_in_future"),
        (lambda f: f.iloc[::-1].reset_index(drop=True), "dates_not_increasing"),
        (lambda f: pd.concat([f, f.tail(1)], ignore_index=True), "dates_not_increasing"),
        (lambda f: f.assign(date=f["date"].astype("int64")), "dates_not_datetime"),
        (lambda f: f.drop(columns=["date"]), "malformed"),
    ],
)
def test_frames_with_bad_dates_are_dropped(fleet, spoil, reason):
    producer, consumer, feed = fleet
    feed.whitelist("p1", [PAIR])
    feed.analyzed("p1", PAIR, spoil(analysed(producer)))
    frame = consumer_analyze(consumer, PAIR, recent(candles(PAIR, 100, end=3000)))
    assert not consumer.has_producer_data(PAIR)
    assert consumer.get_entry_signal(PAIR, "5m", frame) == (None, None)
    assert rejected(consumer) == {"p1": {reason: 1}}


def test_another_timeframe_candle_type_or_size_is_dropped(fleet):
    producer, consumer, feed = fleet
    frame = analysed(producer)
    feed.analyzed("p1", PAIR, frame, timeframe="1h")
    message = {"type": "analyzed_df", "data": {"key": [PAIR, "5m", "futures"], "df": frame,
                                               "la": datetime.now(UTC)}}  # fmt: skip
    feed.consumer.handle_producer_message(producer_entry("p1"), wire(message))
    huge = pd.concat([frame] * (MAX_ROWS // len(frame) + 1), ignore_index=True)
    huge["date"] = pd.date_range(end=frame["date"].iat[-1], periods=len(huge), freq="5min")
    feed.analyzed("p1", PAIR, huge)
    assert rejected(consumer) == {"p1": {"timeframe": 1, "futures_on_spot": 1, "too_large": 1}}


def test_a_producer_cannot_take_over_another_producers_pair(fleet):
    producer, consumer, feed = fleet
    feed.whitelist("p1", [PAIR])
    feed.whitelist("p2", ["ADA/BTC", PAIR])  # claims p1's pair ...
    honest = analysed(producer)
    honest.loc[honest.index[-1], ["enter_long", "enter_tag"]] = [0, ""]
    feed.analyzed("p1", PAIR, honest)
    hostile = honest.copy()
    hostile.loc[hostile.index[-1], ["enter_long", "enter_tag"]] = [1, "hostile"]
    hostile["date"] = hostile["date"] + pd.Timedelta(minutes=5)  # ... with a newer candle
    feed.analyzed("p2", PAIR, hostile)
    own = recent(candles(PAIR, 100, end=3000))
    frame = consumer_analyze(consumer, PAIR, own)
    assert consumer.fleet_consumer.serving_producer(PAIR) == "p1"
    assert consumer.get_entry_signal(PAIR, "5m", frame) != (SignalDirection.LONG, "hostile")
    assert rejected(consumer) == {"p2": {"pair_not_in_share": 2}}
    assert consumer.fleet_state()["producers"]["p2"]["pairs"] == 1


def test_a_hostile_whitelist_keeps_only_markets_and_logs_once_a_minute(fleet, caplog):
    _, consumer, feed = fleet
    caplog.set_level(logging.WARNING)
    hostile = ["FOO/BTC", "BTC/EUR", "../../etc", "X" * 5000, "ETH/BTC", "LTC/BTC", "ETH/BTC"]
    for _ in range(50):
        feed.whitelist("p1", hostile)
    consumer_analyze(consumer, PAIR, recent(candles(PAIR, 100, end=3000)))
    assert consumer.fleet_consumer.router.producers_for("ETH/BTC") == ("p1",)
    assert consumer.fleet_consumer.router.pair_counts()["p1"] == 2
    assert feed.dp.get_producer_pairs("p1") == ["ETH/BTC", "LTC/BTC"]
    assert rejected(consumer) == {"p1": {"pair_not_in_share": 50 * 2, "pair_invalid": 50 * 2}}
    warnings = [r.getMessage() for r in caplog.records if r.name.endswith("intake")]
    assert len(warnings) == 2  # one per producer and reason, not per message
    assert all(len(message) < 300 for message in warnings)


def test_without_shares_a_pair_must_be_a_market_in_the_stake_currency(user_data: Path):
    config = bot_config(user_data, "FleetSampleStrategy", ["p1"])
    consumer = load_strategy(config)
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.exchange.markets["BTC/EUR"] = {"symbol": "BTC/EUR", "quote": "EUR"}
        feed.whitelist("p1", ["FOO/BTC", "BTC/EUR", "ETH/BTC"])
        assert feed.dp.get_producer_pairs("p1") == ["ETH/BTC"]
        assert rejected(consumer) == {"p1": {"pair_not_market": 2}}


@pytest.mark.parametrize(
    "payload",
    [
        {"__type__": "dataframe", "__value__": "[1,2",
         "__fleet__": {"version": 1, "dtypes": {}}},
        {"__type__": "dataframe", "__value__": "not json"},  # freqtrade's own encoding
    ],
)  # fmt: skip
def test_a_malformed_frame_is_counted_against_its_producer(fleet, payload):
    _, consumer, feed = fleet
    message = {"type": "analyzed_df",
               "data": {"key": [PAIR, "5m", "spot"], "la": 0, "df": payload}}  # fmt: skip
    feed.consumer.handle_producer_message(producer_entry("p1"), wire(message))
    assert rejected(consumer) == {"p1": {"malformed": 1}}


def test_the_log_names_an_example_of_each_reason(fleet, caplog):
    _, _, feed = fleet
    caplog.set_level(logging.WARNING)
    feed.whitelist("p1", ["ETH/BTC", "BNB/BTC", "../../etc"])
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("intake")]
    assert any("outside the producer's share (e.g. BNB/BTC)" in line for line in lines)
    assert any("not a pair name (e.g. ../../etc)" in line for line in lines)


def test_freshness_counts_candles_of_the_timeframe_the_bot_runs(user_data: Path, caplog):
    """The strategy class says 5m, the config 1m: a lag is counted in 1m candles."""
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["p1"])
    config["timeframe"] = "1m"
    consumer = load_strategy(config)
    assert type(consumer).timeframe == "5m" and consumer.timeframe == "1m"
    caplog.set_level(logging.WARNING)
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        own = candles(PAIR, 200, end=3000)
        newest = pd.Timestamp.now(tz="UTC").floor("1min") - pd.Timedelta(minutes=1)
        own["date"] = pd.date_range(end=newest, periods=len(own), freq="1min")
        frame = produce(producer, PAIR, own.iloc[:-3])
        feed.whitelist("p1", [PAIR])
        feed.analyzed("p1", PAIR, frame, timeframe="1m")
        feed.exchange.set(PAIR, own, timeframe="1m")
        consumer.analyze([PAIR])
        assert consumer.fleet_state()["stale_pairs"] == [PAIR]
        assert any("is 3 candles old" in r.getMessage() for r in caplog.records)


def test_freqtrades_complaints_about_a_producer_are_logged_once_a_minute(fleet, caplog):
    _, _, feed = fleet
    caplog.set_level(logging.INFO)
    for _ in range(30):  # not a list of strings: freqtrade's own schema check refuses it
        feed.consumer.handle_producer_message(
            producer_entry("p1"), {"type": "whitelist", "data": [1, 2, 3]}
        )
    complaints = [r for r in caplog.records if "Invalid message from `p1`" in r.getMessage()]
    assert len(complaints) == 1


@pytest.mark.parametrize("pair", ["BTC/USDT\n", "BTC/USDT\nETH/USDT", "BTC/USDT:USDT\n", "BTC"])
def test_a_pair_name_with_a_line_break_or_no_quote_is_invalid(pair):
    rules = IntakeRules(timeframe="5m", candle_type="spot", candle_ns=300 * 10**9)
    assert pair_problem(rules, "producer-1", pair) == "pair_invalid"
    assert pair_problem(rules, "producer-1", "BTC/USDT") is None
