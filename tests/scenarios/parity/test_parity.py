"""Parity: an unmodified third-party-style strategy decides on a fleet consumer exactly
what it decides in a plain bot.

``BigParity`` (parity_data/big_parity.py) is shaped like the large public strategies:
four informative timeframes and a market informative, about 230 columns of talib and
rolling indicators with datetime, bool, int, float and string dtypes, tags, and every
data-reading callback indexing ``iloc[-1]`` and ``iloc[-2]`` unguarded. A plain bot runs
``BigParity`` on six pairs; a fleet runs ``class BigParityFleet(FleetStrategy,
BigParity)`` as two producers (three pairs each) and a consumer, on the same recorded
candles, one candle at a time. The producers' rows reach the consumer after its own new
candle on every other step (the consumer must then hold its previous frame) and before
it on the others.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import time_machine
from freqtrade.persistence import Trade, init_db
from freqtrade.persistence.usedb_context import enable_database_use

from .parity_support import (
    BASE_TIMEFRAME,
    RecordedMarket,
    assert_same_frame,
    callback_calls,
    deliver,
    initial_messages,
    open_trade,
    parity_config,
    run_order_filled,
    start_bot,
    step_time,
    stop_bot,
    user_data_with,
)

PAIRS = ["ETH/BTC", "LTC/BTC", "ADA/BTC", "XMR/BTC", "DASH/BTC", "ZEC/BTC"]
SHARES = {"producer-1": PAIRS[0::2], "producer-2": PAIRS[1::2]}
STEPS = int(__import__("os").environ.get("PARITY_STEPS", "300"))


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float) and left != left:
        return right != right
    return type(left) is type(right) and left == right


@pytest.fixture
def trades_db():
    enable_database_use()  # a backtest earlier in the session may have switched it off
    init_db("sqlite://")
    yield
    Trade.session.remove()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_consumer_frames_signals_and_callbacks_equal_a_plain_bots(tmp_path, trades_db):
    user_data = user_data_with(tmp_path)
    now = pd.Timestamp(datetime.now(UTC)).floor("1D")
    market = RecordedMarket(PAIRS, end=now.to_pydatetime(), window_start=now)
    first, last = market.recording
    # Room before the window for the daily informative; STEPS candles to step through.
    window_start = first + pd.Timedelta(days=8)
    market.window_start = window_start
    start = window_start + pd.Timedelta(minutes=5 * 400)
    assert start + pd.Timedelta(minutes=5 * STEPS) <= last

    compared = Counter()
    non_default = Counter()
    with time_machine.travel(start.to_pydatetime(), tick=False) as clock:
        market.move_to(start)
        clock.move_to(step_time(market))
        reference = start_bot(parity_config(user_data, "BigParity", PAIRS), market, PAIRS)
        producers = {
            name: start_bot(
                parity_config(user_data, "BigParityFleet", share), market, share, producer=True
            )
            for name, share in SHARES.items()
        }
        consumer = start_bot(
            parity_config(user_data, "BigParityFleet", PAIRS, list(SHARES)), market, PAIRS
        )
        assert consumer.strategy.fleet_role == "consumer"
        assert all(p.strategy.fleet_role == "producer" for p in producers.values())
        try:
            reference.analyze()
            for name, producer in producers.items():
                producer.analyze()
                producer.rpc.take()
                deliver(consumer, name, initial_messages(producer))
            consumer.analyze()

            opened = step_time(market) - timedelta(hours=2)
            for pair in PAIRS:
                rate = float(reference.frame(pair)["close"].iat[-30])
                reference.trades[pair] = open_trade(pair, opened, rate, "plain")
                consumer.trades[pair] = open_trade(pair, opened, rate, "fleet")

            for step in range(STEPS):
                previous = {pair: reference.frame(pair) for pair in PAIRS}
                market.move_to(market.now + pd.Timedelta(minutes=5))
                clock.move_to(step_time(market))
                reference.analyze()
                sent = {}
                for name, producer in producers.items():
                    producer.analyze()
                    sent[name] = producer.rpc.take()
                    assert len(sent[name]) == len(producer.pairs)
                if step % 2:
                    # The consumer sees its new candle before the producers' rows: it
                    # keeps the frame a plain bot held a moment ago and takes no entry.
                    consumer.analyze()
                    for pair in PAIRS:
                        held = consumer.frame(pair)
                        assert_same_frame(held, previous[pair])
                        assert consumer.strategy.get_entry_signal(pair, BASE_TIMEFRAME, held) == (
                            None,
                            None,
                        )
                        compared["held frames"] += 1
                for name, messages in sent.items():
                    deliver(consumer, name, messages)
                consumer.analyze()
                _compare_step(reference, consumer, compared, non_default)
        finally:
            for bot in (consumer, reference, *producers.values()):
                stop_bot(bot)

    cells = compared["cells"]
    print(
        f"\nparity: {compared['frames']} frames ({STEPS} candles x {len(PAIRS)} pairs), "
        f"{compared['columns']} column comparisons, {cells:,} cells, "
        f"{compared['held frames']} held frames, {compared['callbacks']} callback calls "
        f"({sum(non_default.values())} non-default: {dict(non_default)}), 0 mismatches"
    )
    assert compared["frames"] == STEPS * len(PAIRS)
    assert min(compared["columns"] // compared["frames"], 10**6) >= 200
    # The comparison means something: every callback answered otherwise than its
    # default at least once, and the strategy signalled.
    assert compared["entry signals"] > 0 and compared["exit signals"] > 0
    assert {
        "custom_exit",
        "custom_stoploss",
        "custom_roi",
        "adjust_trade_position",
        "custom_stake_amount",
        "custom_entry_price",
        "custom_exit_price",
        "confirm_trade_entry",
        "confirm_trade_exit",
        "leverage",
    } <= set(non_default)


def _compare_step(reference, consumer, compared: Counter, non_default: Counter) -> None:
    now = datetime.now(UTC)
    for pair in PAIRS:
        expected = reference.frame(pair)
        actual = consumer.frame(pair)
        assert_same_frame(actual, expected)
        compared["frames"] += 1
        compared["columns"] += expected.shape[1]
        compared["cells"] += expected.size

        signal = reference.strategy.get_entry_signal(pair, BASE_TIMEFRAME, expected)
        assert consumer.strategy.get_entry_signal(pair, BASE_TIMEFRAME, actual) == signal
        compared["entry signals"] += signal[0] is not None
        exit_signal = reference.strategy.get_exit_signal(pair, BASE_TIMEFRAME, expected)
        assert consumer.strategy.get_exit_signal(pair, BASE_TIMEFRAME, actual) == exit_signal
        compared["exit signals"] += bool(exit_signal[1])

        rate = float(expected["close"].iat[-1])
        written = run_order_filled(reference.strategy, reference.trades[pair], now)
        assert run_order_filled(consumer.strategy, consumer.trades[pair], now) == written
        plain_calls = callback_calls(pair, reference.trades[pair], now, rate)
        fleet_calls = callback_calls(pair, consumer.trades[pair], now, rate)
        for (name, plain_args), (_, fleet_args) in zip(plain_calls, fleet_calls, strict=True):
            answer = getattr(reference.strategy, name)(**plain_args)
            assert _same(getattr(consumer.strategy, name)(**fleet_args), answer), (name, pair)
            compared["callbacks"] += 1
            if not _same(answer, _default(name, plain_args)):
                non_default[name] += 1


def _default(name: str, arguments: dict) -> object:
    from freqfleet.strategy.callbacks import NEUTRAL_DEFAULTS

    return NEUTRAL_DEFAULTS[name](arguments)
