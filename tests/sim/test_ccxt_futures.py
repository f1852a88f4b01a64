"""ccxt's ``binance`` (``defaultType: swap``, as freqtrade's futures bots) and
``binanceusdm`` against a simulator process: the perpetuals, their candles, funding,
tickers and book, at Binance's futures weights."""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from collections.abc import Iterator
from decimal import Decimal

import ccxt
import ccxt.pro as ccxt_pro
import httpx
import pytest

from freqfleet.sim.funding import FUNDING_INTERVAL_MS
from freqfleet.sim.launcher import RunningSimulator, running_simulator

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(pairs=8, seed=11) as running:
        yield running


def _settings(sim: RunningSimulator, bot: str) -> dict:
    return copy.deepcopy(sim.futures_config(bot=bot)["exchange"]["ccxt_config"])


@pytest.fixture
def swap(sim: RunningSimulator) -> ccxt.binance:
    settings = _settings(sim, "swap-client")
    settings["options"]["defaultType"] = "swap"  # what freqtrade sets for futures
    return ccxt.binance(settings)


def weights(sim: RunningSimulator, bot: str) -> dict[str, int]:
    return dict(sim.bot_stats()[bot]["weight"])


def test_markets_are_linear_perpetuals_with_precision_and_limits(
    sim: RunningSimulator, swap: ccxt.binance
) -> None:
    markets = swap.load_markets()
    assert sorted(markets) == sorted(sim.futures_pairs)
    spot = {
        m["symbol"]: m
        for m in ccxt.binance(sim.exchange_config()["ccxt_config"]).load_markets().values()
    }
    for pair, market in markets.items():
        assert market["swap"] and market["linear"] and market["contract"] and not market["spot"]
        assert (market["settle"], market["contractSize"], market["active"]) == ("USDT", 1.0, True)
        twin = spot[pair.split(":")[0]]
        assert market["precision"]["price"] == twin["precision"]["price"]
        assert market["precision"]["amount"] == twin["precision"]["amount"]
        assert market["limits"]["amount"]["min"] == market["precision"]["amount"]
        assert market["limits"]["cost"]["min"] == 5.0
    assert set(sim.request_counts()) >= {"/fapi/v1/exchangeInfo"}
    assert not any(path.startswith("/dapi") for path in sim.stats()["not_simulated"])


def test_binanceusdm_sees_the_same_markets(sim: RunningSimulator) -> None:
    usdm = ccxt.binanceusdm(_settings(sim, "usdm-client"))
    assert sorted(usdm.load_markets()) == sorted(sim.futures_pairs)
    assert usdm.fetch_time() > 0
    assert set(sim.bot_stats()["usdm-client"]["requests"]) == {
        "/fapi/v1/exchangeInfo",
        "/fapi/v1/time",
    }


def test_candles_of_each_price_type_as_freqtrade_asks(
    sim: RunningSimulator, swap: ccxt.binance
) -> None:
    pair = "ETH/USDT:USDT"
    trade = swap.fetch_ohlcv(pair, "1h", limit=499)  # freqtrade's futures candle limit
    since = trade[-5][0]
    mark = swap.fetch_ohlcv(pair, "1h", since=since, limit=3, params={"price": "mark"})
    index = swap.fetch_ohlcv(pair, "1h", since=since, limit=3, params={"price": "index"})
    assert len(trade) == 499
    assert [c[:5] for c in mark] == [c[:5] for c in index] == [c[:5] for c in trade[-5:-2]]
    assert all(c[5] == 0 for c in mark + index) and all(c[5] > 0 for c in trade)
    spot_rows = httpx.get(
        f"{sim.url}/api/v3/klines",
        params={"symbol": "ETHUSDT", "interval": "1h", "startTime": since, "limit": 3},
    ).json()
    assert [float(row[4]) for row in spot_rows] == [c[4] for c in trade[-5:-2]]
    used = weights(sim, "swap-client")
    assert used["/fapi/v1/klines"] == 2  # 499 candles
    assert used["/fapi/v1/markPriceKlines"] == used["/fapi/v1/indexPriceKlines"] == 1


def test_funding_rate_history_every_8_hours_and_the_premium_index(
    sim: RunningSimulator, swap: ccxt.binance
) -> None:
    history = swap.fetch_funding_rate_history("BTC/USDT:USDT", limit=10)
    times = [entry["timestamp"] for entry in history]
    assert len(times) == 10 and all(t % FUNDING_INTERVAL_MS == 0 for t in times)
    assert [b - a for a, b in itertools.pairwise(times)] == [FUNDING_INTERVAL_MS] * 9
    assert all(abs(Decimal(e["info"]["fundingRate"])) <= Decimal("0.00075") for e in history)
    paged = swap.fetch_funding_rate_history("BTC/USDT:USDT", since=times[2] - 1, limit=3)
    assert [e["timestamp"] for e in paged] == times[2:5]
    assert [e["fundingRate"] for e in paged] == [e["fundingRate"] for e in history[2:5]]
    current = swap.fetch_funding_rate("BTC/USDT:USDT")
    assert current["fundingTimestamp"] == times[-1] + FUNDING_INTERVAL_MS
    assert current["markPrice"] == current["indexPrice"] > 0
    rates = swap.fetch_funding_rates()
    assert sorted(rates) == sorted(sim.futures_pairs)
    assert weights(sim, "swap-client")["/fapi/v1/premiumIndex"] >= 1 + 10


def test_tickers_bids_asks_and_order_book(sim: RunningSimulator, swap: ccxt.binance) -> None:
    ticker = swap.fetch_ticker("SOL/USDT:USDT")
    assert ticker["low"] <= ticker["last"] <= ticker["high"] and ticker["quoteVolume"] > 0
    assert ticker["bid"] is None  # Binance's futures 24hr ticker has no bid/ask
    assert sorted(swap.fetch_tickers()) == sorted(sim.futures_pairs)
    bids_asks = swap.fetch_bids_asks(["SOL/USDT:USDT"])
    assert 0 < bids_asks["SOL/USDT:USDT"]["bid"] < bids_asks["SOL/USDT:USDT"]["ask"]
    book = swap.fetch_order_book("SOL/USDT:USDT", limit=20)
    assert len(book["bids"]) == len(book["asks"]) == 20
    assert book["bids"][0][0] < book["asks"][0][0]
    assert sorted(swap.fetch_last_prices()) == sorted(sim.futures_pairs)
    used = weights(sim, "swap-client")
    assert used["/fapi/v1/ticker/24hr"] == 1 + 40
    assert used["/fapi/v1/depth"] == 2
    assert used["/fapi/v2/ticker/price"] == 2


def _used(response: httpx.Response) -> int:
    return int(response.headers["x-mbx-used-weight-1m"])


def test_futures_weight_has_its_own_minute(sim: RunningSimulator) -> None:
    """Spot weight does not count against the futures minute, nor futures against spot."""
    book = {"symbol": "BTCUSDT", "limit": 1000}
    for _ in range(3):  # again when the minute rolled over in between
        minute = time.time() // 60
        futures = _used(httpx.get(f"{sim.url}/fapi/v1/depth", params=book))
        spot = _used(httpx.get(f"{sim.url}/api/v3/depth", params=book))
        futures_after = _used(httpx.get(f"{sim.url}/fapi/v1/ping"))
        spot_after = _used(httpx.get(f"{sim.url}/api/v3/ping"))
        if time.time() // 60 == minute:
            break
    assert (futures_after, spot_after) == (futures + 1, spot + 1)
    assert futures >= 20 and spot >= 50  # the 1,000-level books: 20 on futures, 50 on spot
    wrong = httpx.get(f"{sim.url}/fapi/v1/depth", params={"symbol": "BTCUSDT", "limit": 7})
    assert wrong.status_code == 400 and wrong.json()["code"] == -1130
    unknown = httpx.get(f"{sim.url}/fapi/v1/klines", params={"symbol": "BTCUSDC", "interval": "1m"})
    assert unknown.json()["code"] == -1121


def test_ccxt_pro_watches_futures_klines_on_the_simulators_streams(
    sim: RunningSimulator,
) -> None:
    """freqtrade reads no futures websocket on Binance (``ws_enabled`` is off for futures),
    but ccxt.pro's futures klines (``/market/ws``) are served: a perpetual's candles are
    its spot market's."""

    async def watch() -> list[list[float]]:
        client = ccxt_pro.binanceusdm(_settings(sim, "ws-client"))
        try:
            return await asyncio.wait_for(client.watch_ohlcv("BTC/USDT:USDT", "1m"), 20)
        finally:
            await client.close()

    candles = asyncio.run(watch())
    rest = ccxt.binanceusdm(_settings(sim, "ws-rest")).fetch_ohlcv("BTC/USDT:USDT", "1m", limit=2)
    assert candles[-1][0] in {row[0] for row in rest}
    assert sim.stats()["streams"]["bots"]["ws-client"]["messages"] >= 1
    assert sim.stats()["not_simulated"] == {}
