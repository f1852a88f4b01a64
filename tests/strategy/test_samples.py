"""The sample strategies freqfleet ships, loaded by freqtrade."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from freqfleet.errors import StrategySetupError
from tests.kit.fleet_strategy import (
    bot_config,
    candles,
    consumer_analyze,
    load_strategy,
    produce,
    producer_feed,
    signals_of,
)


def test_dummy_consumer_follows_producer_signals(user_data: Path):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "DummyConsumerStrategy", ["p1"])
    consumer = load_strategy(config)
    pair = "TRX/BTC" if False else "ETH/BTC"
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", [pair])
        frame = produce(producer, pair, candles(pair, 300))
        feed.analyzed("p1", pair, frame)
        merged = consumer_analyze(consumer, pair, candles(pair, 300))
        pd.testing.assert_frame_equal(signals_of(merged), signals_of(frame))


def test_the_sample_strategy_signals_ema_crossings_with_tags(user_data: Path):
    strategy = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    assert strategy.fleet_role == "producer"
    frame = produce(strategy, "ETH/BTC", candles("ETH/BTC", 500))
    fast_above = frame["ema_fast"] > frame["ema_slow"]
    crossed_up = fast_above & ~fast_above.shift(1, fill_value=True)
    entries = frame["enter_long"] == 1
    assert entries.sum() >= 5
    assert (entries == (crossed_up & (frame["volume"] > 0))).all()
    assert set(frame.loc[entries, "enter_tag"]) == {"ema_cross_up"}
    exits = frame["exit_long"] == 1
    assert exits.sum() >= 5 and set(frame.loc[exits, "exit_tag"]) == {"ema_cross_down"}
    assert not (entries & exits).any()


def test_the_dummy_consumer_refuses_to_run_as_anything_else(user_data: Path):
    with pytest.raises(StrategySetupError) as raised:
        load_strategy(bot_config(user_data, "DummyConsumerStrategy"))
    assert "DummyConsumerStrategy only runs as a consumer" in str(raised.value)
