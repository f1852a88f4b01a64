"""``freqfleet gateway`` in front of the real simulator: cache, freshness, refusals."""

from __future__ import annotations

import time

import httpx
import pytest

from freqfleet.gateway import running_gateway
from tests.kit.sim_requests import days_ago_ms, kline_count, symbol

KLINES = "/api/v3/klines"


@pytest.fixture(scope="module")
def gateway(simulator):
    with running_gateway(simulator.url, live_ttl=30) as running:
        yield running


def test_closed_candles_are_served_from_cache(simulator, gateway):
    start = days_ago_ms(3)
    asked = {"symbol": symbol(simulator, 0), "interval": "5m", "startTime": start, "limit": 300}
    part = {**asked, "startTime": start + 20 * 300_000, "limit": 50}
    before = kline_count(simulator)
    first = httpx.get(gateway.url + KLINES, params=asked)
    again = httpx.get(gateway.url + KLINES, params=asked)
    inside = httpx.get(gateway.url + KLINES, params=part)
    fetched = kline_count(simulator) - before
    direct = httpx.get(simulator.url + KLINES, params=asked)
    direct_part = httpx.get(simulator.url + KLINES, params=part)

    assert first.status_code == again.status_code == inside.status_code == 200
    assert fetched == 1
    assert first.json() == again.json() == direct.json()
    assert inside.json() == direct_part.json()
    assert gateway.stats()["hits"] >= 2


def test_latest_candles_are_reused_while_the_candle_in_progress_is_fresh(simulator, gateway):
    asked = {"symbol": symbol(simulator, 1), "interval": "1h", "limit": 100}
    before = kline_count(simulator)
    first = httpx.get(gateway.url + KLINES, params=asked).json()
    again = httpx.get(gateway.url + KLINES, params=asked).json()

    assert kline_count(simulator) - before == 1
    assert again == first
    now = time.time_ns() // 1_000_000
    assert first[-1][0] == now // 3_600_000 * 3_600_000  # the candle in progress is last


def test_the_candle_in_progress_is_refreshed_when_older_than_its_ttl(simulator):
    asked = {"symbol": symbol(simulator, 2), "interval": "5m", "limit": 20}
    with running_gateway(simulator.url, live_ttl=0.2) as gateway:
        before = kline_count(simulator)
        first = httpx.get(gateway.url + KLINES, params=asked).json()
        time.sleep(0.4)
        later = httpx.get(gateway.url + KLINES, params=asked).json()
        direct = httpx.get(simulator.url + KLINES, params=asked).json()
        assert kline_count(simulator) - before == 3  # both gateway requests went upstream
    now = time.time_ns() // 1_000_000
    assert later[-1][0] == now // 300_000 * 300_000
    assert later[:-1] == direct[:-1]
    assert first[-1][0] <= later[-1][0]


def test_exchange_info_is_fetched_once_for_every_bot(simulator, gateway):
    before = simulator.request_counts().get("/api/v3/exchangeInfo", 0)
    answers = [httpx.get(gateway.url + "/api/v3/exchangeInfo") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert simulator.request_counts().get("/api/v3/exchangeInfo", 0) - before == 1
    assert {s["symbol"] for s in answers[0].json()["symbols"]} >= {symbol(simulator, 0)}


@pytest.mark.parametrize(
    ("method", "path", "params", "headers"),
    [
        ("POST", "/api/v3/order", {"symbol": "X", "side": "BUY"}, {}),
        ("DELETE", "/api/v3/order", {"symbol": "X"}, {}),
        ("GET", "/api/v3/account", {"timestamp": "1", "signature": "00"}, {}),
        ("GET", "/api/v3/openOrders", {}, {}),
        ("GET", "/sapi/v1/capital/config/getall", {}, {}),
        ("GET", KLINES, {"symbol": "BTCUSDT", "interval": "5m", "signature": "00"}, {}),
        ("GET", "/api/v3/ticker/price", {}, {"X-MBX-APIKEY": "key"}),
    ],
)
def test_private_requests_are_refused_and_never_reach_the_exchange(
    simulator, gateway, method, path, params, headers
):
    before = simulator.stats()
    answer = httpx.request(method, gateway.url + path, params=params, headers=headers)
    after = simulator.stats()

    assert answer.status_code == 403
    assert "directly" in answer.json()["msg"]
    assert after["requests"] == before["requests"]
    assert after["not_simulated"] == before["not_simulated"]


def test_stats_report_hits_weight_and_limit(simulator, gateway):
    httpx.get(gateway.url + "/api/v3/ping")
    stats = gateway.stats()
    upstream = stats["upstream"]
    assert stats["exchange"] == "binance"
    assert stats["requests"]["/api/v3/ping"] >= 1
    assert upstream["limit_per_minute"] == 6000
    assert upstream["budget_per_minute"] == 3000  # default share 0.5
    assert upstream["weight_last_minute"] >= 1
    assert stats["back_off"] is None
    assert 0 <= (stats["hit_rate"] or 0) <= 1
