"""The fleet strategy inside real freqtrade: producer unchanged, consumer on producer data."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from freqtrade.enums import RunMode, SignalDirection

from freqfleet.errors import StrategySetupError
from freqfleet.strategy.fleet import check_producer_timeframes
from tests.kit.json_server import json_server
from tests.kit.ports import free_port

from .fleet_support import (
    bot_config,
    candles,
    consumer_analyze,
    load_strategy,
    make_user_data,
    produce,
    producer_feed,
)

SIGNALS = ["enter_long", "exit_long", "enter_tag", "exit_tag"]


@pytest.fixture
def user_data(tmp_path: Path) -> Path:
    return make_user_data(tmp_path)


def calls_of(strategy) -> list[str]:
    """The recording strategy's call log (in the module freqtrade loaded it from)."""
    return type(strategy).populate_indicators.__globals__["CALLS"]


def _signals(frame: pd.DataFrame) -> pd.DataFrame:
    """Signals and tags per date, in one comparable form (no tag = None, no signal = 0)."""
    out = frame[["date"]].copy()
    out["date"] = out["date"].dt.as_unit("ns")
    for column in ("enter_long", "exit_long"):
        out[column] = frame[column].fillna(0).astype(int)
    for column in ("enter_tag", "exit_tag"):
        out[column] = [t if isinstance(t, str) and t else None for t in frame[column]]
    return out.reset_index(drop=True)


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
            expected = _signals(frame.iloc[-400:])
            pd.testing.assert_frame_equal(_signals(merged), expected)
            assert expected["enter_long"].sum() > 10 and expected["enter_tag"].notna().sum() > 10
            assert consumer.has_producer_data(pair)


def test_frame_moves_forward_only_with_the_producers_analysis(user_data: Path):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["p1"])
    consumer = load_strategy(config)
    pair = "ETH/BTC"
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", [pair])
        end = 3000
        feed.analyzed("p1", pair, produce(producer, pair, candles(pair, 300, end=end)))
        previous = consumer_analyze(consumer, pair, candles(pair, 200, end=end))
        for step in range(1, 40):
            own = candles(pair, 200, end=end + step)
            # The consumer sees the new candle before the producer's row arrives: it keeps
            # its previous complete frame (as a plain bot does while it analyses) and
            # takes no new entry.
            early = consumer_analyze(consumer, pair, own)
            assert early is previous
            assert early["date"].iat[-1] == own["date"].iat[-2]
            assert consumer.get_entry_signal(pair, "5m", early) == (None, None)
            # ... then the producer sends its newest row (as a producer does, tail(1)).
            full = produce(producer, pair, candles(pair, 300, end=end + step))
            feed.analyzed("p1", pair, full.tail(1))
            merged = consumer_analyze(consumer, pair, own)
            assert merged["date"].iat[-1] == own["date"].iat[-1]
            assert not pd.isna(merged["ema_fast"].iat[-1])
            pd.testing.assert_frame_equal(_signals(merged), _signals(full.iloc[-200:]))
            previous = merged
        tags = {t for t in merged["enter_tag"] if isinstance(t, str) and t}
        assert tags == {"ema_cross_up"}


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


def test_lagging_producer_blocks_entries_for_its_pairs_only(user_data: Path, caplog):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["fast", "slow"])
    consumer = load_strategy(config)
    end = 4000
    whole = produce(producer, "LTC/BTC", candles("LTC/BTC", 600, end=end))
    # The slow producer's newest candle is an entry: a consumer three candles ahead must
    # not take it.
    last_entry = whole.index[whole["enter_long"] == 1][-1]
    slow_end = end - 600 + last_entry + 1
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("fast", ["ETH/BTC"])
        feed.whitelist("slow", ["LTC/BTC"])
        fast = produce(producer, "ETH/BTC", candles("ETH/BTC", 500, end=end))
        slow = produce(producer, "LTC/BTC", candles("LTC/BTC", 500, end=slow_end))
        feed.analyzed("fast", "ETH/BTC", fast)
        feed.analyzed("slow", "LTC/BTC", slow)
        caplog.set_level(logging.INFO)
        lag = end - slow_end
        for _ in range(3):
            fresh = consumer_analyze(consumer, "ETH/BTC", candles("ETH/BTC", 300, end=end))
            stale = consumer_analyze(consumer, "LTC/BTC", candles("LTC/BTC", 300, end=end))
        assert fresh["enter_long"].sum() == fast["enter_long"].iloc[-300:].fillna(0).sum() > 0
        # The stale frame ends at the slow producer's newest analysed candle ...
        assert stale["date"].iat[-1] == slow["date"].iat[-1] and stale["enter_long"].iat[-1] == 1
        # ... and no entry is taken on it; exits keep working on the last data.
        assert consumer.get_entry_signal("LTC/BTC", "5m", stale) == (None, None)
        assert stale["exit_long"].fillna(0).sum() > 0
        warnings = [r for r in caplog.records if f"LTC/BTC is {lag} candles old" in r.getMessage()]
        assert len(warnings) == (1 if lag > 1 else 0)
        assert not any("ETH/BTC is" in r.getMessage() for r in caplog.records)
        assert consumer.fleet_state()["stale_pairs"] == (["LTC/BTC"] if lag > 1 else [])

        # The slow producer catches up: the frame moves to the newest candle, logged once.
        feed.analyzed(
            "slow", "LTC/BTC", produce(producer, "LTC/BTC", candles("LTC/BTC", 500, end=end))
        )
        caught_up = consumer_analyze(consumer, "LTC/BTC", candles("LTC/BTC", 300, end=end))
        caught_up = consumer_analyze(consumer, "LTC/BTC", candles("LTC/BTC", 300, end=end))
        assert caught_up["date"].iat[-1] == fresh["date"].iat[-1]
        assert caught_up["enter_long"].sum() > 0
        assert sum("LTC/BTC is fresh again" in r.getMessage() for r in caplog.records) == (
            1 if lag > 1 else 0
        )


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


@pytest.mark.parametrize(("older", "newer"), [("p1", "p2"), ("p2", "p1")])
def test_two_producers_for_one_pair_resolve_by_freshness(user_data: Path, older, newer):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["p1", "p2"])
    consumer = load_strategy(config)
    pair, end = "ETH/BTC", 3000
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", [pair])
        feed.whitelist("p2", [pair])
        for name, lag in ((older, 1), (newer, 0)):
            frame = produce(producer, pair, candles(pair, 300, end=end - lag))
            frame["source"] = name
            feed.analyzed(name, pair, frame)
        merged = consumer_analyze(consumer, pair, candles(pair, 200, end=end))
        assert merged["source"].iat[-1] == newer
        # The older one catches up: a tie goes to the first producer in the config.
        frame = produce(producer, pair, candles(pair, 300, end=end))
        frame["source"] = older
        feed.analyzed(older, pair, frame)
        merged = consumer_analyze(consumer, pair, candles(pair, 200, end=end))
        assert merged["source"].iat[-1] == "p1"


def test_merged_frame_is_reused_until_either_side_changes(user_data: Path):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["p1"])
    consumer = load_strategy(config)
    pair = "LTC/BTC"
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", [pair])
        feed.analyzed("p1", pair, produce(producer, pair, candles(pair, 300, end=2000)))
        first = consumer_analyze(consumer, pair, candles(pair, 200, end=2000))
        builds = consumer.fleet_consumer.cache.builds
        assert consumer_analyze(consumer, pair, candles(pair, 200, end=2000)) is first
        # A consumer candle the producer has not analysed: the frame is kept, not rebuilt.
        assert consumer_analyze(consumer, pair, candles(pair, 200, end=2001)) is first
        assert consumer.fleet_consumer.cache.builds == builds
        feed.analyzed("p1", pair, produce(producer, pair, candles(pair, 300, end=2001)).tail(1))
        producer_row = consumer_analyze(consumer, pair, candles(pair, 200, end=2001))
        assert producer_row is not first
        assert consumer.fleet_consumer.cache.builds == builds + 1
        assert not pd.isna(producer_row["ema_fast"].iat[-1])


def test_whitelist_change_reroutes(user_data: Path):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["p1", "p2"])
    consumer = load_strategy(config)
    pair = "ADA/BTC"
    with producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", [pair])
        feed.whitelist("p2", ["ETH/BTC"])
        for name, end in (("p1", 2000), ("p2", 2000)):
            frame = produce(producer, pair, candles(pair, 300, end=end))
            frame["source"] = name
            feed.analyzed(name, pair, frame)
        assert (
            consumer_analyze(consumer, pair, candles(pair, 100, end=2000))["source"].iat[-1] == "p1"
        )
        # (freqtrade drops an empty whitelist message, so the lists swap pairs.)
        feed.whitelist("p1", ["ETH/BTC"])
        feed.whitelist("p2", [pair])
        assert (
            consumer_analyze(consumer, pair, candles(pair, 100, end=2000))["source"].iat[-1] == "p2"
        )
        assert consumer.fleet_state()["producers"]["p2"]["pairs"] == 1


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
    assert state["producers"]["p1"] == {
        "pairs": 1,
        "newest_candle": frame["date"].iat[-1].isoformat(),
        "rejected": {},
    }
    assert state["producers"]["p2"] == {"pairs": 0, "newest_candle": None, "rejected": {}}
    assert state["unrouted_pairs"] == ["LTC/BTC"] and state["missing_pairs"] == ["LTC/BTC"]
    assert state["stale_pairs"] == []
    assert state["follow"] == {}
    assert datetime.fromisoformat(state["updated"]).tzinfo is not None


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
        pd.testing.assert_frame_equal(_signals(merged), _signals(frame))


def _recent(frame: pd.DataFrame) -> pd.DataFrame:
    """The candles moved in time so that the newest one just closed."""
    out = frame.copy()
    now = pd.Timestamp.now(tz="UTC").floor("5min") - pd.Timedelta(minutes=5)
    out["date"] = out["date"] + (now - out["date"].iat[-1])
    return out


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
            own = _recent(candles(pair, 300, end=end))
            feed.analyzed("p1", pair, produce(producer, pair, _recent(candles(pair, 400, end=end))))
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
    assert set(samples.__all__) == {"DummyConsumerStrategy", "FleetSampleStrategy"}
    assert samples.FleetSampleStrategy.startup_candle_count <= 50
    assert samples.FleetSampleStrategy.__mro__[1] is strategy.FleetStrategy


def test_a_loop_waits_for_rows_the_message_thread_is_delivering(user_data: Path):
    """In a running bot rows arrive on freqtrade's message thread: the loop that finds a
    producer behind waits for its row and enters on it, instead of sleeping a throttle."""
    import threading

    import time_machine

    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["fast", "slow"])
    consumer = load_strategy(config)
    closed = pd.Timestamp.now(tz="UTC").floor("5min")
    own = {pair: _recent(candles(pair, 300, end=3000)) for pair in ("ETH/BTC", "LTC/BTC")}

    def on_message_thread(action) -> threading.Thread:
        thread = threading.Thread(target=action)
        thread.start()
        return thread

    with producer_feed(config) as feed, time_machine.travel(closed + pd.Timedelta(seconds=2)):
        consumer.dp = feed.dp
        feed.exchange.set("ETH/BTC", own["ETH/BTC"])
        feed.exchange.set("LTC/BTC", own["LTC/BTC"])

        def first_messages() -> None:
            feed.whitelist("fast", ["ETH/BTC"])
            feed.whitelist("slow", ["LTC/BTC"])
            feed.analyzed("fast", "ETH/BTC", produce(producer, "ETH/BTC", own["ETH/BTC"]))
            behind = produce(producer, "LTC/BTC", own["LTC/BTC"].iloc[:-1])
            feed.analyzed("slow", "LTC/BTC", behind)

        on_message_thread(first_messages).join()
        last_row = produce(producer, "LTC/BTC", own["LTC/BTC"]).tail(1)
        late = threading.Timer(0.3, feed.analyzed, ("slow", "LTC/BTC", last_row))
        late.start()
        consumer.analyze(["LTC/BTC", "ETH/BTC"])  # one loop, started before the row came
        late.join()
        fleet = consumer.fleet_consumer
        assert fleet.entry_allowed("ETH/BTC") and fleet.entry_allowed("LTC/BTC")
        assert fleet.cache.get("LTC/BTC").lag == 0


def test_entries_of_a_candle_wait_for_every_producer_still_behind(user_data: Path, caplog):
    """With one free slot a plain bot takes the first signalled pair of its whitelist,
    after analysing them all: the consumer must not take whichever row arrived first."""
    import time_machine

    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["fast", "slow"])
    consumer = load_strategy(config)
    closed = pd.Timestamp.now(tz="UTC").floor("5min")
    with producer_feed(config) as feed, time_machine.travel(closed + pd.Timedelta(seconds=2)):
        consumer.dp = feed.dp
        feed.whitelist("fast", ["ETH/BTC"])
        feed.whitelist("slow", ["LTC/BTC"])
        own = {pair: _recent(candles(pair, 300, end=3000)) for pair in ("ETH/BTC", "LTC/BTC")}
        feed.analyzed("fast", "ETH/BTC", produce(producer, "ETH/BTC", own["ETH/BTC"]))
        feed.analyzed("slow", "LTC/BTC", produce(producer, "LTC/BTC", own["LTC/BTC"].iloc[:-1]))
        consumer_analyze(consumer, "LTC/BTC", own["LTC/BTC"])
        consumer_analyze(consumer, "ETH/BTC", own["ETH/BTC"])
        fleet = consumer.fleet_consumer
        assert fleet.has_producer_data("ETH/BTC") and fleet.cache.get("ETH/BTC").lag == 0
        assert not fleet.entry_allowed("ETH/BTC")  # the slow producer is still on its way
        feed.analyzed("slow", "LTC/BTC", produce(producer, "LTC/BTC", own["LTC/BTC"]).tail(1))
        consumer.analyze(["LTC/BTC", "ETH/BTC"])
        assert fleet.entry_allowed("ETH/BTC") and fleet.entry_allowed("LTC/BTC")

    # A producer that stays behind holds entries back for a quarter of a candle at most.
    caplog.set_level(logging.WARNING)
    feed_config = bot_config(user_data, "FleetSampleStrategy", ["fast", "slow"])
    late = load_strategy(feed_config)
    with producer_feed(feed_config) as feed, time_machine.travel(closed) as clock:
        late.dp = feed.dp
        feed.whitelist("fast", ["ETH/BTC"])
        feed.whitelist("slow", ["LTC/BTC"])
        feed.analyzed("fast", "ETH/BTC", produce(producer, "ETH/BTC", own["ETH/BTC"]))
        feed.analyzed("slow", "LTC/BTC", produce(producer, "LTC/BTC", own["LTC/BTC"].iloc[:-1]))
        feed.exchange.set("ETH/BTC", own["ETH/BTC"])
        feed.exchange.set("LTC/BTC", own["LTC/BTC"])
        for seconds, allowed in ((10, False), (74, False), (76, True), (90, True)):
            clock.move_to(closed + pd.Timedelta(seconds=seconds))
            late.analyze(["LTC/BTC", "ETH/BTC"])
            assert late.fleet_consumer.entry_allowed("ETH/BTC") is allowed, seconds
            assert not late.fleet_consumer.entry_allowed("LTC/BTC")
    warnings = [r.getMessage() for r in caplog.records if "without the analysis" in r.getMessage()]
    assert len(warnings) == 1 and "1 pair(s) from slow" in warnings[0]
