"""The futures endpoints on a frozen clock: Binance's parameters, limits and weights, the
funding history's range rules, mark/index candles, the premium index."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from freqfleet.sim.app import create_app
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import (
    FUNDING_INTERVAL_MS,
    funding_rate,
    mark_price_ticks,
    next_funding_time,
)
from freqfleet.sim.models.synthetic import SyntheticModel
from tests.kit.clock import Clock


def _get(client: TestClient, path: str, **params: object) -> tuple[object, int]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json(), int(response.headers["x-mbx-used-weight-1m"])


def _weight(client: TestClient, path: str, **params: object) -> int:
    before = int(client.get("/fapi/v1/ping").headers["x-mbx-used-weight-1m"])
    _, after = _get(client, path, **params)
    return after - before


def test_exchange_info_lists_the_perpetuals_and_the_futures_limit(
    client: TestClient, exchange: SimExchange
) -> None:
    info, _ = _get(client, "/fapi/v1/exchangeInfo")
    assert [s["symbol"] for s in info["symbols"]] == [m.symbol for m in exchange.markets]
    assert info["rateLimits"][0]["limit"] == 2400
    assert {s["contractType"] for s in info["symbols"]} == {"PERPETUAL"}


@pytest.mark.parametrize(
    ("limit", "weight"), [(99, 1), (100, 2), (499, 2), (500, 5), (1000, 5), (1001, 10), (1500, 10)]
)
def test_kline_weight_by_limit(client: TestClient, limit: int, weight: int) -> None:
    assert (
        _weight(client, "/fapi/v1/klines", symbol="BTCUSDT", interval="1m", limit=limit) == weight
    )
    rows, _ = _get(client, "/fapi/v1/klines", symbol="BTCUSDT", interval="1m", limit=limit)
    assert len(rows) == limit


def test_klines_default_to_500_and_refuse_more_than_1500(client: TestClient) -> None:
    rows, _ = _get(client, "/fapi/v1/klines", symbol="BTCUSDT", interval="5m")
    assert len(rows) == 500
    refused = client.get(
        "/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "5m", "limit": 1501}
    )
    assert refused.status_code == 400 and refused.json()["code"] == -1130


def test_mark_and_index_candles_are_the_prices_without_volume(client: TestClient) -> None:
    trade, _ = _get(client, "/fapi/v1/klines", symbol="ETHUSDT", interval="15m", limit=4)
    mark, _ = _get(client, "/fapi/v1/markPriceKlines", symbol="ETHUSDT", interval="15m", limit=4)
    index, _ = _get(client, "/fapi/v1/indexPriceKlines", pair="ETHUSDT", interval="15m", limit=4)
    assert [r[:5] for r in mark] == [r[:5] for r in index] == [r[:5] for r in trade]
    assert {r[5] for r in mark} == {"0"} and all(float(r[5]) > 0 for r in trade)
    wrong = client.get("/fapi/v1/indexPriceKlines", params={"symbol": "ETHUSDT", "interval": "15m"})
    assert wrong.json()["code"] == -1102  # index candles take ``pair``


def test_funding_history_newest_first_range_and_paging(
    client: TestClient, exchange: SimExchange, clock: Clock
) -> None:
    latest = (clock.now_ms // FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS
    newest, _ = _get(client, "/fapi/v1/fundingRate", symbol="SOLUSDT")
    assert len(newest) == 100 and newest[-1]["fundingTime"] == latest
    assert [e["fundingTime"] for e in newest] == [
        latest - (99 - i) * FUNDING_INTERVAL_MS for i in range(100)
    ]
    sol = exchange.by_symbol["SOLUSDT"]
    for entry in newest[-3:]:
        assert Decimal(entry["fundingRate"]) == funding_rate(7, sol, entry["fundingTime"])
        mark = mark_price_ticks(exchange, sol, entry["fundingTime"])
        assert entry["markPrice"] == exchange.markets[sol].price_text(mark)
    start = newest[10]["fundingTime"]
    forward, _ = _get(client, "/fapi/v1/fundingRate", symbol="SOLUSDT", startTime=start, limit=3)
    assert forward == newest[10:13]
    until, _ = _get(client, "/fapi/v1/fundingRate", symbol="SOLUSDT", endTime=start, limit=2)
    assert until == newest[9:11]
    everyone, _ = _get(client, "/fapi/v1/fundingRate", limit=5)
    assert {e["fundingTime"] for e in everyone} <= {latest, latest - FUNDING_INTERVAL_MS}
    assert len(everyone) == 5


def test_premium_index_announces_the_next_funding(
    client: TestClient, exchange: SimExchange, clock: Clock
) -> None:
    one, _ = _get(client, "/fapi/v1/premiumIndex", symbol="BTCUSDT")
    upcoming = next_funding_time(clock.now_ms)
    btc = exchange.by_symbol["BTCUSDT"]
    assert one["nextFundingTime"] == upcoming
    assert Decimal(one["lastFundingRate"]) == funding_rate(7, btc, upcoming)
    assert one["markPrice"] == exchange.price_ticker(btc, clock.now_ms)["price"]
    assert _weight(client, "/fapi/v1/premiumIndex", symbol="BTCUSDT") == 1
    assert _weight(client, "/fapi/v1/premiumIndex") == 10


def test_a_shorter_funding_interval_shows_in_the_history_and_premium_index(
    clock: Clock,
) -> None:
    two_minutes = 120_000
    exchange = SimExchange(SyntheticModel(pairs=4, seed=7), clock, two_minutes)
    with TestClient(create_app(exchange)) as client:
        history, _ = _get(client, "/fapi/v1/fundingRate", symbol="ETHUSDT", limit=4)
        premium, _ = _get(client, "/fapi/v1/premiumIndex", symbol="ETHUSDT")
    latest = clock.now_ms // two_minutes * two_minutes
    assert [e["fundingTime"] for e in history] == [latest - (3 - i) * two_minutes for i in range(4)]
    eth = exchange.by_symbol["ETHUSDT"]
    for entry in history:  # instants off the hour: the mark at each instant itself
        mark = mark_price_ticks(exchange, eth, entry["fundingTime"])
        assert entry["markPrice"] == exchange.markets[eth].price_text(mark)
    assert premium["nextFundingTime"] == latest + two_minutes


@pytest.mark.parametrize(
    ("path", "one", "every"),
    [
        ("/fapi/v1/ticker/24hr", 1, 40),
        ("/fapi/v1/ticker/bookTicker", 2, 5),
        ("/fapi/v1/ticker/price", 1, 2),
        ("/fapi/v2/ticker/price", 1, 2),
    ],
)
def test_ticker_weights_one_symbol_or_all(
    client: TestClient, exchange: SimExchange, path: str, one: int, every: int
) -> None:
    assert _weight(client, path, symbol="BTCUSDT") == one
    assert _weight(client, path) == every
    listed, _ = _get(client, path)
    assert len(listed) == len(exchange.markets)
    refused = client.get(path, params={"symbols": '["BTCUSDT"]'})
    assert refused.status_code == 400  # futures tickers take no symbol lists


@pytest.mark.parametrize(("limit", "weight"), [(5, 2), (50, 2), (100, 5), (500, 10), (1000, 20)])
def test_depth_weight_and_levels(client: TestClient, limit: int, weight: int) -> None:
    assert _weight(client, "/fapi/v1/depth", symbol="BTCUSDT", limit=limit) == weight
    book, _ = _get(client, "/fapi/v1/depth", symbol="BTCUSDT", limit=limit)
    assert len(book["asks"]) == limit


def test_futures_paths_not_simulated_are_logged_404s(client: TestClient) -> None:
    response = client.get("/fapi/v1/openInterest", params={"symbol": "BTCUSDT"})
    assert response.status_code == 404
    assert client.get("/sim/stats").json()["not_simulated"] == {"GET /fapi/v1/openInterest": 1}
    assert client.get("/dapi/v1/exchangeInfo").status_code == 404


def test_sim_stats_report_the_futures_minute_apart(client: TestClient) -> None:
    _, used = _get(client, "/fapi/v1/depth", symbol="BTCUSDT", limit=1000)
    _, spot_used = _get(client, "/api/v3/ping")
    stats = client.get("/sim/stats").json()
    assert (stats["futures_weight_1m"], stats["weight_1m"]) == (used, spot_used) == (20, 1)
