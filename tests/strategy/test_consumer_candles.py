"""The consumer's candles come from its producers' frames: it downloads none.

Real freqtrade ``FreqtradeBot`` consumers in dry-run on the simulator (markets, candles,
requests counted by bot); the producer's frames are the simulator's closed candles with
an analysis column, handed to freqtrade's own producer message handling.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import time_machine
from freqtrade.enums import RunMode
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.persistence import Trade

from freqfleet import compat
from freqfleet.sim import RunningSimulator, running_simulator
from tests.kit.fleet_strategy import (
    bot_config,
    candles,
    load_strategy,
    produce,
    producer_feed,
)
from tests.kit.live_consumer import closed_candles
from tests.kit.sim_consumer import consumer_config, send_frame, send_whitelist

pytestmark = pytest.mark.timeout(180)

KLINES = "/api/v3/klines"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(pairs=4, seed=11) as running:
        yield running


def consumer_bot(
    sim: RunningSimulator, tmp_path: Path, name: str, fleet: dict[str, Any]
) -> FreqtradeBot:
    exchange = sim.exchange_config(sim.pairs, bot=name, websocket=False)
    exchange["ccxt_async_config"] = {**exchange.get("ccxt_async_config", {}), "rateLimit": 1}
    settings: dict[str, Any] = {
        "strategy_path": str(Path(compat.__file__).parents[1] / "strategy"),
        "dry_run": True,
        "dry_run_wallet": 10_000,
        "stake_amount": 100,
        "max_open_trades": 2,
        "exchange": exchange,
        "db_url": "sqlite://",
        "fleet": {"follow": [], **fleet},
    }
    strategy = ("DummyConsumerStrategy", None)
    pairs = list(sim.pairs)
    return FreqtradeBot(
        consumer_config(sim, tmp_path, name, pairs, strategy, RunMode.DRY_RUN, **settings)
    )


def klines_asked(sim: RunningSimulator, bot: str) -> int:
    return int(sim.bot_stats().get(bot, {}).get("requests", {}).get(KLINES, 0))


def producer_frame(sim: RunningSimulator, pair: str) -> pd.DataFrame:
    """The simulator's closed 1m candles of ``pair`` with a producer's analysis column."""
    frame = closed_candles(sim, pair)
    frame.insert(frame.columns.get_loc("enter_long"), "analysed", 1.0)
    return frame


def send(bot: FreqtradeBot, pairs: list[str], frames: dict[str, pd.DataFrame]) -> None:
    send_whitelist(bot, pairs)
    for pair in pairs:
        send_frame(bot, pair, frames[pair])


def test_the_consumer_downloads_no_candles_and_reads_the_producers(
    sim: RunningSimulator, tmp_path: Path
):
    pairs = list(sim.pairs)
    own = consumer_bot(sim, tmp_path, "downloading", {"consumer_candles": "exchange"})
    try:
        own.process()  # freqtrade's start-up download: every pair, over REST here
        assert klines_asked(sim, "downloading") >= len(pairs)
    finally:
        own.cleanup()

    bot = consumer_bot(sim, tmp_path, "fromproducers", {})
    try:
        bot.process()  # the first loop, before any producer message: nothing downloaded
        frames = {pair: producer_frame(sim, pair) for pair in pairs}
        send(bot, pairs, frames)
        bot.process()
        assert klines_asked(sim, "fromproducers") == 0
        for pair in pairs:
            # Every reader of candles (dp.ohlcv: callbacks, freqtrade's checks) has the
            # producer's, and the analysed frame is the producer's.
            candles = bot.dataprovider.ohlcv(pair, "1m")
            expected = frames[pair][["date", "open", "high", "low", "close", "volume"]]
            pd.testing.assert_frame_equal(
                candles.reset_index(drop=True), expected, check_dtype=False
            )
            assert (pair, "1m", "spot") in bot.dataprovider.available_pairs
            analysed, _ = bot.dataprovider.get_analyzed_dataframe(pair, "1m")
            assert analysed["analysed"].iat[-1] == 1.0
        consumer = bot.strategy.fleet_consumer
        assert consumer.candles.skipped >= 2 * len(pairs)

        # Undone, freqtrade downloads its candles again from its next loop.
        consumer.candles.undo()
        assert not compat.is_patched(bot.exchange, "refresh_latest_ohlcv")
        assert bot.dataprovider.ohlcv(pairs[0], "1m").empty
        bot.process()
        assert klines_asked(sim, "fromproducers") >= len(pairs)
    finally:
        bot.cleanup()


def test_a_pair_no_producer_lists_is_downloaded(sim: RunningSimulator, tmp_path: Path):
    pairs = list(sim.pairs)
    bot = consumer_bot(sim, tmp_path, "fallback", {})
    try:
        served = pairs[:-1]
        send(bot, served, {pair: producer_frame(sim, pair) for pair in served})
        bot.process()
        assert klines_asked(sim, "fallback") == 1  # the one pair no whitelist holds
        assert not bot.dataprovider.ohlcv(pairs[-1], "1m").empty
    finally:
        bot.cleanup()


def test_freshness_is_counted_from_the_candle_the_clock_says_closed(user_data: Path):
    producer = load_strategy(bot_config(user_data, "FleetSampleStrategy"))
    config = bot_config(
        user_data, "FleetSampleStrategy", ["p1"], fleet={"consumer_candles": "producers"}
    )
    consumer = load_strategy(config)
    pair = "ETH/BTC"
    frame = produce(producer, pair, candles(pair, 300))
    newest = frame["date"].iat[-1].to_pydatetime()
    # Ten seconds after the newest candle closed: it is the one the clock says closed.
    after_close = newest + timedelta(minutes=5, seconds=10)
    with time_machine.travel(after_close, tick=False), producer_feed(config) as feed:
        consumer.dp = feed.dp
        feed.whitelist("p1", [pair])
        feed.analyzed("p1", pair, frame.iloc[:-1])
        consumer.analyze([pair])
        fleet = consumer.fleet_consumer
        assert fleet.cache.get(pair).lag == 1
        assert not fleet.entry_allowed(pair)
        feed.analyzed("p1", pair, frame.tail(1))
        consumer.analyze([pair])
        assert fleet.cache.get(pair).lag == 0
        assert fleet.entry_allowed(pair)
        analysed, _ = consumer.dp.get_analyzed_dataframe(pair, "5m")
        assert analysed["date"].iat[-1] == frame["date"].iat[-1]
        assert analysed["ema_fast"].iat[-1] == frame["ema_fast"].iat[-1]


def away_from_a_close(margin: float = 8.0) -> None:
    """Wait until a minute's close is at least ``margin`` seconds away (no new candle
    during a test of a few loops)."""
    into = time.time() % 60
    if into > 60 - margin:
        time.sleep(60 - into + 1)


def test_the_entry_scan_asks_freqtrade_only_for_pairs_whose_frame_changed(
    sim: RunningSimulator, tmp_path: Path, monkeypatch
):
    pairs = list(sim.pairs)
    bot = consumer_bot(sim, tmp_path, "scan", {})
    checked: list[str] = []
    latest = bot.strategy.get_latest_candle

    def counted(pair, timeframe, dataframe):
        checked.append(pair)
        return latest(pair, timeframe, dataframe)

    monkeypatch.setattr(bot.strategy, "get_latest_candle", counted)
    try:
        away_from_a_close()
        frames = {pair: producer_frame(sim, pair) for pair in pairs}
        send(bot, pairs, frames)
        bot.process()
        assert sorted(checked) == sorted(pairs)  # every new frame once ...
        checked.clear()
        bot.process()
        bot.process()
        assert checked == []  # ... and not again while it is the same
        signal = frames[pairs[1]].copy()
        signal.loc[signal.index[-1], "enter_long"] = 1
        send(bot, [*pairs], {**frames, pairs[1]: signal})
        bot.process()
        assert pairs[1] in checked
        assert [t.pair for t in Trade.get_open_trades()] == [pairs[1]]
    finally:
        bot.cleanup()
