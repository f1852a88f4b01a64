"""The consumer inside real freqtrade: each pair's frame from its freshest producer, entries only on fresh data, its state file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

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
            pd.testing.assert_frame_equal(signals_of(merged), signals_of(full.iloc[-200:]))
            previous = merged
        tags = {t for t in merged["enter_tag"] if isinstance(t, str) and t}
        assert tags == {"ema_cross_up"}


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


def test_a_loop_waits_for_rows_the_message_thread_is_delivering(user_data: Path):
    """In a running bot rows arrive on freqtrade's message thread: the loop that finds a
    producer behind waits for its row and enters on it, instead of sleeping a throttle."""
    import threading

    import time_machine

    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["fast", "slow"])
    consumer = load_strategy(config)
    closed = pd.Timestamp.now(tz="UTC").floor("5min")
    own = {pair: recent(candles(pair, 300, end=3000)) for pair in ("ETH/BTC", "LTC/BTC")}

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
        own = {pair: recent(candles(pair, 300, end=3000)) for pair in ("ETH/BTC", "LTC/BTC")}
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


@pytest.mark.timeout(120)
def test_message_access_and_bot_threads_run_together(user_data: Path, monkeypatch):
    """freqtrade's message handling on its own thread, the access watch and the bot loop
    (analysis, entry signals, state) at once for a few seconds: no thread raises,
    freqtrade's analysed frames are set on the bot thread only, every state read is whole,
    and the frames the bot ends with are the producer's."""
    import threading
    import time

    from freqfleet.strategy.producer_access import PROBLEMS
    from tests.kit.freqtrade_api import WRONG_TOKEN, freqtrade_api_server

    failures: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook: failures.append(hook.exc_value))
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(user_data, "FleetSampleStrategy", ["p1", "p2"])
    consumer = load_strategy(config)
    fleet = consumer.fleet_consumer
    pairs, start, steps = ["ETH/BTC", "LTC/BTC"], 3000, 400
    produced = {p: produce(producer, p, candles(p, 300 + steps, end=start + steps)) for p in pairs}
    own = {pair: candles(pair, 200 + steps, end=start + steps) for pair in pairs}
    progress = [0]  # producer rows sent beyond the first 300
    bot_loops = [0]
    done = threading.Event()

    with (
        freqtrade_api_server("producer-token-0123456789abcdef") as port,
        producer_feed(config) as feed,
    ):
        set_on: list[int] = []
        set_cached = feed.dp._set_cached_df

        def recording_set_cached(*args, **kwargs):
            set_on.append(threading.get_ident())
            return set_cached(*args, **kwargs)

        feed.dp._set_cached_df = recording_set_cached
        consumer.dp = feed.dp

        def messages() -> None:
            try:
                feed.whitelist("p1", pairs)
                for pair in pairs:
                    feed.analyzed("p1", pair, produced[pair].iloc[:300])
                # A few seconds of traffic, longer on a loaded machine until the bot has
                # looped and the producer sent enough to have crossed each other (60 s cap).
                soft, hard = time.monotonic() + 4, time.monotonic() + 60
                while progress[0] < steps and time.monotonic() < hard:
                    if time.monotonic() > soft and progress[0] > 50 and bot_loops[0] > 20:
                        break
                    sent = progress[0] + 1
                    for pair in pairs:
                        feed.analyzed("p1", pair, produced[pair].iloc[299 + sent : 300 + sent])
                    progress[0] = sent
                    if sent % 10 == 0:
                        feed.whitelist("p2", pairs[: 1 + sent // 10 % 2])
                    # Silences longer than the access interval: p1's access is checked.
                    time.sleep(0.12 if sent % 25 == 0 else 0.002)
            except BaseException as error:
                failures.append(error)
            finally:
                done.set()

        producers = [
            {"name": "p1", "host": "127.0.0.1", "port": port, "ws_token": WRONG_TOKEN},
            {"name": "p2", "host": "127.0.0.1", "port": port, "ws_token": "x" * 30},
        ]
        fleet.watch_access(producers, interval=0.05, first=0.0)
        message_thread = threading.Thread(target=messages, name="message")
        message_thread.start()
        loops, seen_access = 0, set()
        try:
            while not done.is_set() or loops == 0:
                step = min(steps, max(0, progress[0] + loops % 3 - 1))
                for pair in pairs:
                    feed.exchange.set(pair, own[pair].iloc[step : 200 + step])
                consumer.analyze(pairs)
                for pair in pairs:
                    frame = feed.dp.get_analyzed_dataframe(pair, "5m")[0]
                    consumer.get_entry_signal(pair, "5m", frame)
                state = consumer.fleet_state()
                assert set(state["producers"]) == {"p1", "p2"}
                for name, entry in state["producers"].items():
                    assert entry.get("access", "token_rejected") in PROBLEMS, name
                    seen_access.add(entry.get("access"))
                assert set(state["stale_pairs"] + state["missing_pairs"]) <= set(pairs)
                fleet.write_state(force=True)
                assert json.loads((user_data / "fleet-state.json").read_text())["role"]
                loops += 1
                bot_loops[0] = loops
        finally:
            fleet.stop()
            message_thread.join(10)
        assert failures == []
        assert loops > 20 and progress[0] > 50
        assert "token_rejected" in seen_access  # the access watch ran meanwhile
        assert set(set_on) == {threading.get_ident()}

        # Quiet again: the bot's frames are the producer's rows of its candles.
        for pair in pairs:
            feed.exchange.set(pair, own[pair].iloc[progress[0] : 200 + progress[0]])
        consumer.analyze(pairs)
        for pair in pairs:
            frame = feed.dp.get_analyzed_dataframe(pair, "5m")[0]
            assert frame["date"].iat[-1] == own[pair]["date"].iat[199 + progress[0]]
            rows = produced[pair][produced[pair]["date"].isin(frame["date"])]
            pd.testing.assert_frame_equal(signals_of(frame), signals_of(rows))
        state = consumer.fleet_state()
        assert state["producers"]["p1"]["pairs"] == 2
        assert state["stale_pairs"] == [] and state["missing_pairs"] == []
