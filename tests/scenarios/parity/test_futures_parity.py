"""Parity on futures: a long/short strategy on USDT-settled swaps decides on a fleet
consumer exactly what it decides in a plain bot.

``BigFuturesParity`` (parity_data/big_futures_parity.py) shorts and longs with tags,
picks its leverage by entry tag, reads mark and funding-rate candles and an informative
market pair. A plain bot runs it on four swaps in isolated margin; a fleet runs
``BigFuturesParityFleet`` as two producers (two swaps each) and a consumer, on the same
recorded candles, one candle at a time; the producers' frames travel with candle type
``futures``. Every step compares the frames, the entry and exit signals of both sides and
every data-reading callback (``leverage`` included) for a long and a short trade per pair.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import time_machine
from freqtrade.enums import CandleType, SignalDirection
from freqtrade.persistence import Trade, init_db
from freqtrade.persistence.usedb_context import enable_database_use

from freqfleet.strategy.callbacks import NEUTRAL_DEFAULTS

from .parity_support import (
    BASE_TIMEFRAME,
    PARITY_STRATEGY,
    FuturesRecordedMarket,
    assert_same_frame,
    deliver,
    futures_parity_config,
    initial_messages,
    open_futures_trade,
    run_order_filled,
    start_bot,
    step_time,
    stop_bot,
    user_data_with,
)

STRATEGY_FILE = PARITY_STRATEGY.parent / "big_futures_parity.py"
SOURCES = {
    "ETH/USDT:USDT": "ETH/BTC",
    "LTC/USDT:USDT": "LTC/BTC",
    "XMR/USDT:USDT": "XMR/BTC",
    "ZEC/USDT:USDT": "ZEC/BTC",
    "BTC/USDT:USDT": "DASH/BTC",  # the informative market pair, traded by nobody
}
PAIRS = list(SOURCES)[:4]
SHARES = {"producer-1": PAIRS[0::2], "producer-2": PAIRS[1::2]}
STEPS = int(os.environ.get("FUTURES_PARITY_STEPS", "100"))
CALLBACKS = {
    "custom_exit",
    "custom_stoploss",
    "adjust_trade_position",
    "custom_stake_amount",
    "custom_entry_price",
    "custom_exit_price",
    "confirm_trade_entry",
    "confirm_trade_exit",
    "leverage",
}
ENTRY_TAGS = {
    "long": ("rsi_dip", "bb_bounce", "trend_pullback", None),
    "short": ("rsi_spike", "bb_reject", "trend_fade", None),
}


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
@pytest.mark.timeout(600)
def test_futures_consumer_decides_longs_shorts_and_leverage_as_a_plain_bot(tmp_path, trades_db):
    user_data = user_data_with(tmp_path, STRATEGY_FILE)
    now = pd.Timestamp(datetime.now(UTC)).floor("1D")
    market = FuturesRecordedMarket(SOURCES, end=now.to_pydatetime(), window_start=now)
    first, last = market.recording
    market.window_start = first + pd.Timedelta(days=8)
    start = market.window_start + pd.Timedelta(minutes=5 * 400)
    assert start + pd.Timedelta(minutes=5 * STEPS) <= last

    compared: Counter[str] = Counter()
    non_default: Counter[str] = Counter()
    with time_machine.travel(start.to_pydatetime(), tick=False) as clock:
        market.move_to(start)
        clock.move_to(step_time(market))
        plain = futures_parity_config(user_data, "BigFuturesParity", PAIRS)
        reference = start_bot(plain, market, PAIRS)
        producers = {
            name: start_bot(
                futures_parity_config(user_data, "BigFuturesParityFleet", share),
                market,
                share,
                producer=True,
            )
            for name, share in SHARES.items()
        }
        fleet = futures_parity_config(user_data, "BigFuturesParityFleet", PAIRS, list(SHARES))
        consumer = start_bot(fleet, market, PAIRS)
        assert consumer.strategy.fleet_role == "consumer"
        assert reference.strategy.can_short and consumer.strategy.can_short
        try:
            reference.analyze()
            for name, producer in producers.items():
                producer.analyze()
                producer.rpc.take()
                deliver(consumer, name, initial_messages(producer, CandleType.FUTURES))
            consumer.analyze()
            trades = _open_trades(reference, consumer, step_time(market) - timedelta(hours=2))

            for step in range(STEPS):
                market.move_to(market.now + pd.Timedelta(minutes=5))
                clock.move_to(step_time(market))
                reference.analyze()
                for name, producer in producers.items():
                    producer.analyze()
                    sent = producer.rpc.take()
                    assert {m["data"]["key"][2] for m in sent} == {CandleType.FUTURES}
                    deliver(consumer, name, sent)
                if step % 2:
                    consumer.analyze()  # a loop between the producers' messages
                consumer.analyze()
                _compare_step(reference, consumer, trades, compared, non_default)
        finally:
            for bot in (consumer, reference, *producers.values()):
                stop_bot(bot)

    print(
        f"\nfutures parity: {compared['frames']} frames ({STEPS} candles x {len(PAIRS)} swaps), "
        f"{compared['columns']} column comparisons, {compared['callbacks']} callback calls "
        f"({dict(non_default)} non-default), signals {dict(_signals(compared))}, 0 mismatches"
    )
    assert compared["frames"] == STEPS * len(PAIRS)
    assert compared["columns"] // compared["frames"] >= 200
    for signal in ("enter long", "enter short", "exit long", "exit short"):
        assert compared[signal] > 0, signal
    assert set(non_default) >= CALLBACKS
    # The leverage callback chose more than one leverage, for both sides.
    assert compared["leverage long > 1"] > 0 and compared["leverage short > 1"] > 0


def _signals(compared: Counter[str]) -> dict[str, int]:
    return {k: v for k, v in compared.items() if k.startswith(("enter ", "exit "))}


def _open_trades(reference: Any, consumer: Any, opened: datetime) -> dict[str, list[tuple]]:
    """A long (leverage 3) and a short (leverage 2) per swap, in each bot's database."""
    pairs: dict[str, list[tuple]] = {}
    for pair in PAIRS:
        rate = float(reference.frame(pair)["close"].iat[-30])
        pairs[pair] = [
            (
                open_futures_trade(pair, opened, rate, "plain", short=short, leverage=lev),
                open_futures_trade(pair, opened, rate, "fleet", short=short, leverage=lev),
            )
            for short, lev in ((False, 3.0), (True, 2.0))
        ]
    return pairs


def _compare_step(
    reference: Any,
    consumer: Any,
    trades: dict[str, list[tuple]],
    compared: Counter[str],
    non_default: Counter[str],
) -> None:
    now = datetime.now(UTC)
    for pair in PAIRS:
        expected = reference.frame(pair)
        actual = consumer.frame(pair)
        assert_same_frame(actual, expected)
        compared["frames"] += 1
        compared["columns"] += expected.shape[1]

        signal = reference.strategy.get_entry_signal(pair, BASE_TIMEFRAME, expected)
        assert consumer.strategy.get_entry_signal(pair, BASE_TIMEFRAME, actual) == signal
        if signal[0] is not None:
            compared[f"enter {'short' if signal[0] == SignalDirection.SHORT else 'long'}"] += 1
        for short in (False, True):
            exit_signal = reference.strategy.get_exit_signal(
                pair, BASE_TIMEFRAME, expected, is_short=short
            )
            assert (
                consumer.strategy.get_exit_signal(pair, BASE_TIMEFRAME, actual, is_short=short)
                == exit_signal
            )
            compared[f"exit {'short' if short else 'long'}"] += bool(exit_signal[1])

        rate = float(expected["close"].iat[-1])
        for plain_trade, fleet_trade in trades[pair]:
            written = run_order_filled(reference.strategy, plain_trade, now)
            assert run_order_filled(consumer.strategy, fleet_trade, now) == written
            plain_calls = futures_callback_calls(pair, plain_trade, now, rate)
            fleet_calls = futures_callback_calls(pair, fleet_trade, now, rate)
            for (name, plain_args), (_, fleet_args) in zip(plain_calls, fleet_calls, strict=True):
                answer = getattr(reference.strategy, name)(**plain_args)
                assert _same(getattr(consumer.strategy, name)(**fleet_args), answer), (name, pair)
                compared["callbacks"] += 1
                if not _same(answer, NEUTRAL_DEFAULTS[name](plain_args)):
                    non_default[name] += 1
                if name == "leverage" and answer > 1.0:
                    compared[f"leverage {plain_args['side']} > 1"] += 1


def futures_callback_calls(
    pair: str, trade: Trade, now: datetime, rate: float
) -> list[tuple[str, dict[str, Any]]]:
    """Every data-reading callback with the arguments freqtrade passes it on futures."""
    side = "short" if trade.is_short else "long"
    profit = trade.calc_profit_ratio(rate)
    common = {"pair": pair, "current_time": now}
    position = {"trade": trade, "current_rate": rate, "current_profit": profit}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("custom_exit", {**common, **position}),
        ("custom_stoploss", {**common, **position, "after_fill": False}),
        (
            "adjust_trade_position",
            {
                **position,
                "current_time": now,
                "min_stake": 5.0,
                "max_stake": 1000.0,
                "current_entry_rate": rate,
                "current_exit_rate": rate,
                "current_entry_profit": profit,
                "current_exit_profit": profit,
            },
        ),
        (
            "custom_exit_price",
            {
                **common,
                "trade": trade,
                "proposed_rate": rate * 1.001,
                "current_profit": profit,
                "exit_tag": None,
            },
        ),
    ]
    for tag in ENTRY_TAGS[side]:
        tagged = {**common, "entry_tag": tag, "side": side}
        calls += [
            (
                "leverage",
                {**tagged, "current_rate": rate, "proposed_leverage": 1.0, "max_leverage": 10.0},
            ),
            (
                "custom_stake_amount",
                {
                    **tagged,
                    "current_rate": rate,
                    "proposed_stake": 100.0,
                    "min_stake": 5.0,
                    "max_stake": 1000.0,
                    "leverage": 3.0,
                },
            ),
            ("custom_entry_price", {**tagged, "trade": None, "proposed_rate": rate * 0.999}),
            (
                "confirm_trade_entry",
                {
                    **tagged,
                    "order_type": "limit",
                    "amount": 1.0,
                    "rate": rate,
                    "time_in_force": "GTC",
                },
            ),
        ]
    calls += [
        (
            "confirm_trade_exit",
            {
                **common,
                "trade": trade,
                "order_type": "limit",
                "amount": trade.amount,
                "rate": rate * (1.01 if trade.is_short else 0.99),
                "time_in_force": "GTC",
                "exit_reason": reason,
            },
        )
        for reason in ("exit_signal", "ema_cross_down", "ema_cross_up", "force_exit", "roi")
    ]
    return calls
