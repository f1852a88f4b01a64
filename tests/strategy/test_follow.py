"""The follower as the strategy sees it: set-up from the config and answers to callbacks.

Uses freqtrade's own sample strategy loaded by its resolver, real ``Trade`` objects and
freqtrade's entry-signal evaluation on the frames the follower returns.
"""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import freqtrade.templates
import pandas as pd
import pytest
from freqtrade.enums import RunMode, SignalDirection
from freqtrade.persistence import Trade, init_db
from freqtrade.persistence.usedb_context import enable_database_use
from freqtrade.resolvers import StrategyResolver

from freqfleet.errors import ConfigError, StrategySetupError
from freqfleet.strategy.follow import FleetTradeFollower, create_follower
from freqfleet.strategy.follow_events import from_message
from tests.strategy.follow_messages import entry_fill, exit_fill

TOKEN = "secret-ws-token-that-must-not-be-logged"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def consumer_config(tmp_path: Path, **fleet) -> dict:
    return {
        "strategy": "SampleStrategy",
        "strategy_path": str(Path(freqtrade.templates.__file__).parent),
        "user_data_dir": tmp_path,
        "runmode": RunMode.DRY_RUN,
        "dry_run": True,
        "stake_currency": "USDT",
        "stake_amount": 10,
        "timeframe": "5m",
        "max_open_trades": 3,
        "internals": {"process_throttle_secs": 1},
        "external_message_consumer": {
            "enabled": True,
            "producers": [
                {"name": "p1", "host": "127.0.0.1", "port": closed_port(), "ws_token": TOKEN}
            ],
        },
        "fleet": fleet,
    }


def load(config: dict):
    return StrategyResolver.load_strategy(config)


@pytest.fixture
def trades_db():
    """freqtrade's trade database, in memory (the follower reads open trades from it)."""
    enable_database_use()  # a backtest run earlier in the session may have switched it off
    init_db("sqlite://")
    yield
    Trade.session.remove()


@pytest.fixture
def follower(tmp_path, trades_db):
    strategy = load(consumer_config(tmp_path, follow=["exits", "force_entries"]))
    follower = create_follower(strategy)
    assert isinstance(follower, FleetTradeFollower)
    yield follower
    follower.stop()


def make_trade(pair: str, opened: datetime, stake: float = 100.0) -> Trade:
    return Trade(
        pair=pair,
        open_date=opened.replace(tzinfo=None),
        open_rate=100.0,
        amount=stake / 100.0,
        stake_amount=stake,
        fee_open=0.001,
        fee_close=0.001,
        exchange="binance",
        is_open=True,
        leverage=1.0,
    )


def test_default_follows_exits_on_a_consumer(tmp_path):
    follower = create_follower(load(consumer_config(tmp_path)))
    assert follower is not None
    assert follower.stats()["follow"] == "exits"
    # `freqfleet status` lists these as "name value": flat, JSON-ready scalars
    assert all(isinstance(v, int | str) for v in follower.stats().values())


@pytest.mark.parametrize("runmode", [RunMode.BACKTEST, RunMode.HYPEROPT, RunMode.PLOT])
def test_no_follower_outside_live_and_dry_run(tmp_path, runmode):
    config = consumer_config(tmp_path)
    strategy = load(config)
    strategy.config["runmode"] = runmode
    assert create_follower(strategy) is None


def test_no_follower_without_producers_or_with_empty_follow(tmp_path):
    config = consumer_config(tmp_path, follow=[])
    assert create_follower(load(config)) is None
    config = consumer_config(tmp_path)
    config["external_message_consumer"]["enabled"] = False
    assert create_follower(load(config)) is None


def test_unknown_follow_value_names_field_and_choices(tmp_path):
    strategy = load(consumer_config(tmp_path, follow=["exits", "stoplosses"]))
    with pytest.raises(ConfigError, match=r"fleet\.follow.*'stoplosses'.*force_entries"):
        create_follower(strategy)


def test_position_adjustments_need_position_adjustment_enable(tmp_path):
    strategy = load(consumer_config(tmp_path, follow=["position_adjustments"]))
    with pytest.raises(StrategySetupError, match="position_adjustment_enable"):
        create_follower(strategy)
    config = consumer_config(tmp_path, follow=["position_adjustments"])
    config["position_adjustment_enable"] = True
    assert create_follower(load(config)) is not None


def test_unreachable_producer_retries_stops_cleanly_and_never_logs_token(follower, caplog):
    caplog.set_level(logging.DEBUG)
    follower.runner.initial_backoff = 0.05
    follower.start()
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while follower.connections()["p1"]["failures"] < 2 and datetime.now(UTC) < deadline:
        follower.on_loop(datetime.now(UTC))
    stats = follower.connections()["p1"]
    assert stats["failures"] >= 2
    assert stats["connected"] is False
    follower.stop()
    assert not follower.runner.running
    assert "unavailable" in caplog.text
    assert TOKEN not in caplog.text


def test_followed_exit_answers_custom_exit_for_the_pair_only(follower):
    opened = datetime.now(UTC) - timedelta(minutes=5)
    closed = datetime.now(UTC)
    follower._inbox.put(
        from_message("p1", exit_fill(9, "ETH/USDT", opened, closed, exit_reason="roi"))
    )
    eth = make_trade("ETH/USDT", opened + timedelta(seconds=1))
    btc = make_trade("BTC/USDT", opened + timedelta(seconds=1))
    assert follower.exit_reason(btc, closed) is None
    assert follower.exit_reason(eth, closed) == "fleet:p1:roi"
    assert follower.stats()["followed_exits"] == 1


def test_followed_force_entry_is_a_signal_on_the_newest_candle(follower):
    strategy = follower._strategy
    now = datetime.now(UTC)
    dates = pd.date_range(end=now.replace(second=0, microsecond=0), periods=3, freq="5min")
    frame = pd.DataFrame(
        {"date": dates, "close": [1.0, 1.1, 1.2], "enter_long": 0, "exit_long": [0, 0, 1]}
    )
    original = frame.copy()
    assert strategy.get_entry_signal("ETH/USDT", "5m", frame) == (None, None)

    follower._inbox.put(
        from_message("p1", entry_fill(4, "ETH/USDT", now, enter_tag="force_entry"), now)
    )
    assert follower.apply_entries("BTC/USDT", frame) is frame
    followed = follower.apply_entries("ETH/USDT", frame)
    pd.testing.assert_frame_equal(frame, original)  # the cached frame is left alone
    assert strategy.get_entry_signal("ETH/USDT", "5m", followed) == (
        SignalDirection.LONG,
        "fleet:p1:force_entry",
    )


def test_followed_adjustment_scales_consumer_stake(tmp_path):
    config = consumer_config(tmp_path, follow=["position_adjustments"])
    config["position_adjustment_enable"] = True
    follower = create_follower(load(config))
    opened = datetime.now(UTC) - timedelta(minutes=5)
    msg = entry_fill(4, "ETH/USDT", opened, sub_trade=True, amount=0.25, open_rate=100.0,
                     stake_amount=125.0)  # fmt: skip
    follower._inbox.put(from_message("p1", msg))
    trade = make_trade("ETH/USDT", opened, stake=40.0)
    assert follower.stake_adjustment(trade, datetime.now(UTC)) == pytest.approx(10.0)
    assert follower.stake_adjustment(trade, datetime.now(UTC)) is None


def test_loop_counts_exits_on_pairs_the_consumer_does_not_trade(follower):
    opened = datetime.now(UTC) - timedelta(minutes=5)
    Trade.session.add(make_trade("ETH/USDT", opened))
    Trade.commit()
    for trade_id, pair in enumerate(("ETH/USDT", "XRP/USDT"), start=1):
        msg = exit_fill(trade_id, pair, opened, datetime.now(UTC))
        follower._inbox.put(from_message("p1", msg))
    follower.on_loop(datetime.now(UTC))
    stats = follower.stats()
    assert stats["ignored_no_consumer_trade"] == stats["ignored"] == 1
    assert stats["pending"] == 1


def test_exits_are_left_to_the_producer_only_while_it_is_connected(follower):
    trade = make_trade("ETH/USDT", datetime.now(UTC))
    assert follower.owns_exit(trade) is False  # never connected: the strategy decides
    follower.runner.states["p1"].connected = True
    assert follower.owns_exit(trade) is True


def test_following_exits_needs_use_exit_signal(tmp_path):
    config = consumer_config(tmp_path)
    config["use_exit_signal"] = False
    with pytest.raises(StrategySetupError, match="use_exit_signal"):
        create_follower(load(config))


def test_exit_from_a_producer_that_no_longer_serves_the_pair_is_ignored(follower):
    from freqtrade.data.dataprovider import DataProvider

    strategy = follower._strategy
    strategy.dp = DataProvider(strategy.config, None)
    strategy.dp._set_producer_pairs(["BTC/USDT"], producer_name="p1")  # as the consumer does
    opened = datetime.now(UTC) - timedelta(minutes=5)
    trade = make_trade("ETH/USDT", opened)
    Trade.session.add(trade)
    Trade.commit()
    follower._inbox.put(from_message("p1", exit_fill(3, "ETH/USDT", opened, datetime.now(UTC))))
    follower.on_loop(datetime.now(UTC))
    assert follower.exit_reason(trade, datetime.now(UTC)) is None
    assert follower.stats()["ignored_producer_not_serving"] == 1


def test_a_new_follower_stops_the_previous_one(tmp_path, trades_db):
    """freqtrade's config reload builds a new strategy and calls bot_start again."""
    first = create_follower(load(consumer_config(tmp_path)))
    second = create_follower(load(consumer_config(tmp_path)))
    first.start()
    assert first.runner.running
    second.start()
    assert not first.runner.running
    assert second.runner.running
    second.stop()
