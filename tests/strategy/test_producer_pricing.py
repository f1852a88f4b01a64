"""A producer's ticker cache against a simulator process: streamed tickers when fresh, one
batched REST call a loop otherwise, bad values refused, a dead stream survived; and
freqtrade's own pricing answered from it."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ccxt
import ccxt.pro as ccxt_pro
import pytest
from freqtrade.resolvers import ExchangeResolver

from freqfleet import compat
from freqfleet.sim import RunningSimulator, running_simulator
from freqfleet.sim.config import name_bot
from freqfleet.strategy.producer_pricing import (
    FRESH_SECONDS,
    REST_BATCH,
    ProducerPricing,
    TickerStream,
    valid_ticker,
)
from tests.kit.ports import free_port
from tests.kit.sim_bots import dry_run_config
from tests.kit.waiting import wait_until

pytestmark = pytest.mark.timeout(120)
TICKER = "/api/v3/ticker/24hr"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(pairs=30, seed=3) as running:
        yield running


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rest(sim: RunningSimulator, bot: str) -> ccxt.binance:
    client = ccxt.binance(sim.exchange_config(bot=bot)["ccxt_config"])
    client.load_markets()
    return client


def ticker_requests(sim: RunningSimulator, bot: str) -> tuple[int, int]:
    """(requests, weight) of ``bot``'s 24hr tickers so far."""
    counts = sim.stats()["bots"].get(bot, {})
    return counts.get("requests", {}).get(TICKER, 0), counts.get("weight", {}).get(TICKER, 0)


def stream_maker(sim: RunningSimulator, bot: str, markets_from: Any) -> Any:
    def make() -> Any:
        client = ccxt_pro.binance(sim.exchange_config(bot=bot)["ccxt_async_config"])
        client.set_markets_from_exchange(markets_from)
        return client

    return make


def test_valid_ticker_needs_finite_positive_bid_ask_and_last() -> None:
    good = {"bid": 1.0, "ask": 1.1, "last": 1.05}
    assert valid_ticker(good)
    for key in ("bid", "ask", "last"):
        for bad in (None, 0.0, -1.0, math.nan, math.inf, "1.0", True):
            assert not valid_ticker({**good, key: bad}), (key, bad)
    assert not valid_ticker(None)


def test_fresh_streamed_tickers_cost_nothing_stale_ones_one_batch_a_loop(
    sim: RunningSimulator,
) -> None:
    bot = "cache-bot"
    client = rest(sim, bot)
    clock = Clock()
    pricing = ProducerPricing(client.fetch_tickers, clock=clock)
    pairs = sim.pairs[:3]
    pricing.new_loop(pairs)
    streamed = {pair: {"bid": 1.0, "ask": 1.2, "last": 1.1, "symbol": pair} for pair in pairs}
    pricing.received(streamed)

    def refuse(pair: str) -> Any:
        raise AssertionError(f"freqtrade's own fetch for {pair}")

    assert pricing.ticker(pairs[0], refuse) is streamed[pairs[0]]
    assert ticker_requests(sim, bot) == (0, 0)

    clock.now += FRESH_SECONDS + 0.1  # the stream went quiet: stale
    first = pricing.ticker(pairs[0], refuse)
    assert first["symbol"] == pairs[0] and valid_ticker(first) and first is not streamed[pairs[0]]
    for pair in pairs[1:]:  # the same loop: answered by that one batch
        assert pricing.ticker(pair, refuse)["symbol"] == pair
    assert ticker_requests(sim, bot) == (1, 2)

    pricing.new_loop(pairs)  # a new loop asks again
    pricing.ticker(pairs[1], refuse)
    assert ticker_requests(sim, bot) == (2, 4)
    pricing.received({pairs[2]: streamed[pairs[2]]})  # fresh again: from the stream
    assert pricing.ticker(pairs[2], refuse) is streamed[pairs[2]]


def test_a_batch_asks_for_at_most_20_pairs_at_weight_2(sim: RunningSimulator) -> None:
    bot = "batch-bot"
    pricing = ProducerPricing(rest(sim, bot).fetch_tickers)
    pairs = sim.pairs[:25]
    pricing.new_loop(pairs)
    for pair in pairs:
        pricing.ticker(pair, lambda p: pytest.fail(f"fallback for {p}"))
    # 25 pairs: one batch of 20 and one of 5, each weight 2 (not 40 for 21+ symbols).
    assert ticker_requests(sim, bot) == (2, 4)
    assert REST_BATCH == 20


def test_bad_streamed_values_are_refused_and_logged_once(
    sim: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    bot = "bad-values-bot"
    pricing = ProducerPricing(rest(sim, bot).fetch_tickers)
    pair = sim.pairs[0]
    pricing.new_loop([pair])
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            pricing.received({pair: {"bid": math.nan, "ask": 1.0, "last": 1.0}})
    assert sum("without finite positive" in r.message for r in caplog.records) == 1
    ticker = pricing.ticker(pair, lambda p: pytest.fail("fallback"))
    assert valid_ticker(ticker) and ticker_requests(sim, bot)[0] == 1


def test_a_failed_batch_falls_back_to_freqtrades_own_fetch(sim: RunningSimulator) -> None:
    def broken(symbols: list[str]) -> dict[str, Any]:
        raise ccxt.NetworkError("down")

    asked: list[str] = []

    def own(pair: str) -> dict[str, Any]:
        asked.append(pair)
        return {"bid": 2.0, "ask": 2.1, "last": 2.05}

    pricing = ProducerPricing(broken)
    pricing.new_loop(["ETH/USDT"])
    assert pricing.ticker("ETH/USDT", own)["last"] == 2.05
    assert asked == ["ETH/USDT"] and pricing.counts["fallback"] == 1


def test_the_stream_feeds_the_cache_and_follows_the_open_trades(sim: RunningSimulator) -> None:
    bot = "stream-bot"
    client = rest(sim, bot)
    stream = TickerStream(stream_maker(sim, bot, client))
    pricing = ProducerPricing(client.fetch_tickers, stream)
    stream.start()
    try:
        first, second = sim.pairs[0], sim.pairs[1]
        pricing.new_loop([first])
        assert wait_until(lambda: pricing.streamed(first), 30)
        ticker = pricing.ticker(first, lambda p: pytest.fail("fallback"))
        assert valid_ticker(ticker) and ticker["info"]["e"] == "24hrTicker"
        pricing.new_loop([first, second])  # a new open trade: resubscribed
        assert wait_until(lambda: pricing.streamed(second), 30)
        assert wait_until(lambda: sim.stats()["streams"]["bots"][bot]["subscriptions"] == 2, 10)
        assert ticker_requests(sim, bot) == (0, 0)
    finally:
        pricing.close()
    assert not stream._thread.is_alive()
    assert wait_until(lambda: sim.stats()["streams"]["bots"][bot]["open"] == 0, 10)


def test_a_dead_stream_is_logged_once_and_prices_come_from_rest(
    sim: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    bot = "dead-stream-bot"
    client = rest(sim, bot)
    nowhere = f"http://127.0.0.1:{free_port()}"

    def make() -> Any:
        config = name_bot(sim.exchange_config(), bot)["ccxt_async_config"]
        config["urls"]["api"]["ws"]["spot"] = nowhere.replace("http", "ws") + "/ws"
        pro = ccxt_pro.binance(config)
        pro.set_markets_from_exchange(client)
        return pro

    stream = TickerStream(make)
    pricing = ProducerPricing(client.fetch_tickers, stream)
    with caplog.at_level(logging.WARNING):
        stream.start()
        pricing.new_loop(sim.pairs[:2])
        assert wait_until(lambda: stream.failures >= 2, 30)  # retried after a back-off
        ticker = pricing.ticker(sim.pairs[0], lambda p: pytest.fail("fallback"))
        pricing.close()
    assert valid_ticker(ticker) and ticker_requests(sim, bot) == (1, 2)
    assert sum("Ticker stream failed" in r.message for r in caplog.records) == 1
    assert not stream._thread.is_alive()


def test_freqtrades_pricing_on_a_producer_reads_the_stream(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    """``get_rate`` on a real freqtrade Exchange: answered by the stream, no ticker REST."""
    bot = "ft-producer"
    config = dry_run_config(
        sim,
        tmp_path,
        bot,
        pairs=3,
        entry_pricing={"price_side": "same", "use_order_book": False},
        exit_pricing={"price_side": "same", "use_order_book": False},
    )
    exchange = ExchangeResolver.load_exchange(config, validate=True)
    try:
        maker = compat.stream_client_maker(exchange)
        assert maker is not None
        stream = TickerStream(maker)
        pricing = ProducerPricing(
            lambda symbols: compat.fetch_tickers_uncached(exchange, symbols), stream
        )
        assert compat.route_tickers(exchange, pricing.ticker)
        stream.start()
        pair = sim.pairs[0]
        pricing.new_loop([pair])
        assert wait_until(lambda: pricing.streamed(pair), 30)
        before = ticker_requests(sim, bot)
        rates = [
            exchange.get_rate(pair, refresh=True, side="exit", is_short=False) for _ in range(5)
        ]
        assert all(rate > 0 for rate in rates)
        assert ticker_requests(sim, bot) == before == (0, 0)
        pricing.close()
    finally:
        exchange.close()
