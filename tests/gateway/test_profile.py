"""The Binance spot profile: weights, public paths, refusals and candle requests."""

from __future__ import annotations

import pytest

from freqfleet.gateway.profile import BINANCE_SPOT, KlineQuery, profile_for


@pytest.mark.parametrize(
    ("path", "params", "weight"),
    [
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "5m", "limit": "1000"}, 2),
        ("/api/v3/exchangeInfo", {}, 20),
        ("/api/v3/depth", {"symbol": "BTCUSDT", "limit": "1000"}, 50),
        ("/api/v3/depth", {"symbol": "BTCUSDT"}, 5),
        ("/api/v3/ticker/24hr", {}, 80),
        ("/api/v3/ticker/24hr", {"symbol": "BTCUSDT"}, 2),
        ("/api/v3/ticker/24hr", {"symbols": '["S' + '","S'.join(map(str, range(20))) + '"]'}, 2),
        ("/api/v3/ticker/24hr", {"symbols": '["S' + '","S'.join(map(str, range(21))) + '"]'}, 40),
        ("/api/v3/ticker/24hr", {"symbols": '["S' + '","S'.join(map(str, range(100))) + '"]'}, 40),
        ("/api/v3/ticker/24hr", {"symbols": '["S' + '","S'.join(map(str, range(101))) + '"]'}, 80),
        ("/api/v3/ticker/price", {"symbols": '["BTCUSDT","ETHUSDT"]'}, 4),
        ("/api/v3/ticker", {"symbols": '["A","B","C"]'}, 12),
        ("/api/v3/depth", {"limit": "lots"}, 5),
        ("/api/v3/order", {}, 1),
    ],
)
def test_weights_follow_binance(path, params, weight):
    assert BINANCE_SPOT.weight(path, params) == weight


def test_limit_and_lookup_by_freqtrade_exchange_name():
    assert BINANCE_SPOT.limit_per_minute == 6000
    assert profile_for("Binance") is BINANCE_SPOT
    assert profile_for("kraken") is None


@pytest.mark.parametrize(
    ("method", "path", "params", "headers"),
    [
        ("POST", "/api/v3/order", {}, {}),
        ("GET", "/api/v3/account", {}, {}),
        ("GET", "/sapi/v1/capital/config/getall", {}, {}),
        ("GET", "/api/v3/klines", {"symbol": "BTCUSDT", "signature": "ab"}, {}),
        ("GET", "/api/v3/ticker/price", {}, {"x-mbx-apikey": "k"}),
    ],
)
def test_private_or_keyed_requests_are_refused(method, path, params, headers):
    reason = BINANCE_SPOT.refusal(method, path, params, headers)
    assert reason is not None and "directly" in reason


def test_public_market_data_passes():
    assert BINANCE_SPOT.refusal("GET", "/api/v3/klines", {"symbol": "X"}, {}) is None


def test_kline_query_reads_binance_parameters():
    query = BINANCE_SPOT.kline_query(
        "/api/v3/klines",
        {"symbol": "BTCUSDT", "interval": "5m", "startTime": "600000", "limit": "3"},
    )
    assert query == KlineQuery("BTCUSDT", "5m", 300_000, 600_000, None, 3)
    default = BINANCE_SPOT.kline_query("/api/v3/klines", {"symbol": "A", "interval": "1h"})
    assert default is not None and default.limit == 500


@pytest.mark.parametrize(
    "params",
    [
        {"symbol": "A", "interval": "1w"},
        {"symbol": "A", "interval": "7m"},
        {"symbol": "A", "interval": "5m", "limit": "1001"},
        {"symbol": "A", "interval": "5m", "startTime": "x"},
        {"symbol": "A", "interval": "5m", "startTime": "10", "endTime": "5"},
        {"symbol": "A", "interval": "5m", "timeZone": "8"},
        {"symbol": "A", "interval": "5m", "extra": "1"},
        {"interval": "5m"},
    ],
)
def test_kline_requests_the_cache_cannot_answer_exactly_pass_through(params):
    assert BINANCE_SPOT.kline_query("/api/v3/klines", params) is None
