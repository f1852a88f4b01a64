"""The fleet's exchange weight per minute, estimated from the configs a plan writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freqfleet.cli import main
from freqfleet.fleet.exchange_weight import (
    KLINE_REST_SHARE_WS,
    WeightEstimate,
    bot_weight,
    consumer_weight,
    estimate_fleet,
    exchange_profile,
    exchange_streams,
    producer_prices,
)
from freqfleet.fleet.manifest import FleetManifest
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.fleet.strategy_informatives import Informative
from freqfleet.sim.config import exchange_config
from tests.kit.user_config import user_config, write_config


def pairs(count: int) -> list[str]:
    return [f"C{index:03d}/USDT" for index in range(count)]


def planned(user_dir: Path, tmp_path: Path, config: dict) -> dict[str, dict]:
    """Every bot's config as ``freqfleet plan`` writes it (name -> config)."""
    out = tmp_path / "plan"
    manifest = write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    return {bot.name: json.loads((out / bot.config_files[0]).read_text()) for bot in manifest.bots}


def test_one_bot_candles_prices_and_markets() -> None:
    profile = exchange_profile()
    config = user_config(
        timeframe="5m",
        max_open_trades=4,
        internals={"process_throttle_secs": 5},
        exit_pricing={"price_side": "other", "use_order_book": True, "order_book_top": 1},
        exchange=exchange_config("http://127.0.0.1:9", pairs(150), websocket=False),
    )
    sources = [Informative("", "1h", True), Informative("BTC/USDT", "1h", False)]
    weight = bot_weight("single", config, sources, profile)
    kline = profile.weight("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "5m"})
    depth = profile.weight("/api/v3/depth", {"symbol": "BTCUSDT", "limit": "1"})
    # 150 pairs every 5 minutes, 150 + 1 informative series every hour.
    assert weight.candles == pytest.approx(kline * (150 / 5 + 151 / 60))
    # With the kline streams (Binance, enable_ws) closed candles come from the stream.
    streamed = {**config, "exchange": {**config["exchange"], "enable_ws": True}}
    assert bot_weight("single", streamed, sources, profile).candles == pytest.approx(
        KLINE_REST_SHARE_WS * kline * (150 / 5 + 151 / 60)
    )
    assert weight.prices == pytest.approx(4 * 12 * depth)  # 4 trades, 12 loops a minute
    ticker_priced = {**config, "exit_pricing": {"use_order_book": False}}
    ticker = profile.weight("/api/v3/ticker/24hr", {"symbol": "BTCUSDT"})
    assert bot_weight("single", ticker_priced, [], profile).prices == pytest.approx(4 * 12 * ticker)


def test_a_fleet_pays_candles_twice_and_its_consumer_prices_as_the_users_bot(
    user_dir: Path, tmp_path: Path
) -> None:
    config = user_config(
        fleet={"producers": 4},
        timeframe="5m",
        max_open_trades=5,
        exit_pricing={"price_side": "other", "use_order_book": True, "order_book_top": 1},
        exchange=exchange_config("http://127.0.0.1:9", pairs(150)),
    )
    configs = planned(user_dir, tmp_path, config)
    estimate = estimate_fleet(config, configs, None)
    by_name = {bot.name: bot for bot in estimate.bots}
    assert set(by_name) == {"producer-1", "producer-2", "producer-3", "producer-4", "consumer"}
    producers_candles = sum(by_name[f"producer-{i}"].candles for i in range(1, 5))
    assert producers_candles == pytest.approx(estimate.single.candles)
    assert by_name["consumer"].candles == pytest.approx(estimate.single.candles)
    # The consumer loops every second but prices open trades on the user's loop (5 s).
    assert by_name["consumer"].prices == pytest.approx(estimate.single.prices)
    # Producers price from the ticker streams (Binance, enable_ws): no request weight.
    assert all(by_name[f"producer-{i}"].prices == 0 for i in range(1, 5))
    # Candles and prices as one bot's; only the producers' markets come on top.
    assert estimate.total == pytest.approx(estimate.single.total, rel=0.1)


def test_the_consumers_prices_follow_its_exit_price_secs_not_its_loop() -> None:
    profile = exchange_profile()
    config = user_config(
        timeframe="5m",
        max_open_trades=5,
        internals={"process_throttle_secs": 1},
        exit_pricing={"price_side": "other", "use_order_book": True, "order_book_top": 1},
        exchange=exchange_config("http://127.0.0.1:9", pairs(150)),
    )
    depth = profile.weight("/api/v3/depth", {"symbol": "BTCUSDT", "limit": "1"})
    every_loop = consumer_weight("consumer", {**config, "fleet": {"role": "consumer"}}, [], profile)
    assert every_loop.prices == pytest.approx(5 * 60 * depth)  # fleet.exit_price_secs unset
    for secs in (5, 10):
        fleet = {"role": "consumer", "exit_price_secs": secs}
        reusing = consumer_weight("consumer", {**config, "fleet": fleet}, [], profile)
        assert reusing.prices == pytest.approx(5 * 60 / secs * depth)
        assert reusing.candles == every_loop.candles


def test_plan_warns_above_half_the_limit_without_a_gateway(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    busy = user_config(
        fleet={"producers": 4},
        timeframe="1m",
        max_open_trades=50,  # the consumer alone prices 50 trades on the user's 5 s loop
        exit_pricing={"price_side": "other", "use_order_book": True, "order_book_top": 1},
        exchange=exchange_config("http://127.0.0.1:9", pairs(150), websocket=False),
    )
    path = write_config(user_dir, busy)
    assert main(["plan", "-c", str(path), "-o", str(user_dir / "fleet")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "exchange weight" in line]
    assert len(warnings) == 1 and "fleet.gateway" in warnings[0]
    assert FleetManifest.load(user_dir / "fleet").bots  # the plan is written all the same

    quiet = user_config(fleet={"producers": 2}, timeframe="5m")  # 9 pairs, ticker pricing
    path = write_config(user_dir, quiet, "quiet.json")
    assert main(["plan", "-c", str(path), "-o", str(user_dir / "quiet")]) == 0
    assert "exchange weight" not in capsys.readouterr().err


def test_behind_a_gateway_candles_count_once_prices_one_for_one(
    user_dir: Path, tmp_path: Path
) -> None:
    def estimate_with(consumer_candles: str) -> WeightEstimate:
        config = user_config(
            fleet={"producers": 4, "gateway": True, "consumer_candles": consumer_candles},
            timeframe="5m",
            max_open_trades=5,
            exit_pricing={"price_side": "other", "use_order_book": True, "order_book_top": 1},
            exchange=exchange_config("http://127.0.0.1:9", pairs(150), websocket=False),
        )
        return estimate_fleet(config, planned(user_dir, tmp_path / consumer_candles, config), None)

    # The consumer's candles from the producers' frames: it downloads none.
    estimate = estimate_with("producers")
    by_name = {bot.name: bot for bot in estimate.bots}
    assert by_name["consumer"].candles == 0 and by_name["producer-1"].candles > 0
    assert estimate.through_gateway == pytest.approx(estimate.total)
    estimate = estimate_with("exchange")
    by_name = {bot.name: bot for bot in estimate.bots}
    assert by_name["consumer"].role == "consumer" and by_name["producer-1"].role == "producer"
    candles = sum(bot.candles for bot in estimate.bots)
    # Every pair asked by its producer and the consumer: the gateway fetches it once.
    assert estimate.through_gateway == pytest.approx(estimate.total - candles / 2)
    line, covered = estimate.gateway_budget(0.9, 1200)
    assert covered and line.startswith("gateway budget: 1,080 weight a minute")
    line, covered = estimate.gateway_budget(0.5, 100)
    assert not covered
    assert "fleet.gateway.share or fleet.gateway.weight_limit" in line
    assert "pairs will be analysed late" in line
    assert estimate.gateway_budget(0.5, None)[0].startswith("gateway budget: 3,000 ")


def test_plan_says_whether_the_gateways_budget_covers_the_fleet(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def planned_lines(weight_limit: int, name: str) -> tuple[list[str], list[str]]:
        config = user_config(
            fleet={"producers": 2, "gateway": {"weight_limit": weight_limit, "share": 0.9}},
            timeframe="1m",
            max_open_trades=5,
            exit_pricing={"price_side": "other", "use_order_book": True, "order_book_top": 1},
            exchange=exchange_config("http://127.0.0.1:9", pairs(60), websocket=False),
        )
        path = write_config(user_dir, config, f"{name}.json")
        assert main(["plan", "-c", str(path), "-o", str(user_dir / name)]) == 0
        out, err = capsys.readouterr()
        return (
            [line for line in out.splitlines() if "gateway budget" in line],
            [line for line in err.splitlines() if "gateway budget" in line],
        )

    notes, warnings = planned_lines(1200, "roomy")
    assert len(notes) == 1 and not warnings
    assert "1,080 weight a minute (share 0.9 of the limit 1,200) covers" in notes[0]
    notes, warnings = planned_lines(100, "tight")
    assert not notes and len(warnings) == 1
    assert "90 weight a minute (share 0.9 of the limit 100) does not cover" in warnings[0]
    for named in ("fleet.gateway.share", "fleet.gateway.weight_limit", "fewer pairs"):
        assert named in warnings[0]


def test_producers_without_ticker_streams_ask_rest_once_a_loop_per_20_trades() -> None:
    profile = exchange_profile()
    section = exchange_config("http://127.0.0.1:9", pairs(60), websocket=False)
    producer = {"exchange": section, "internals": {"process_throttle_secs": 5}}
    ticker_20 = profile.weight("/api/v3/ticker/24hr", {"symbols": '["A","B"]'})
    assert ticker_20 == 2
    # 45 trades: batches of 20, 20 and 5 pairs, 12 loops a minute.
    assert producer_prices(producer, 45, profile) == pytest.approx(12 * 3 * ticker_20)
    assert producer_prices(producer, 0, profile) == 0
    streamed = {**producer, "exchange": {**section, "enable_ws": True}}
    assert producer_prices(streamed, 45, profile) == 0


def test_which_streams_an_exchange_gives_freqtrade() -> None:
    binance = exchange_streams({"name": "binance"})  # enable_ws defaults to on
    assert binance.klines and binance.tickers
    assert not any(vars(exchange_streams({"name": "binance", "enable_ws": False})).values())
    assert not exchange_streams({"name": "no-such-exchange"}).tickers


def test_n_producers_per_pair_pay_their_candles_n_times_but_a_gateway_fetches_them_once(
    user_dir: Path, tmp_path: Path
) -> None:
    base = {
        "timeframe": "5m",
        "max_open_trades": 5,
        "exchange": exchange_config("http://127.0.0.1:9", pairs(150), websocket=False),
    }
    single = user_config(fleet={"producers": 4, "gateway": True}, **base)
    double = user_config(fleet={"producers": 4, "gateway": True, "redundancy": 2}, **base)
    once = estimate_fleet(single, planned(user_dir, tmp_path / "one", single), None)
    twice = estimate_fleet(double, planned(user_dir, tmp_path / "two", double), None, redundancy=2)

    def producer_candles(estimate: WeightEstimate) -> float:
        return sum(bot.candles for bot in estimate.bots if bot.role == "producer")

    assert producer_candles(twice) == pytest.approx(2 * producer_candles(once))
    assert twice.total > once.total
    assert twice.through_gateway == pytest.approx(once.through_gateway, rel=0.01)


def test_a_futures_bot_is_estimated_on_usdm_weights_with_its_funding_reads() -> None:
    from freqfleet.gateway import BINANCE_FUTURES
    from freqfleet.sim.config import futures_config

    futures_pairs = [f"{pair}:USDT" for pair in pairs(150)]
    keys = futures_config("http://127.0.0.1:9", futures_pairs)
    keys["exchange"]["enable_ws"] = True  # freqtrade reads no futures kline streams anyway
    config = user_config(
        timeframe="5m",
        max_open_trades=4,
        internals={"process_throttle_secs": 5},
        exit_pricing={"price_side": "other", "use_order_book": True, "order_book_top": 1},
        **keys,
    )
    profile = exchange_profile("futures")
    assert profile is BINANCE_FUTURES and profile.limit_per_minute == 2400
    weight = bot_weight("single", config, [], profile)
    # 499 candles a refresh weigh 2 on USD-M, every pair every 5 minutes, all over REST.
    assert weight.candles == pytest.approx(2 * 150 / 5)
    assert weight.prices == pytest.approx(4 * 12 * 2)  # a 1-level futures book weighs 2
    assert weight.markets == pytest.approx(1 / 60)
    # Each open trade: 1h mark candles (2) and funding rates (1) every 30 minutes.
    assert weight.funding == pytest.approx(4 * 3 / 30)
    cross = bot_weight("single", {**config, "margin_mode": "cross"}, [], profile)
    assert cross.funding == pytest.approx(4 * (3 + 10) / 30)  # plus every premium index
    spot = bot_weight(
        "single", user_config(timeframe="5m", max_open_trades=4), [], exchange_profile()
    )
    assert spot.funding == 0.0
    estimate = estimate_fleet(config, {"single": config}, None)
    assert estimate.limit == 2400
    assert estimate.total == pytest.approx(weight.total)
    assert not exchange_streams(keys["exchange"], "futures").klines
    assert exchange_streams(keys["exchange"]).klines  # the same section on spot would
