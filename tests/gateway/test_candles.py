"""The candle cache answers exactly what the exchange answers, for every kind of range.

Each request goes through the gateway twice (the first fills the cache, the second is
answered from it where it can be) and once straight to the simulator; all three must
agree. Only the candle in progress may differ (it moves between the calls), so it is
compared by open time.
"""

from __future__ import annotations

import time

import httpx
import pytest

from freqfleet.gateway import running_gateway
from tests.kit.sim_requests import HOUR_MS, symbol

KLINES = "/api/v3/klines"
NOW_MS = time.time_ns() // 1_000_000
DAY_MS = 24 * HOUR_MS


@pytest.fixture(scope="module")
def gateway(simulator):
    with running_gateway(simulator.url, live_ttl=30) as running:
        yield running


def same_candles(got: list, expected: list, now_ms: int) -> bool:
    """Equal rows; a last row still in progress is compared by its open time only."""
    if len(got) != len(expected):
        return False
    if got and got[-1][6] >= now_ms - 10_000:  # closes around now: in progress
        return got[:-1] == expected[:-1] and got[-1][0] == expected[-1][0]
    return got == expected


QUERIES = [
    {"interval": "5m", "limit": 1000},
    {"interval": "1m", "limit": 3},
    {"interval": "1h", "limit": 500},
    {"interval": "1d", "limit": 30},
    {"interval": "5m", "startTime": NOW_MS - DAY_MS, "limit": 100},
    {"interval": "5m", "startTime": NOW_MS - DAY_MS + 1, "limit": 100},
    {"interval": "5m", "startTime": NOW_MS - 2 * HOUR_MS},
    {"interval": "5m", "endTime": NOW_MS - DAY_MS, "limit": 50},
    {"interval": "5m", "startTime": NOW_MS - DAY_MS, "endTime": NOW_MS - DAY_MS + HOUR_MS},
    {"interval": "15m", "startTime": 0, "limit": 5},
    {"interval": "1h", "endTime": 1_000_000, "limit": 5},
    {"interval": "5m", "startTime": NOW_MS + DAY_MS},
    {"interval": "1w", "limit": 3},
    {"interval": "5m", "limit": 2000},
    {"interval": "7m"},
]


def query_id(query: dict) -> str:
    """The query with times relative to now (ids must not change between collections:
    parallel workers compare them)."""

    def text(value: object) -> str:
        if isinstance(value, int) and abs(value - NOW_MS) <= 2 * DAY_MS:
            return f"now{value - NOW_MS:+d}ms"
        return str(value)

    return "&".join(f"{k}={text(v)}" for k, v in query.items())


@pytest.mark.parametrize("query", QUERIES, ids=query_id)
def test_gateway_answers_like_the_exchange(simulator, gateway, query):
    params = {"symbol": symbol(simulator, 6), **query}
    first = httpx.get(gateway.url + KLINES, params=params)
    again = httpx.get(gateway.url + KLINES, params=params)
    direct = httpx.get(simulator.url + KLINES, params=params)
    now_ms = time.time_ns() // 1_000_000
    assert first.status_code == again.status_code == direct.status_code
    if direct.status_code != 200:
        assert first.json() == again.json() == direct.json()  # the exchange's own error
        return
    assert same_candles(first.json(), direct.json(), now_ms)
    assert same_candles(again.json(), direct.json(), now_ms)


def test_ranges_inside_fetched_history_need_no_upstream_call(simulator, gateway):
    params = {"symbol": symbol(simulator, 7), "interval": "1m", "limit": 1000}
    httpx.get(gateway.url + KLINES, params=params).raise_for_status()
    before = simulator.request_counts()[KLINES]
    start = (NOW_MS - 10 * HOUR_MS) // 60_000 * 60_000
    inside = [
        {"startTime": start, "limit": 60},
        {"startTime": start + 30_000, "endTime": start + 3_600_000},
        {"endTime": start + 5 * 3_600_000, "limit": 100},
        {"limit": 10},
    ]
    answers = [httpx.get(gateway.url + KLINES, params={**params, **part}).json() for part in inside]
    assert simulator.request_counts()[KLINES] == before
    assert [len(a) for a in answers] == [60, 60, 100, 10]
    assert answers[0][0][0] == start
    assert answers[1][0][0] == start + 60_000  # the first candle opening at or after start
