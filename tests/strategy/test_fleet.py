"""The fleet strategy inside real freqtrade: producer unchanged, consumer on producer data."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from freqtrade.enums import RunMode, SignalDirection

from freqfleet.errors import StrategySetupError
from freqfleet.strategy.fleet import check_producer_timeframes
from tests.kit.fleet_strategy import (
    bot_config,
    candles,
    consumer_analyze,
    load_strategy,
    produce,
    producer_feed,
    recent,
    signals_of,
)
from tests.kit.json_server import json_server
from tests.kit.ports import free_port

SIGNALS = ["enter_long", "exit_long", "enter_tag", "exit_tag"]


def calls_of(strategy) -> list[str]:
    """The recording strategy's call log (in the module freqtrade loaded it from)."""
    return type(strategy).populate_indicators.__globals__["CALLS"]


def test_producer_role_is_the_wrapped_strategy(user_data: Path):
    plain = load_strategy(bot_config(user_data, "Recording"))
    fleet = load_strategy(bot_config(user_data, "RecordingFleet"))
    assert fleet.fleet_role == "producer"
    frame = candles("ETH/BTC", 500)
    pd.testing.assert_frame_equal(
        produce(fleet, "ETH/BTC", frame), produce(plain, "ETH/BTC", frame)
    )
    # The mixin adds no callbacks of its own to a producer.
    for name in ("custom_exit", "analyze_ticker", "bot_start", "gather_informative_pairs"):
        assert getattr(fleet, name).__func__.__qualname__ == (
            getattr(plain, name).__func__.__qualname__
        )
    assert fleet.process_only_new_candles is True
    assert fleet.has_producer_data("ETH/BTC")


def test_a_planned_producer_that_trades_takes_its_prices_from_the_ticker_stream(
    user_data: Path,
):
    """``fleet.role: producer`` in a trading run mode: bot_start, bot_loop_start and
    cleanup are wrapped (pricing); without an exchange (here) prices stay freqtrade's."""
    planned = {"role": "producer", "name": "producer-1"}
    producer = load_strategy(bot_config(user_data, "RecordingFleet", fleet=planned))
    wrapped = ("bot_start", "bot_loop_start", "ft_bot_cleanup")
    for name in wrapped:
        assert "_ProducerHooks" in getattr(producer, name).__qualname__, name
    producer.dp = None
    producer.bot_start()  # no exchange: nothing routed, the strategy's own bot_start runs
    producer.ft_bot_cleanup()
    for runmode in (RunMode.BACKTEST, RunMode.HYPEROPT):
        tested = load_strategy(
            bot_config(user_data, "RecordingFleet", runmode=runmode, fleet=planned)
        )
        assert all("_ProducerHooks" not in getattr(tested, n).__qualname__ for n in wrapped)


def test_consumer_signals_and_tags_equal_the_producers(user_data: Path):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["p1", "p2"])
    consumer = load_strategy(config)
    assert consumer.fleet_role == "consumer"
    assert consumer.process_only_new_candles is False
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", ["ETH/BTC", "LTC/BTC"])
        feed.whitelist("p2", ["ADA/BTC"])
        produced = {}
        for pair, name in (("ETH/BTC", "p1"), ("LTC/BTC", "p1"), ("ADA/BTC", "p2")):
            produced[pair] = produce(producer, pair, candles(pair, 600, end=5000))
            feed.analyzed(name, pair, produced[pair])
        for pair, frame in produced.items():
            # The consumer holds fewer candles than the producer analysed.
            own = candles(pair, 400, end=5000)
            merged = consumer_analyze(consumer, pair, own)
            analysed, _ = feed.dp.get_analyzed_dataframe(pair, "5m")
            assert analysed is merged
            ohlcv = ["open", "high", "low", "close", "volume"]
            pd.testing.assert_frame_equal(merged[ohlcv], own[ohlcv])
            assert (merged["date"] == own["date"]).all()
            expected = signals_of(frame.iloc[-400:])
            pd.testing.assert_frame_equal(signals_of(merged), expected)
            assert expected["enter_long"].sum() > 10 and expected["enter_tag"].notna().sum() > 10
            assert consumer.has_producer_data(pair)


def test_consumer_runs_no_analysis_and_downloads_no_informative_candles(user_data: Path):
    producer = load_strategy(bot_config(user_data, "Recording"))
    config = bot_config(user_data, "WithInformative", ["p1"])
    consumer = load_strategy(config)
    pair = "ETH/BTC"
    frame = produce(producer, pair, candles(pair, 300))
    calls = calls_of(consumer)
    assert calls is not calls_of(producer)
    assert calls == []
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", [pair])
        feed.analyzed("p1", pair, frame)
        for _ in range(3):
            merged = consumer_analyze(consumer, pair, candles(pair, 300))
        assert consumer.gather_informative_pairs() == []
        assert calls == []
        # A callback reads the producer's column by its own name.
        assert consumer.custom_exit(pair, None, datetime.now(UTC), 0.0, 0.0) == (
            f"sma={merged['sma'].iat[-1]:.8f}"
        )
        assert merged["sma"].iat[-1] == pytest.approx(frame["sma"].iat[-1], rel=1e-12)

    opted_in = load_strategy(
        bot_config(user_data, "WithInformative", ["p1"], fleet={"informative_candles": True})
    )
    assert set(opted_in.gather_informative_pairs()) == {
        ("BTC/USDT", "1h", "spot"),
        ("ETH/BTC", "1h", "spot"),
    }
    assert calls_of(opted_in) == ["informative_pairs"]


def test_missing_producer_data_blocks_entries_and_callbacks(user_data: Path, caplog):
    config = bot_config(user_data, "RecordingFleet", ["p1"])
    consumer = load_strategy(config)
    caplog.set_level(logging.INFO)
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        merged = consumer_analyze(consumer, "XMR/BTC", candles("XMR/BTC", 100))
        assert len(merged) == 100 and "sma" not in merged.columns
        assert consumer.get_entry_signal("XMR/BTC", "5m", merged) == (None, None)
        assert not consumer.has_producer_data("XMR/BTC")
        # The wrapped strategy's callbacks get freqtrade's neutral answers, logged once.
        now = datetime.now(UTC)
        for _ in range(3):
            assert consumer.custom_exit("XMR/BTC", None, now, 0.0, 0.02) is None
            assert consumer.confirm_trade_exit(
                "XMR/BTC", None, "limit", 1.0, 1.0, "GTC", "exit_signal", now
            )
        assert sum("no producer data for XMR/BTC yet; its callbacks" in r.getMessage()
                   for r in caplog.records) == 1  # fmt: skip
        state = consumer.fleet_state()
        assert state["unrouted_pairs"] == ["XMR/BTC"] and state["missing_pairs"] == ["XMR/BTC"]
        assert state["stale_pairs"] == []


ADJUST_ARGS = dict.fromkeys(
    (
        "current_rate",
        "current_profit",
        "min_stake",
        "max_stake",
        "current_entry_rate",
        "current_exit_rate",
        "current_entry_profit",
        "current_exit_profit",
    ),
    0.0,
)


class RecordingFollower:
    """A follower (freqfleet's own interface, not freqtrade) that records the calls."""

    def __init__(self, exit_reason=None, owns=False, stake=None, entry=None):
        self.calls: list[tuple] = []
        self._exit, self._owns, self._stake, self._entry = exit_reason, owns, stake, entry

    def on_loop(self, current_time):
        self.calls.append(("on_loop",))

    def exit_reason(self, trade, current_time):
        return self._exit

    def owns_exit(self, trade):
        return self._owns

    def entry_signal(self, pair):
        self.calls.append(("entry_signal", pair))
        return self._entry

    def stake_adjustment(self, trade, current_time):
        return self._stake

    def stats(self):
        return {"events": 0}

    def stop(self):
        self.calls.append(("stop",))


def test_follower_hooks(user_data: Path):
    producer = load_strategy(bot_config(user_data, "Recording"))
    config = bot_config(user_data, "RecordingFleet", ["p1"])
    consumer = load_strategy(config)
    pair = "ETH/BTC"
    now = datetime.now(UTC)
    fleet = consumer.fleet_consumer
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", [pair])
        frame = produce(producer, pair, candles(pair, 300))
        frame.loc[frame.index[-1], ["enter_long", "exit_long"]] = [0, 0]
        feed.analyzed("p1", pair, frame)
        wrapped = f"sma={frame['sma'].iat[-1]:.8f}"
        merged = consumer_analyze(consumer, pair, candles(pair, 300))
        assert consumer.get_entry_signal(pair, "5m", merged) == (None, None)

        fleet.follower = RecordingFollower(entry=(SignalDirection.LONG, "fleet:p1:force_entry"))
        consumer.bot_loop_start(current_time=now)
        # A followed entry is a signal, the frame stays the producer's.
        assert consumer.get_entry_signal(pair, "5m", merged) == (
            SignalDirection.LONG,
            "fleet:p1:force_entry",
        )
        assert merged["enter_long"].iat[-1] == 0
        assert consumer.custom_exit(pair, None, now, 0.0, 0.0) == wrapped
        assert consumer.adjust_trade_position(trade=None, current_time=now, **ADJUST_ARGS) is None
        assert ("on_loop",) in fleet.follower.calls

        fleet.follower = RecordingFollower("force_exit", stake=5.0)
        assert consumer.custom_exit(pair, None, now, 0.0, 0.0) == "force_exit"
        assert consumer.adjust_trade_position(trade=None, current_time=now, **ADJUST_ARGS) == 5.0
        fleet.follower = RecordingFollower(owns=True)
        assert consumer.custom_exit(pair, None, now, 0.0, 0.0) is None
        follower = fleet.follower
        consumer.ft_bot_cleanup()
        assert ("stop",) in follower.calls

        # Outside live and dry-run there is nothing to follow.
        backtest_consumer = load_strategy(
            bot_config(user_data, "RecordingFleet", ["p1"], runmode=RunMode.BACKTEST)
        )
        assert backtest_consumer.fleet_role == "producer"


@pytest.mark.parametrize(
    ("strategy", "producers", "fleet", "message"),
    [
        ("Misplaced", None, None, "must come first in the class bases"),
        ("FleetSampleStrategy", [], None, "external_message_consumer.producers is empty"),
        ("FleetSampleStrategy", ["a", "a"], None, "duplicate name 'a'"),
        ("FleetSampleStrategy", ["a"], {"max_signal_age": 0}, "fleet.max_signal_age"),
        (
            "FleetSampleStrategy",
            ["a"],
            {"max_signal_age": 101},
            r"^fleet\.max_signal_age: must be <= 100, got 101; use a whole number of candles",
        ),
        ("FleetSampleStrategy", ["a"], {"informative_candles": "yes"}, "informative_candles"),
        ("DummyConsumerStrategy", None, None, "only runs as a consumer"),
    ],
)
def test_setup_errors(user_data: Path, strategy, producers, fleet, message):
    config = bot_config(user_data, strategy, producers, fleet=fleet)
    with pytest.raises(StrategySetupError, match=message):
        load_strategy(config)


def test_producer_without_ws_token_fails(user_data: Path):
    config = bot_config(user_data, "FleetSampleStrategy", ["a"])
    del config["external_message_consumer"]["producers"][0]["ws_token"]
    with pytest.raises(StrategySetupError, match=r"producers\[0\] \(a\) has no ws_token"):
        load_strategy(config)


def test_freqtrade_reads_the_producers_entry_signal_and_tag(user_data: Path):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["p1"])
    consumer = load_strategy(config)
    pair = "ETH/BTC"
    whole = produce(producer, pair, candles(pair))
    entries = [i for i in whole.index[whole["enter_long"] == 1] if i > 400]
    exits = [i for i in whole.index[whole["exit_long"] == 1] if i > 400]
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", [pair])
        for end, expect_entry in ((entries[0] + 1, True), (exits[0] + 1, False)):
            own = recent(candles(pair, 300, end=end))
            feed.analyzed("p1", pair, produce(producer, pair, recent(candles(pair, 400, end=end))))
            merged = consumer_analyze(consumer, pair, own)
            analysed, _ = consumer.dp.get_analyzed_dataframe(pair, "5m")
            enter, tag = consumer.get_entry_signal(pair, "5m", analysed)
            _entering, exit_long, exit_tag = consumer.get_exit_signal(pair, "5m", analysed)
            if expect_entry:
                assert enter == SignalDirection.LONG and tag == "ema_cross_up"
            else:
                assert enter is None
                assert exit_long and exit_tag == "ema_cross_down"
            assert merged is analysed


def test_a_producer_on_another_timeframe_is_reported_once(user_data: Path, caplog):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["p1"])
    consumer = load_strategy(config)
    pair = "ETH/BTC"
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", [pair])
        feed.analyzed("p1", pair, produce(producer, pair, candles(pair, 200)), timeframe="1m")
        caplog.set_level(logging.INFO)
        for _ in range(3):
            merged = consumer_analyze(consumer, pair, candles(pair, 100))
            consumer_analyze(consumer, pair, candles(pair, 100, end=3000))
        assert not consumer.has_producer_data(pair) and "enter_long" not in merged.columns
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1
        assert "producer p1 sends 1m candles but this consumer runs 5m" in errors[0].message
        assert consumer.fleet_state()["producers"]["p1"]["rejected"] == {"timeframe": 1}


def test_a_reachable_producer_on_another_timeframe_stops_the_start() -> None:
    answers = {"/api/v1/show_config": {"timeframe": "1m", "state": "running"}}
    with json_server(answers) as (url, _):
        config = {
            "fleet": {
                "producer_api": {
                    "p1": {"url": url, "username": "u", "password": "p"},
                    "p2": {"url": f"http://127.0.0.1:{free_port()}"},  # not up yet
                }
            }
        }
        with pytest.raises(StrategySetupError) as raised:
            check_producer_timeframes(config, "5m")
        assert str(raised.value).startswith("producer p1 runs timeframe 1m but this consumer")
        check_producer_timeframes(config, "1m")
        del config["fleet"]["producer_api"]["p1"]
        check_producer_timeframes(config, "5m")


def test_public_names():
    import freqfleet.strategy as strategy
    import freqfleet.strategy.samples as samples

    assert set(strategy.__all__) == {
        "STATE_FILE",
        "ConsumerSettings",
        "FleetStrategy",
        "is_consumer_config",
    }
    assert strategy.STATE_FILE == "fleet-state.json"
    assert set(samples.__all__) == {
        "DummyConsumerStrategy",
        "FleetFuturesSampleStrategy",
        "FleetSampleStrategy",
    }
    assert samples.FleetSampleStrategy.startup_candle_count <= 50
    assert samples.FleetSampleStrategy.__mro__[1] is strategy.FleetStrategy
