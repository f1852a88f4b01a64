"""The sample strategies freqfleet ships, loaded by freqtrade."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
