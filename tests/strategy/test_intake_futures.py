"""Intake on futures: a futures consumer keeps ``futures`` frames of swaps settled in its
stake currency; spot data on a futures consumer and futures data on a spot consumer are
dropped with their own counted reasons.

Messages go through the websocket's serialiser into freqtrade's own handling
(``ExternalMessageConsumer``) into a consumer attached to a real DataProvider.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from freqtrade.enums import CandleType, SignalDirection

from freqfleet.fleet_state import parse_fleet_state
from freqfleet.strategy.intake import REJECT_REASONS, IntakeRules, pair_problem
from tests.kit.fleet_strategy import (
    bot_config,
    candles,
    consumer_analyze,
    load_strategy,
    market_of,
    produce,
    producer_feed,
    recent,
)

SWAP = "ETH/USDT:USDT"
SOURCE = "ETH/BTC"  # the recorded candles behind the swap


def futures_config(user_data: Path, producers: list[str] | None = None) -> dict[str, Any]:
    config = bot_config(user_data, "FleetFuturesSampleStrategy", producers)
    config.update(
        stake_currency="USDT",
        stake_amount=100.0,
        trading_mode="futures",
        margin_mode="isolated",
        candle_type_def=CandleType.FUTURES,
    )
    config["exchange"]["pair_whitelist"] = [SWAP, "LTC/USDT:USDT"]
    return config


@pytest.fixture
def futures_fleet(user_data: Path):
    """A plain futures bot (also the producer) and a futures consumer of p1."""
    plain = load_strategy(futures_config(user_data))
    config = futures_config(user_data, ["p1"])
    consumer = load_strategy(config)
    with producer_feed(config) as feed:
        feed.exchange.markets.update(
            {pair: market_of(pair) for pair in ("ETH/USDT", "ETH/BTC:BTC", "BTC/USDT:USDT")}
        )
        consumer.dp = feed.dp
        yield plain, consumer, feed


def own_candles(end: int) -> pd.DataFrame:
    return recent(candles(SOURCE, 100, end=end))


def rejected(consumer: Any) -> dict[str, dict[str, int]]:
    return {
        name: counts
        for name, state in consumer.fleet_state()["producers"].items()
        if (counts := state["rejected"])
    }


def _first_short(plain: Any) -> int:
    """A row of the recording where the sample strategy enters short on the last candle."""
    for end in range(3000, 3400):
        frame = produce(plain, SWAP, own_candles(end))
        if frame["enter_short"].iat[-1] == 1:
            return end
    raise AssertionError("the sample never shorts")


def test_a_futures_consumer_takes_a_swaps_short_signal_tag_and_leverage(futures_fleet):
    plain, consumer, feed = futures_fleet
    assert consumer.fleet_role == "consumer" and consumer.can_short
    end = _first_short(plain)
    produced = produce(plain, SWAP, own_candles(end))
    feed.whitelist("p1", [SWAP])
    feed.analyzed("p1", SWAP, produced, candle_type="futures")
    frame = consumer_analyze(consumer, SWAP, own_candles(end))
    assert rejected(consumer) == {}
    signal = consumer.get_entry_signal(SWAP, "5m", frame)
    assert signal == plain.get_entry_signal(SWAP, "5m", produced)
    assert signal == (SignalDirection.SHORT, "ema_cross_down")
    arguments = {
        "pair": SWAP,
        "current_time": datetime.now(UTC),
        "current_rate": float(frame["close"].iat[-1]),
        "proposed_leverage": 1.0,
        "max_leverage": 20.0,
        "entry_tag": signal[1],
        "side": "short",
    }
    assert consumer.leverage(**arguments) == plain.leverage(**arguments) == 3.0


def test_spot_data_on_a_futures_consumer_is_dropped_and_counted(futures_fleet, tmp_path):
    plain, consumer, feed = futures_fleet
    feed.whitelist("p1", [SWAP, "ETH/USDT", "ETH/BTC:BTC", "FOO/USDT:USDT"])
    assert feed.dp.get_producer_pairs("p1") == [SWAP]
    feed.analyzed("p1", SWAP, produce(plain, SWAP, own_candles(3000)))  # a spot producer
    consumer_analyze(consumer, SWAP, own_candles(3000))
    assert not consumer.has_producer_data(SWAP)
    expected = {"spot_on_futures": 2, "pair_not_market": 2}
    assert rejected(consumer) == {"p1": expected}
    # The counts reach the state file that `freqfleet status` reads.
    consumer.fleet_consumer.write_state(force=True)
    state = parse_fleet_state((tmp_path / "user_data" / "fleet-state.json").read_text())
    assert dict(state.producers["p1"].rejected) == expected
    assert "spot" in REJECT_REASONS["spot_on_futures"]


def test_futures_data_on_a_spot_consumer_is_dropped_and_counted(user_data: Path):
    config = bot_config(user_data, "FleetSampleStrategy", ["p1"])
    consumer = load_strategy(config)
    with producer_feed(config) as feed:
        feed.exchange.markets[SWAP] = market_of(SWAP)
        consumer.dp = feed.dp
        producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
        feed.whitelist("p1", [SWAP, SOURCE])
        assert feed.dp.get_producer_pairs("p1") == [SOURCE]
        frame = produce(producer, SOURCE, own_candles(3000))
        feed.analyzed("p1", SOURCE, frame, candle_type="futures")
        feed.analyzed("p1", SOURCE, frame, candle_type="mark")
        consumer_analyze(consumer, SOURCE, own_candles(3000))
        assert not consumer.has_producer_data(SOURCE)
        assert rejected(consumer) == {"p1": {"futures_on_spot": 2, "candle_type": 1}}


@pytest.mark.parametrize(
    ("candle_type", "pair", "market", "problem"),
    [
        ("futures", SWAP, None, None),
        ("futures", "ETH/USDT", None, "spot_on_futures"),
        ("spot", SWAP, None, "futures_on_spot"),
        ("futures", SWAP, market_of(SWAP), None),
        ("futures", SWAP, market_of("ETH/USDT"), "spot_on_futures"),
        ("futures", SWAP, {**market_of(SWAP), "settle": "BTC"}, "pair_not_market"),
        ("spot", "ETH/USDT", market_of(SWAP), "futures_on_spot"),
        ("spot", "ETH/USDT", market_of("ETH/USDT"), None),
    ],
)
def test_a_pair_must_be_a_market_of_the_consumers_trading_mode(candle_type, pair, market, problem):
    lookup = None if market is None else (lambda _pair: market)
    rules = IntakeRules(
        timeframe="5m",
        candle_type=candle_type,
        candle_ns=300 * 10**9,
        stake_currency="USDT",
        market=lookup,
    )
    assert pair_problem(rules, "p1", pair) == problem
