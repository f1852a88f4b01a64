"""Binance's market data endpoints in process: fields, range semantics and errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from freqfleet.sim.exchange import SimExchange
from tests.kit.clock import NOW_MS, Clock
from tests.kit.sim_client import error_of, klines

MINUTE = 60_000


def test_klines_default_is_newest_500_with_the_candle_in_progress(client: TestClient) -> None:
    rows = klines(client, symbol="BTCUSDT", interval="5m")
    assert len(rows) == 500
    newest = rows[-1]
    assert newest[0] == NOW_MS - NOW_MS % (5 * MINUTE)
    assert newest[6] == newest[0] + 5 * MINUTE - 1 > NOW_MS
    assert [r[0] for r in rows] == list(range(rows[0][0], newest[0] + 1, 5 * MINUTE))
    assert len(newest) == 12 and all(isinstance(v, str) for v in newest[1:6])


def test_klines_start_end_and_limit_follow_binance(client: TestClient) -> None:
    step = 15 * MINUTE
    current = NOW_MS - NOW_MS % step
    start = current - 100 * step + 1  # not on a boundary: the next candle is the first
    rows = klines(client, symbol="ETHUSDT", interval="15m", startTime=start, limit=10)
    assert [r[0] for r in rows] == [current - 99 * step + i * step for i in range(10)]
    end = current - 20 * step + 5
    rows = klines(client, symbol="ETHUSDT", interval="15m", endTime=end, limit=3)
    assert [r[0] for r in rows] == [current - 22 * step, current - 21 * step, current - 20 * step]
    rows = klines(
        client, symbol="ETHUSDT", interval="15m", startTime=start, endTime=end, limit=1000
    )
    assert rows[0][0] == current - 99 * step and rows[-1][0] == current - 20 * step
    assert len(rows) == 80
    # Reaching into the future stops at the candle in progress; nothing opens later.
    rows = klines(client, symbol="ETHUSDT", interval="15m", startTime=current - 2 * step)
    assert [r[0] for r in rows] == [current - 2 * step, current - step, current]
    assert klines(client, symbol="ETHUSDT", interval="15m", startTime=current + step) == []
    # Before the market was listed there is nothing either.
    rows = klines(client, symbol="ETHUSDT", interval="1d", startTime=0, limit=2)
    assert rows[0][0] == 1_577_836_800_000


def test_same_candles_whatever_the_window(client: TestClient) -> None:
    """Overlapping requests (paging, refreshes) see identical closed candles."""
    a = klines(client, symbol="SOLUSDT", interval="1m", limit=1000)
    b = klines(client, symbol="SOLUSDT", interval="1m", startTime=a[300][0], limit=200)
    assert b == a[300:500]


def test_timeframes_are_aggregates_of_one_base_series(client: TestClient) -> None:
    one = klines(client, symbol="BNBUSDT", interval="1m", limit=1000)
    five = klines(client, symbol="BNBUSDT", interval="5m", startTime=one[0][0], limit=200)
    by_open = {row[0]: row for row in one}
    checked = 0
    for candle in five:
        parts = [
            by_open[candle[0] + i * MINUTE] for i in range(5) if candle[0] + i * MINUTE in by_open
        ]
        if len(parts) < 5 and parts[-1] is not one[-1]:
            continue
        assert candle[1] == parts[0][1]
        assert candle[4] == parts[-1][4]
        assert float(candle[2]) == max(float(p[2]) for p in parts)
        assert float(candle[3]) == min(float(p[3]) for p in parts)
        assert float(candle[5]) == pytest.approx(sum(float(p[5]) for p in parts), rel=1e-9)
        assert candle[8] == sum(p[8] for p in parts)
        checked += 1
    assert checked >= 199  # every 5m candle incl. the one in progress


def test_candle_in_progress_grows_into_the_closed_candle(client: TestClient, clock: Clock) -> None:
    open_ms = NOW_MS - NOW_MS % MINUTE
    clock.now_ms = open_ms + 1
    early = klines(client, symbol="XRPUSDT", interval="1m", limit=1)[0]
    assert early[1] == early[2] == early[3] == early[4]  # a millisecond in: no move yet
    clock.now_ms = open_ms + MINUTE + 30_000
    closed = klines(client, symbol="XRPUSDT", interval="1m", limit=2)[0]
    clock.now_ms = open_ms + MINUTE - 1
    late = klines(client, symbol="XRPUSDT", interval="1m", limit=1)[0]
    assert late[0] == closed[0] == open_ms
    assert late[1] == closed[1]
    tick = 1e-6
    for field in (2, 3, 4):
        assert abs(float(late[field]) - float(closed[field])) <= tick * 1.01


def test_ticker_book_and_depth_agree_with_the_last_candle(client: TestClient) -> None:
    last_candle = klines(client, symbol="LINKUSDT", interval="1m", limit=1)[0]
    ticker = client.get("/api/v3/ticker/24hr", params={"symbol": "LINKUSDT"}).json()
    assert ticker["lastPrice"] == last_candle[4]
    day = klines(client, symbol="LINKUSDT", interval="1m", limit=1000)
    older = klines(client, symbol="LINKUSDT", interval="1m", endTime=day[0][0] - 1, limit=440)
    window = older + day
    assert ticker["openPrice"] == window[0][1]
    assert float(ticker["highPrice"]) == max(float(r[2]) for r in window)
    assert float(ticker["volume"]) == pytest.approx(sum(float(r[5]) for r in window), rel=1e-9)
    assert float(ticker["bidPrice"]) < float(ticker["askPrice"])
    assert float(ticker["bidPrice"]) <= float(ticker["lastPrice"]) <= float(ticker["askPrice"])
    book = client.get("/api/v3/depth", params={"symbol": "LINKUSDT", "limit": 20}).json()
    bids = [float(p) for p, _ in book["bids"]]
    asks = [float(p) for p, _ in book["asks"]]
    assert len(bids) == len(asks) == 20
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] == float(ticker["bidPrice"]) and asks[0] == float(ticker["askPrice"])
    best = client.get("/api/v3/ticker/bookTicker", params={"symbol": "LINKUSDT"}).json()
    assert (best["bidPrice"], best["askPrice"]) == (ticker["bidPrice"], ticker["askPrice"])
    price = client.get("/api/v3/ticker/price", params={"symbol": "LINKUSDT"}).json()
    assert price == {"symbol": "LINKUSDT", "price": ticker["lastPrice"]}


def test_tickers_for_all_and_for_a_list(client: TestClient, exchange: SimExchange) -> None:
    everything = client.get("/api/v3/ticker/24hr").json()
    assert [t["symbol"] for t in everything] == [m.symbol for m in exchange.markets]
    some = client.get("/api/v3/ticker/24hr", params={"symbols": '["ETHUSDT","BTCUSDT"]'}).json()
    assert [t["symbol"] for t in some] == ["ETHUSDT", "BTCUSDT"]
    books = client.get("/api/v3/ticker/bookTicker").json()
    assert len(books) == len(exchange.markets)
    avg = client.get("/api/v3/avgPrice", params={"symbol": "BTCUSDT"}).json()
    assert avg["mins"] == 5 and float(avg["price"]) > 0


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/api/v3/klines", {"interval": "1m"}, -1102),
        ("/api/v3/klines", {"symbol": "NOPEUSDT", "interval": "1m"}, -1121),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "7m"}, -1120),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1w"}, -1120),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": 1001}, -1130),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": 0}, -1130),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "startTime": "x1"}, -1100),
        (
            "/api/v3/klines",
            {"symbol": "BTCUSDT", "interval": "1m", "startTime": 5, "endTime": 4},
            -1023,
        ),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "since": 5}, -1104),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1d", "timeZone": "+08:00"}, -1130),
        ("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 5001}, -1130),
        ("/api/v3/depth", {}, -1102),
        ("/api/v3/ticker/24hr", {"symbol": "NOPE"}, -1121),
        ("/api/v3/ticker/24hr", {"symbols": "BTCUSDT"}, -1100),
        ("/api/v3/ticker/24hr", {"symbol": "BTCUSDT", "symbols": '["BTCUSDT"]'}, -1128),
        ("/api/v3/ticker/bookTicker", {"symbols": '["BTCUSDT","NOPE"]'}, -1121),
    ],
)
def test_bad_requests_get_binance_errors(
    client: TestClient, path: str, params: dict, code: int
) -> None:
    assert error_of(client.get(path, params=params)) == (400, code)
    assert client.get("/sim/stats").json()["errors"][str(code)] == 1


def test_requests_know_when_candles_are_ready(client: TestClient, exchange: SimExchange) -> None:
    """Cold requests (generation) go to a worker thread; warm ones are answered inline."""
    store = exchange.store
    request = (0, 3_600_000, NOW_MS, None, None, 1000)
    assert not store.is_cached(*request)
    cold = klines(client, symbol="BTCUSDT", interval="1h", limit=1000)
    assert store.is_cached(*request)
    assert klines(client, symbol="BTCUSDT", interval="1h", limit=1000) == cold
    assert not store.is_cached(1, 3_600_000, NOW_MS, None, None, 1000)  # another pair
    assert not store.is_cached(0, 86_400_000, NOW_MS, None, None, 1000)  # another interval
