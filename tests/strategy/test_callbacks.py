"""A consumer's strategy callbacks while a pair has no producer data: freqtrade's neutral
answer instead of the strategy's code, which runs again once data is there."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from freqtrade.persistence import Trade
from freqtrade.strategy import IStrategy
from pandas import DataFrame

from freqfleet.strategy.callbacks import NEUTRAL_DEFAULTS, guard_callbacks

PAIR = "ETH/BTC"
NOW = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)


class Reading(IStrategy):
    """Every callback reads the producer's frame, as a public strategy's do (``iloc[-1]``)."""

    timeframe = "5m"
    minimal_roi = {"0": 0.1}
    stoploss = -0.1

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe


def _reads_the_frame(name: str):
    def callback(self: Reading, *args: Any, **kwargs: Any) -> Any:
        return ("own", name)

    return callback


for _name in NEUTRAL_DEFAULTS:
    setattr(Reading, _name, _reads_the_frame(_name))


def trade() -> Trade:
    return Trade(
        pair=PAIR,
        open_rate=1.0,
        amount=1.0,
        stake_amount=1.0,
        fee_open=0.0,
        fee_close=0.0,
        open_date=NOW,
        is_open=True,
        exchange="binance",
    )


CALLS: dict[str, tuple[dict[str, Any], Any]] = {
    "custom_stake_amount": ({"pair": PAIR, "current_time": NOW, "proposed_stake": 12.5}, 12.5),
    "custom_entry_price": ({"pair": PAIR, "trade": None, "proposed_rate": 1.5}, 1.5),
    "custom_exit_price": ({"pair": PAIR, "proposed_rate": 1.6}, 1.6),
    "confirm_trade_entry": ({"pair": PAIR, "order_type": "limit"}, True),
    "confirm_trade_exit": ({"pair": PAIR, "exit_reason": "roi"}, True),
    "custom_exit": ({"pair": PAIR, "current_profit": 0.01}, None),
    "custom_stoploss": ({"pair": PAIR, "current_profit": 0.01}, None),
    "custom_roi": ({"pair": PAIR, "trade_duration": 5}, None),
    "adjust_trade_position": ({"current_rate": 1.0}, None),
    "adjust_entry_price": ({"pair": PAIR, "current_order_rate": 2.0}, 2.0),
    "adjust_exit_price": ({"pair": PAIR, "current_order_rate": 2.1}, 2.1),
    "adjust_order_price": ({"pair": PAIR, "current_order_rate": 2.2}, 2.2),
    "check_entry_timeout": ({"pair": PAIR}, False),
    "check_exit_timeout": ({"pair": PAIR}, False),
    "order_filled": ({"pair": PAIR}, None),
    "leverage": ({"pair": PAIR, "proposed_leverage": 3.0}, 1.0),
}


def test_every_guarded_callback_has_a_case() -> None:
    assert set(CALLS) == set(NEUTRAL_DEFAULTS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_without_data_the_neutral_answer_with_data_the_strategys(name: str) -> None:
    strategy = Reading({})
    data: set[str] = set()
    skipped: list[tuple[str, str]] = []
    guard_callbacks(strategy, data.__contains__, lambda pair, cb: skipped.append((pair, cb)))
    arguments, neutral = CALLS[name]
    arguments = {"trade": trade(), **arguments}
    assert getattr(strategy, name)(**arguments) == neutral
    assert skipped == [(PAIR, name)]
    data.add(PAIR)
    assert getattr(strategy, name)(**arguments) == ("own", name)
    assert skipped == [(PAIR, name)]


def test_the_pair_comes_from_the_trade_when_not_passed() -> None:
    strategy = Reading({})
    skipped: list[tuple[str, str]] = []
    guard_callbacks(strategy, lambda pair: False, lambda pair, cb: skipped.append((pair, cb)))
    assert strategy.adjust_trade_position(trade=trade(), current_time=NOW) is None
    assert skipped == [(PAIR, "adjust_trade_position")]


def test_calls_about_no_pair_run_the_strategys_code() -> None:
    strategy = Reading({})
    guard_callbacks(strategy, lambda pair: False, lambda pair, cb: None)
    assert strategy.leverage(current_time=NOW) == ("own", "leverage")


def test_only_the_named_callbacks_are_guarded_on_this_instance_only() -> None:
    strategy = Reading({})
    guard_callbacks(strategy, lambda pair: False, lambda pair, cb: None, names=("custom_exit",))
    assert strategy.custom_exit(pair=PAIR, trade=trade()) is None
    assert strategy.custom_stoploss(pair=PAIR, trade=trade()) == ("own", "custom_stoploss")
    assert Reading({}).custom_exit(pair=PAIR, trade=trade()) == ("own", "custom_exit")
