"""ccxt's own ``binance`` class (sync, async and ccxt.pro's streams) against a simulator
process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import ccxt
import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
import pytest

from freqfleet.sim.launcher import RunningSimulator, running_simulator

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(pairs=25, seed=11) as running:
        yield running


@pytest.fixture
def exchange(sim: RunningSimulator) -> ccxt.binance:
    return ccxt.binance(sim.exchange_config()["ccxt_config"])


def test_load_markets_gives_spot_markets_with_precision_and_limits(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    markets = exchange.load_markets()
    assert sorted(markets) == sorted(sim.pairs)
    btc = markets["BTC/USDT"]
    assert btc["spot"] and btc["active"] and not btc["contract"]
    assert btc["precision"]["price"] > 0 and btc["precision"]["amount"] > 0
    assert btc["limits"]["cost"]["min"] == 5.0
    assert exchange.fetch_time() > 0


def test_fetch_ohlcv_pages_forward_with_since_and_limit(exchange: ccxt.binance) -> None:
    newest = exchange.fetch_ohlcv("ETH/USDT", "5m", limit=1)
    step = 5 * 60_000
    since = newest[0][0] - 2_500 * step
    candles, cursor = [], since
    while True:
        page = exchange.fetch_ohlcv("ETH/USDT", "5m", since=cursor, limit=1000)
        if not page:
            break
        candles.extend(page)
        cursor = page[-1][0] + step
        if len(page) < 1000:
            break
    times = [c[0] for c in candles]
    expected = list(range(since, newest[0][0] + 1, step))
    assert times[: len(expected)] == expected
    assert len(times) - len(expected) <= 1  # a new candle may have opened meanwhile
    assert all(c[2] >= max(c[1], c[4]) and c[3] <= min(c[1], c[4]) for c in candles)
    ending = exchange.fetch_ohlcv(
        "ETH/USDT", "5m", since=since, limit=10, params={"until": since + 4 * step}
    )
    assert [c[0] for c in ending] == times[:5]


def test_fetch_ticker_tickers_and_order_book(sim: RunningSimulator, exchange: ccxt.binance) -> None:
    ticker = exchange.fetch_ticker("SOL/USDT")
    assert ticker["bid"] < ticker["ask"] and ticker["low"] <= ticker["last"] <= ticker["high"]
    assert ticker["quoteVolume"] > 0
    tickers = exchange.fetch_tickers()
    assert sorted(tickers) == sorted(sim.pairs)
    some = exchange.fetch_tickers(["BTC/USDT", "ETH/USDT"])
    assert sorted(some) == ["BTC/USDT", "ETH/USDT"]
    book = exchange.fetch_order_book("SOL/USDT", limit=20)
    assert len(book["bids"]) == len(book["asks"]) == 20
    assert book["bids"][0][0] < book["asks"][0][0]
    bids_asks = exchange.fetch_bids_asks(["SOL/USDT"])
    assert bids_asks["SOL/USDT"]["bid"] > 0


def test_errors_become_the_right_ccxt_exceptions(exchange: ccxt.binance) -> None:
    exchange.load_markets()
    with pytest.raises(ccxt.BadSymbol):
        exchange.publicGetKlines({"symbol": "NOPEUSDT", "interval": "1m"})
    with pytest.raises(ccxt.BadRequest, match="-1120"):
        exchange.fetch_ohlcv("BTC/USDT", "1w")
    with pytest.raises(ccxt.BadRequest, match="-1130"):
        exchange.publicGetDepth({"symbol": "BTCUSDT", "limit": 6000})
    with pytest.raises(ccxt.BadRequest, match="-1100"):
        exchange.publicGetKlines({"symbol": "BTCUSDT", "interval": "1m", "startTime": "soon"})


def test_rate_limit_maps_to_ddos_protection() -> None:
    with running_simulator(pairs=2, weight_limit=25) as limited:
        exchange = ccxt.binance(limited.exchange_config()["ccxt_config"])
        exchange.enableRateLimit = False
        exchange.load_markets()  # weight 20
        with pytest.raises(ccxt.DDoSProtection):
            for _ in range(30):  # 2 weight each: over 25 even if a new minute starts
                exchange.fetch_ohlcv("BTC/USDT", "1m", limit=5)
        assert limited.stats()["errors"] == {"-1003": 1}


def test_async_client_reads_the_same_market(sim: RunningSimulator) -> None:
    async def fetch() -> tuple[list, list, dict]:
        exchange = ccxt_async.binance(sim.exchange_config()["ccxt_async_config"])
        try:
            await exchange.load_markets()
            newest = await exchange.fetch_ohlcv("BNB/USDT", "1h", limit=3)
            paged = await exchange.fetch_ohlcv("BNB/USDT", "1h", since=newest[0][0], limit=2)
            book = await exchange.fetch_order_book("BNB/USDT", 5)
            with pytest.raises(ccxt.BadSymbol):
                await exchange.publicGetTicker24hr({"symbol": "NOPE"})
            return newest, paged, book
        finally:
            await exchange.close()

    newest, paged, book = asyncio.run(fetch())
    assert paged == newest[:2]
    assert len(book["bids"]) == 5
    sync = ccxt.binance(sim.exchange_config()["ccxt_config"])
    assert sync.fetch_ohlcv("BNB/USDT", "1h", since=newest[0][0], limit=2) == paged


def test_request_counts_name_each_endpoint(sim: RunningSimulator) -> None:
    before = sim.request_counts()
    exchange = ccxt.binance(sim.exchange_config()["ccxt_config"])
    exchange.load_markets()
    for _ in range(3):
        exchange.fetch_ohlcv("BTC/USDT", "1m", limit=2)
    exchange.fetch_order_book("BTC/USDT", 5)
    after = sim.request_counts()
    gained = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    assert gained == {"/api/v3/exchangeInfo": 1, "/api/v3/klines": 3, "/api/v3/depth": 1}
    assert sim.stats()["not_simulated"] == {}


def test_ccxt_pro_watches_klines_on_the_simulators_stream(sim: RunningSimulator) -> None:
    """What freqtrade's ``enable_ws`` does: ``watch_ohlcv`` on ccxt.pro's binance with the
    simulator's URLs gets pushes from its stream (and never the real exchange's)."""

    async def watch() -> tuple[list, list, str, dict, dict]:
        exchange = ccxt_pro.binance(sim.exchange_config(bot="watcher")["ccxt_async_config"])
        try:
            await exchange.load_markets()
            first = await exchange.watch_ohlcv("ETH/USDT", "1m")
            second = await exchange.watch_ohlcv("ETH/USDT", "1m")  # the next push
            url = next(iter(exchange.clients))
            watching = sim.stats()["streams"]["bots"]["watcher"]
            with pytest.raises(ccxt.BaseError, match="invalid stream"):
                await asyncio.wait_for(exchange.watch_ohlcv("ETH/USDT", "1w"), 30)
            await exchange.un_watch_ohlcv("ETH/USDT", "1m")
            after = sim.stats()["streams"]["bots"]["watcher"]
            return first, second, url, watching, after
        finally:
            await exchange.close()

    first, second, url, watching, after = asyncio.run(watch())
    assert url.startswith(sim.url.replace("http://", "ws://") + "/ws/")
    assert second[-1][0] >= first[-1][0]
    assert second[-1][0] % 60_000 == 0 and all(len(candle) == 6 for candle in second)
    rest = ccxt.binance(sim.exchange_config()["ccxt_config"]).fetch_ohlcv("ETH/USDT", "1m", limit=3)
    assert second[-1][0] in [candle[0] for candle in rest]
    assert watching["open"] == 1 and watching["subscriptions"] == 1
    assert after["subscriptions"] == 0


def test_ccxt_pro_watches_tickers_on_the_simulators_ticker_streams(sim: RunningSimulator) -> None:
    """What a producer's pricing does: ``watch_tickers`` with ``name: ticker`` subscribes to
    ``<symbol>@ticker`` and gets Binance's 24hr tickers (bid, ask, last), about one a second
    per symbol, agreeing with REST's ``/api/v3/ticker/24hr``; the default mini tickers too."""
    symbols = ["ETH/USDT", "BTC/USDT"]

    async def watch() -> tuple[dict, dict, dict, dict]:
        exchange = ccxt_pro.binance(sim.exchange_config(bot="pricer")["ccxt_async_config"])
        try:
            await exchange.load_markets()
            seen: dict = {}
            while len(seen) < len(symbols):
                seen.update(await exchange.watch_tickers(symbols, {"name": "ticker"}))
            later: dict = {}
            while "ETH/USDT" not in later:
                later.update(await exchange.watch_tickers(symbols, {"name": "ticker"}))
            mini = await exchange.watch_tickers(["ETH/USDT"])
            streams = sim.stats()["streams"]["bots"]["pricer"]
            return seen, later, mini, streams
        finally:
            await exchange.close()

    seen, later, mini, streams = asyncio.run(watch())
    rest = ccxt.binance(sim.exchange_config()["ccxt_config"]).fetch_ticker("ETH/USDT")
    for ticker in seen.values():
        assert ticker["bid"] > 0 and ticker["ask"] > ticker["bid"] and ticker["last"] > 0
        assert ticker["info"]["e"] == "24hrTicker"
        assert ticker["baseVolume"] > 0 and ticker["timestamp"] > 0
    assert later["ETH/USDT"]["timestamp"] > seen["ETH/USDT"]["timestamp"]
    # The same market as REST, moments apart: within a few percent.
    assert abs(later["ETH/USDT"]["last"] / rest["last"] - 1) < 0.05
    assert mini["ETH/USDT"]["info"]["e"] == "24hrMiniTicker" and mini["ETH/USDT"]["last"] > 0
    assert streams["subscriptions"] == 3 and streams["messages"] >= 4
    assert (
        sim.stats()["bots"].get("pricer", {}).get("requests", {}).get("/api/v3/ticker/24hr") is None
    )
