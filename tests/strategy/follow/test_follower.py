"""The follower as the strategy sees it: set-up from the config and answers to callbacks.

Uses freqtrade's own sample strategy loaded by its resolver and real ``Trade`` objects.
"""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import freqtrade.templates
import pytest
from freqtrade.enums import RunMode, SignalDirection
from freqtrade.persistence import Trade, init_db
from freqtrade.persistence.usedb_context import enable_database_use
from freqtrade.resolvers import StrategyResolver

from freqfleet.errors import StrategySetupError
from freqfleet.strategy.consumer import FleetConsumer
from freqfleet.strategy.follow import FOLLOWED_EXIT_KEY, FleetTradeFollower, create_follower
from freqfleet.strategy.follow.events import from_message
from freqfleet.strategy.settings import check_fleet_config
from tests.strategy.follow.messages import entry_fill, exit_fill

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


def follower_of(strategy):
    """The follower a fleet consumer with ``strategy``'s config would run."""
    settings = check_fleet_config(strategy.config)
    return create_follower(strategy, FleetConsumer(settings) if settings else None)


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
    follower = follower_of(strategy)
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
    follower = follower_of(load(consumer_config(tmp_path)))
    assert follower is not None
    assert follower.stats()["follow"] == "exits"
    # `freqfleet status` lists these as "name value": flat, JSON-ready scalars
    assert all(isinstance(v, int | str) for v in follower.stats().values())


@pytest.mark.parametrize("runmode", [RunMode.BACKTEST, RunMode.HYPEROPT, RunMode.PLOT])
def test_no_follower_outside_live_and_dry_run(tmp_path, runmode):
    config = consumer_config(tmp_path)
    strategy = load(config)
    strategy.config["runmode"] = runmode
    assert follower_of(strategy) is None


def test_no_follower_without_producers_or_with_empty_follow(tmp_path):
    config = consumer_config(tmp_path, follow=[])
    assert follower_of(load(config)) is None
    config = consumer_config(tmp_path)
    config["external_message_consumer"]["enabled"] = False
    assert follower_of(load(config)) is None


def test_unknown_follow_value_names_field_and_choices(tmp_path):
    strategy = load(consumer_config(tmp_path, follow=["exits", "stoplosses"]))
    with pytest.raises(StrategySetupError, match=r"fleet\.follow.*'stoplosses'.*force_entries"):
        follower_of(strategy)


def test_position_adjustments_need_position_adjustment_enable(tmp_path):
    strategy = load(consumer_config(tmp_path, follow=["position_adjustments"]))
    with pytest.raises(StrategySetupError, match="position_adjustment_enable"):
        follower_of(strategy)
    config = consumer_config(tmp_path, follow=["position_adjustments"])
    config["position_adjustment_enable"] = True
    assert follower_of(load(config)) is not None


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


def test_followed_exit_keeps_the_producers_reason_for_the_pair_only(follower):
    opened = datetime.now(UTC) - timedelta(minutes=5)
    closed = datetime.now(UTC)
    follower._inbox.put(
        from_message("p1", exit_fill(9, "ETH/USDT", opened, closed, exit_reason="force_exit"))
    )
    eth = make_trade("ETH/USDT", opened + timedelta(seconds=1))
    btc = make_trade("BTC/USDT", opened + timedelta(seconds=1))
    Trade.session.add_all([eth, btc])
    Trade.commit()
    # A pending exit: the consumer takes the pair's price fresh (exit_pricing).
    assert follower.exit_pending("ETH/USDT") and not follower.exit_pending("BTC/USDT")
    assert follower.exit_reason(btc, closed) is None
    # The strategy's confirm_trade_exit sees the producer's own reason; where it came
    # from is kept in the trade's custom data.
    assert follower.exit_reason(eth, closed) == "force_exit"
    assert eth.get_custom_data(FOLLOWED_EXIT_KEY) == "p1:force_exit"
    assert btc.get_custom_data(FOLLOWED_EXIT_KEY) is None
    assert follower.stats()["followed_exits"] == 1


def test_followed_force_entry_is_a_signal_for_its_pair(follower):
    now = datetime.now(UTC)
    assert follower.entry_signal("ETH/USDT") is None
    follower._inbox.put(
        from_message("p1", entry_fill(4, "ETH/USDT", now, enter_tag="force_entry"), now)
    )
    assert follower.entry_signal("BTC/USDT") is None
    assert follower.entry_signal("ETH/USDT") == (SignalDirection.LONG, "fleet:p1:force_entry")


def test_followed_adjustment_scales_consumer_stake(tmp_path):
    config = consumer_config(tmp_path, follow=["position_adjustments"])
    config["position_adjustment_enable"] = True
    follower = follower_of(load(config))
    opened = datetime.now(UTC) - timedelta(minutes=5)
    msg = entry_fill(4, "ETH/USDT", opened, sub_trade=True, amount=0.25, open_rate=100.0,
                     stake_amount=125.0)  # fmt: skip
    follower._inbox.put(from_message("p1", msg))
    trade = make_trade("ETH/USDT", opened, stake=40.0)
    assert follower.adjustment_pending("ETH/USDT")  # its price is then taken fresh
    assert follower.stake_adjustment(trade, datetime.now(UTC)) == pytest.approx(10.0)
    assert not follower.adjustment_pending("ETH/USDT")
    # Asked again in the same loop (decided on a reused price, placed on a fresh one):
    # the same answer; applied once, nothing from the next loop on.
    assert follower.stake_adjustment(trade, datetime.now(UTC)) == pytest.approx(10.0)
    follower.on_loop(datetime.now(UTC))
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


def test_exits_are_left_to_the_producer_only_while_it_holds_the_pair(follower):
    follower._consumer.router.refresh({"p1": ["ETH/USDT"]})
    opened = datetime.now(UTC) - timedelta(minutes=5)
    trade = make_trade("ETH/USDT", opened)
    assert follower.owns_exit(trade) is False  # never connected: the strategy decides
    follower.runner.states["p1"].connected = True
    # Connected, but the producer holds no trade on the pair (e.g. an entry by hand).
    assert follower.owns_exit(trade) is False
    follower._inbox.put(from_message("p1", entry_fill(7, "ETH/USDT", opened)))
    assert follower.owns_exit(trade) is True
    assert follower.owns_exit(make_trade("BTC/USDT", opened)) is False
    # The producer's trade closed (an exit the consumer may not follow, e.g. older than
    # its trade): the strategy's own custom_exit decides again.
    follower._inbox.put(from_message("p1", exit_fill(7, "ETH/USDT", opened, datetime.now(UTC))))
    assert follower.owns_exit(trade) is False


def test_following_exits_needs_use_exit_signal(tmp_path):
    config = consumer_config(tmp_path)
    config["use_exit_signal"] = False
    with pytest.raises(StrategySetupError, match="use_exit_signal"):
        follower_of(load(config))


def test_exit_from_a_producer_that_no_longer_serves_the_pair_is_ignored(follower):
    follower._consumer.router.refresh({"p1": ["BTC/USDT"]})
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
    first = follower_of(load(consumer_config(tmp_path)))
    second = follower_of(load(consumer_config(tmp_path)))
    first.start()
    assert first.runner.running
    second.start()
    assert not first.runner.running
    assert second.runner.running
    second.stop()
