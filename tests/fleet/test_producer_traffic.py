"""Producers' exchange settings: freqtrade's own dry-run bookkeeping with them, on the simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from freqtrade.exceptions import ConfigurationError
from freqtrade.resolvers import ExchangeResolver

from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.producer_traffic import producer_exchange_settings
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.sim import RunningSimulator, running_simulator
from freqfleet.sim.config import BOT_HEADER
from tests.kit.sim_bots import dry_run_config
from tests.kit.user_config import USER_PRICING, user_config

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(pairs=6, seed=5) as running:
        yield running


def bot_config(sim: RunningSimulator, tmp_path: Path, bot: str) -> dict[str, Any]:
    return dry_run_config(sim, tmp_path, bot, **USER_PRICING)


def bookkeep_one_trade(config: dict[str, Any], pair: str) -> list[dict[str, Any]]:
    """What a dry-run bot asks the exchange for one trade: price, place, check, exit."""
    exchange = ExchangeResolver.load_exchange(config, validate=True)
    try:
        orders = []
        rate = exchange.get_rate(pair, refresh=True, side="entry", is_short=False)
        entry = exchange.create_dry_run_order(pair, "limit", "buy", 1.0, rate, 1.0)
        orders.append(exchange.fetch_dry_run_order(entry["id"]))
        for _ in range(3):  # three loops holding the trade
            exit_rate = exchange.get_rate(pair, refresh=True, side="exit", is_short=False)
        exit_ = exchange.create_dry_run_order(pair, "limit", "sell", 1.0, exit_rate, 1.0)
        orders.append(exchange.fetch_dry_run_order(exit_["id"]))
        return orders
    finally:
        exchange.close()


def test_a_producer_keeps_its_trades_without_order_books(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    user = bot_config(sim, tmp_path, "plain-bot")
    producer = producer_exchange_settings(bot_config(sim, tmp_path, "producer-1"), ["exits"], "5m")
    plain_orders = bookkeep_one_trade(user, "BTC/USDT")
    producer_orders = bookkeep_one_trade(producer, "BTC/USDT")

    bots = sim.bot_stats()
    assert bots["plain-bot"]["requests"]["/api/v3/depth"] >= 5  # what the settings remove
    assert "/api/v3/depth" not in bots["producer-1"]["requests"]
    assert bots["producer-1"]["requests"]["/api/v3/ticker/24hr"] == 4  # entry + 3 exit checks
    # The producer's trade opens and closes (a limit order fills when placed: what the
    # consumer follows), priced at the ticker's best bid/ask, the book's top level.
    assert [o["status"] for o in producer_orders] == ["closed", "closed"]
    for plain, quiet in zip(plain_orders, producer_orders, strict=True):
        assert quiet["price"] == pytest.approx(plain["price"], rel=0.01)


def test_a_futures_producer_prices_on_the_books_top_level(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    """Binance's futures tickers have no bid or ask: freqtrade refuses ticker pricing there."""
    keys = sim.futures_config(bot="futures-producer")
    config = {**bot_config(sim, tmp_path, "futures-producer"), **keys}
    config["candle_type_def"] = "futures"
    producer = producer_exchange_settings(config, ["exits"], "5m")
    assert producer["entry_pricing"]["use_order_book"] is True
    assert producer["entry_pricing"]["order_book_top"] == 1
    assert not producer["entry_pricing"]["check_depth_of_market"]["enabled"]
    assert "_ft_has_params" not in producer["exchange"]
    pair = sim.futures_pairs[0]
    exchange = ExchangeResolver.load_exchange(producer, validate=True)
    try:
        rate = exchange.get_rate(pair, refresh=True, side="entry", is_short=True)
        order = exchange.create_dry_run_order(pair, "limit", "sell", 1.0, rate, 2.0)
        assert exchange.fetch_dry_run_order(order["id"])["status"] in ("open", "closed")
    finally:
        exchange.close()
    assert sim.bot_stats()["futures-producer"]["requests"]["/fapi/v1/depth"] >= 1


def test_settings_keep_the_users_others_and_loop_once_a_candle_only_without_followed_exits() -> (
    None
):
    config = {"exchange": {"name": "binance"}, **USER_PRICING}
    following = producer_exchange_settings(config, ["exits", "force_entries"], "5m")
    assert following["internals"]["process_throttle_secs"] == 5
    assert following["entry_pricing"]["price_side"] == "other"
    assert following["entry_pricing"]["check_depth_of_market"] == {
        "enabled": False,
        "bids_to_ask_delta": 0.5,
    }
    assert following["exchange"]["_ft_has_params"] == {
        "exchange_has_overrides": {"fetchL2OrderBook": False}
    }
    assert config["entry_pricing"]["use_order_book"] is True  # the input is not changed
    for follow, throttle in (([], 300), (["force_exits"], 300), (["position_adjustments"], 5)):
        settings = producer_exchange_settings(config, follow, "5m")
        assert settings["internals"]["process_throttle_secs"] == throttle


def test_the_plan_names_every_bot_and_quiets_only_the_producers(
    user_dir: Path, tmp_path: Path
) -> None:
    config = user_config(fleet={"producers": 2}, **USER_PRICING)
    write_plan(config, validate_fleet_config(config), tmp_path / "plan", config_dir=user_dir)
    plan = tmp_path / "plan"
    consumer = json.loads((plan / "consumer.json").read_text())
    assert consumer["exchange"]["ccxt_config"]["headers"] == {BOT_HEADER: "consumer"}
    assert consumer["entry_pricing"] == USER_PRICING["entry_pricing"]
    assert "_ft_has_params" not in consumer["exchange"]
    for name in ("producer-1", "producer-2"):
        producer = json.loads((plan / f"{name}.json").read_text())
        assert producer["exchange"]["ccxt_async_config"]["headers"] == {BOT_HEADER: name}
        assert producer["exchange"]["_ft_has_params"]["exchange_has_overrides"] == {
            "fetchL2OrderBook": False
        }
        assert producer["entry_pricing"]["use_order_book"] is False
        assert producer["exit_pricing"]["use_order_book"] is False


def test_a_futures_producer_keeps_order_book_pricing_freqtrade_accepts(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    """freqtrade refuses ticker pricing on Binance futures (no bid/ask in its tickers), so
    a futures producer prices from the top of the book, and bookkeeps a short with it."""
    pair = sim.futures_pairs[0]
    keys = sim.futures_config([pair], bot="futures-producer")
    user = dry_run_config(
        sim, tmp_path, "futures-producer", **USER_PRICING, **keys, candle_type_def="futures"
    )
    producer = producer_exchange_settings(user, ["exits"], "5m")
    assert producer["exit_pricing"]["use_order_book"] is True
    assert producer["exit_pricing"]["order_book_top"] == 1
    assert producer["entry_pricing"]["check_depth_of_market"]["enabled"] is False
    assert "_ft_has_params" not in producer["exchange"]
    exchange = ExchangeResolver.load_exchange(producer, validate=True)
    try:
        rate = exchange.get_rate(pair, refresh=True, side="entry", is_short=True)
        assert rate > 0
        # Half a percent inside the book: it crosses even if the price moved since.
        order = exchange.create_dry_run_order(pair, "limit", "sell", 0.01, rate * 0.995, 1.0)
        assert exchange.fetch_dry_run_order(order["id"])["status"] == "closed"
    finally:
        exchange.close()
    requests = sim.bot_stats()["futures-producer"]["requests"]
    assert requests["/fapi/v1/depth"] >= 1 and "/api/v3/depth" not in requests
    ticker_priced = {
        **producer,
        "exit_pricing": {**producer["exit_pricing"], "use_order_book": False},
    }
    with pytest.raises(ConfigurationError, match="Ticker pricing not available"):
        ExchangeResolver.load_exchange(ticker_priced, validate=True)
    spot = producer_exchange_settings(bot_config(sim, tmp_path, "p"), ["exits"], "5m")
    assert spot["exit_pricing"]["use_order_book"] is False  # spot producers: unchanged
