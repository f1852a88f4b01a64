from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta

from freqtrade.rpc.rpc_types import RPCEntryMsg, RPCExitMsg

from freqfleet.strategy.follow.events import (
    TRADE_EVENT_TYPES,
    from_closed_trade,
    from_message,
    parse_date,
)
from tests.strategy.follow.messages import entry, entry_fill, exit_, exit_fill

T0 = datetime(2026, 11, 25, 1, 0, 0, 123456, tzinfo=UTC)


def test_test_messages_carry_every_key_freqtrade_sends():
    exit_keys = set(typing.get_type_hints(RPCExitMsg))
    entry_keys = set(typing.get_type_hints(RPCEntryMsg))
    assert exit_keys <= set(exit_fill(1, "BTC/USDT", T0, T0))
    assert entry_keys <= set(entry_fill(1, "BTC/USDT", T0))


def test_subscribes_to_all_trade_event_types():
    assert set(TRADE_EVENT_TYPES) == {
        "entry",
        "entry_fill",
        "entry_cancel",
        "exit",
        "exit_fill",
        "exit_cancel",
    }


def test_final_exit_fill_becomes_exit_event_with_producer_dates():
    close = T0 + timedelta(minutes=3)
    event = from_message("p1", exit_fill(7, "ETH/USDT", T0, close, exit_reason="force_exit"))
    assert event is not None
    assert (event.kind, event.pair, event.trade_id, event.reason) == (
        "exit",
        "ETH/USDT",
        7,
        "force_exit",
    )
    assert event.time == close
    assert event.is_force_exit
    assert not event.is_short


def test_orders_placed_are_not_followed_only_fills():
    assert from_message("p1", exit_(7, "ETH/USDT", T0, T0)) is None
    assert from_message("p1", entry(7, "ETH/USDT", T0)) is None
    assert from_message("p1", {"type": "exit_cancel", "pair": "ETH/USDT"}) is None


def test_rest_closed_trade_has_the_same_key_as_the_websocket_exit():
    close = T0 + timedelta(minutes=3)
    ws = from_message("p1", exit_fill(7, "ETH/USDT", T0, close))
    rest = from_closed_trade(
        "p1",
        {
            "trade_id": 7,
            "pair": "ETH/USDT",
            "is_open": False,
            "is_short": False,
            "exit_reason": "exit_signal",
            "open_timestamp": int(T0.timestamp() * 1000),
            "close_timestamp": int(close.timestamp() * 1000),
        },
    )
    assert ws is not None and rest is not None
    assert ws.key == rest.key
    assert rest.source == "rest"
    assert abs((rest.time - ws.time).total_seconds()) < 0.001


def test_producer_restart_with_reused_trade_id_is_a_different_event():
    first = from_message("p1", exit_fill(1, "ETH/USDT", T0, T0 + timedelta(minutes=1)))
    later = T0 + timedelta(hours=1)
    second = from_message("p1", exit_fill(1, "ETH/USDT", later, later + timedelta(minutes=1)))
    assert first.key != second.key


def test_additional_entry_ratio_is_relative_to_stake_before():
    # producer had 100 USDT, bought 0.5 more at 100 -> now 150: +50%
    msg = entry_fill(
        3, "BTC/USDT", T0, sub_trade=True, amount=0.5, open_rate=100.0, stake_amount=150.0
    )
    event = from_message("p1", msg)
    assert event.kind == "adjust"
    assert abs(event.ratio - 0.5) < 1e-9


def test_partial_exit_ratio_is_the_share_sold():
    # sold 0.25 at 100 (25 USDT) and 75 USDT remain -> -25%
    msg = exit_fill(
        3,
        "BTC/USDT",
        T0,
        T0,
        is_final_exit=False,
        sub_trade=True,
        amount=0.25,
        open_rate=100.0,
        stake_amount=75.0,
        exit_reason="partial_exit",
    )
    event = from_message("p1", msg)
    assert event.kind == "partial_exit"
    assert abs(event.ratio + 0.25) < 1e-9


def test_first_entry_fill_with_force_tag_is_a_force_entry():
    event = from_message("p1", entry_fill(3, "BTC/USDT", T0, enter_tag="force_entry"))
    assert event.kind == "entry" and event.is_force_entry
    signal = from_message("p1", entry_fill(4, "BTC/USDT", T0, enter_tag="rsi_cross"))
    assert signal.kind == "entry" and not signal.is_force_entry


def test_malformed_messages_are_dropped():
    assert from_message("p1", {"type": "exit_fill"}) is None
    assert from_message("p1", {"type": "exit_fill", "pair": "A/B", "trade_id": "x"}) is None


def test_parse_date_accepts_iso_timestamps_and_naive():
    assert parse_date("2026-11-25T01:00:00+00:00") == datetime(2026, 11, 25, 1, tzinfo=UTC)
    assert parse_date(1_700_000_000_000).tzinfo is not None
    assert parse_date(datetime(2026, 1, 1)).tzinfo is UTC
    assert parse_date(None) is None
