"""The Binance USD-M futures profile: its weights, limit, public paths and candle requests,
and a gateway fronting the simulator's futures API for a ccxt futures client."""

from __future__ import annotations

import copy

import ccxt
import pytest

from freqfleet.errors import ConfigError
from freqfleet.gateway import running_gateway
from freqfleet.gateway.profile import BINANCE_FUTURES, BINANCE_SPOT, profile_for
from freqfleet.gateway.routing import exchange_profile, route_public, upstream_of
from freqfleet.sim.config import futures_config
from freqfleet.sim.launcher import running_simulator


@pytest.mark.parametrize(
    ("path", "params", "weight"),
    [
        ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": "99"}, 1),
        ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": "499"}, 2),
        ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m"}, 5),
        ("/fapi/v1/markPriceKlines", {"symbol": "BTCUSDT", "limit": "1000"}, 5),
        ("/fapi/v1/indexPriceKlines", {"pair": "BTCUSDT", "limit": "1500"}, 10),
        ("/fapi/v1/depth", {"symbol": "BTCUSDT", "limit": "20"}, 2),
        ("/fapi/v1/depth", {"symbol": "BTCUSDT"}, 10),
        ("/fapi/v1/depth", {"symbol": "BTCUSDT", "limit": "1000"}, 20),
        ("/fapi/v1/ticker/24hr", {"symbol": "BTCUSDT"}, 1),
        ("/fapi/v1/ticker/24hr", {}, 40),
        ("/fapi/v1/ticker/bookTicker", {}, 5),
        ("/fapi/v2/ticker/price", {"symbol": "BTCUSDT"}, 1),
        ("/fapi/v1/premiumIndex", {"symbol": "BTCUSDT"}, 1),
        ("/fapi/v1/premiumIndex", {}, 10),
        ("/fapi/v1/fundingRate", {"limit": "1000"}, 1),
        ("/fapi/v1/exchangeInfo", {}, 1),
    ],
)
def test_weights_follow_binance_usdm(path: str, params: dict, weight: int) -> None:
    assert BINANCE_FUTURES.weight(path, params) == weight


def test_limit_lookup_and_refusals() -> None:
    assert BINANCE_FUTURES.limit_per_minute == 2400
    assert BINANCE_FUTURES.used_weight_header == "x-mbx-used-weight-1m"
    assert profile_for("binance", "futures") is BINANCE_FUTURES
    assert profile_for("binance-futures") is BINANCE_FUTURES
    assert profile_for("Binance") is BINANCE_SPOT
    assert profile_for("kraken", "futures") is None
    assert BINANCE_FUTURES.refusal("GET", "/fapi/v2/account", {}, {}) is not None
    assert BINANCE_FUTURES.refusal("GET", "/fapi/v1/leverageBracket", {}, {}) is not None
    assert BINANCE_FUTURES.refusal("GET", "/api/v3/klines", {"symbol": "X"}, {}) is not None
    assert BINANCE_FUTURES.refusal("GET", "/fapi/v1/klines", {"symbol": "X"}, {}) is None


def test_futures_candle_requests_up_to_1500_are_cached() -> None:
    query = BINANCE_FUTURES.kline_query(
        "/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "5m", "limit": "1500"}
    )
    assert query is not None and (query.limit, query.interval_ms) == (1500, 300_000)
    too_many = {"symbol": "BTCUSDT", "interval": "5m", "limit": "1501"}
    assert BINANCE_FUTURES.kline_query("/fapi/v1/klines", too_many) is None
    spot = {"symbol": "BTCUSDT", "interval": "5m", "limit": "1500"}
    assert BINANCE_SPOT.kline_query("/api/v3/klines", spot) is None


def test_a_futures_bot_is_routed_by_its_fapi_public_urls() -> None:
    exchange = futures_config("http://127.0.0.1:8500", ["BTC/USDT:USDT"])["exchange"]
    profile = exchange_profile(exchange, "futures")
    assert profile is BINANCE_FUTURES
    assert upstream_of(exchange, profile) == "http://127.0.0.1:8500"
    routed = route_public(exchange, profile, "http://127.0.0.1:8490")
    api = routed["ccxt_config"]["urls"]["api"]
    assert api["fapiPublic"] == "http://127.0.0.1:8490/fapi/v1"
    assert api["fapiPublicV2"] == "http://127.0.0.1:8490/fapi/v2"
    assert api["fapiPrivate"] == "http://127.0.0.1:8500/fapi/v1"  # signed: straight on
    assert api["public"] == "http://127.0.0.1:8500/api/v3"
    with pytest.raises(ConfigError, match="trading_mode futures"):
        exchange_profile({"name": "kraken"}, "futures")


@pytest.mark.timeout(120)
def test_a_gateway_fronts_the_simulators_futures_api_for_ccxt() -> None:
    with running_simulator(pairs=4, seed=3) as sim:
        exchange = sim.futures_config()["exchange"]
        with running_gateway(sim.url, exchange="binance-futures") as gateway:
            routed = route_public(exchange, BINANCE_FUTURES, gateway.url)
            settings = copy.deepcopy(routed["ccxt_config"])
            client = ccxt.binanceusdm(settings)
            assert sorted(client.load_markets()) == sorted(sim.futures_pairs)
            first = client.fetch_ohlcv("BTC/USDT:USDT", "1m", limit=499)
            again = client.fetch_ohlcv("BTC/USDT:USDT", "1m", limit=499)
            mark = client.fetch_ohlcv("BTC/USDT:USDT", "1m", limit=10, params={"price": "mark"})
            rates = client.fetch_funding_rate_history("BTC/USDT:USDT", limit=5)
            stats = gateway.stats()
        counts = sim.request_counts()
    assert len(first) == len(again) == 499 and len(mark) == 10 and len(rates) == 5
    assert first[:-1] == again[:-1]
    assert counts["/fapi/v1/klines"] == 1  # the second came from the gateway's cache
    assert counts["/fapi/v1/markPriceKlines"] == 1 and counts["/fapi/v1/fundingRate"] == 1
    assert stats["exchange"] == "binance-futures"
    assert stats["upstream"]["limit_per_minute"] == 2400
