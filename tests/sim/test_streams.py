"""Binance's kline streams in process: connections by path, pushes on the simulator's
clock at each close (none lost when the clock jumps), combined payloads."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from freqfleet.sim.streams import CATCH_UP, UPDATE_MS
from tests.kit.clock import NOW_MS, Clock
from tests.kit.stream_client import as_rest_row, request, rest_candle, subscribe

# A push that never comes must fail the test, not hang it.
pytestmark = pytest.mark.timeout(60)

MINUTE = 60_000
HOUR = 60 * MINUTE


def test_an_hourly_close_and_a_jump_over_several_closes_leave_no_hole(
    client: TestClient, streams: Any, clock: Clock
) -> None:
    subscribe(streams, "solusdt@kline_1h")
    hour = NOW_MS - NOW_MS % HOUR + HOUR
    clock.now_ms = hour + 10
    closed, new = streams.receive_json()["k"], streams.receive_json()["k"]
    assert (closed["x"], closed["t"], new["t"]) == (True, hour - HOUR, hour)
    assert as_rest_row(closed) == rest_candle(client, "SOLUSDT", "1h", hour - HOUR)

    subscribe(streams, "solusdt@kline_1m", request_id=2)
    clock.now_ms = hour + 3 * MINUTE + 500  # three 1m closes at once (a stalled loop)
    events = [streams.receive_json()["k"] for _ in range(5)]  # 3 closed 1m, 1m and 1h live
    closed_opens = [k["t"] for k in events if k["x"]]
    assert closed_opens == [hour, hour + MINUTE, hour + 2 * MINUTE]
    assert CATCH_UP >= 3
    for kline in events:
        if kline["x"]:
            assert as_rest_row(kline) == rest_candle(client, "SOLUSDT", "1m", kline["t"])


def test_combined_payloads_by_property_or_by_the_stream_path(
    client: TestClient, streams: Any, clock: Clock
) -> None:
    assert request(streams, "GET_PROPERTY", ["combined"]) == {"result": False, "id": 9}
    assert request(streams, "SET_PROPERTY", ["combined", True]) == {"result": None, "id": 9}
    assert request(streams, "GET_PROPERTY", ["combined"]) == {"result": True, "id": 9}
    subscribe(streams, "btcusdt@kline_1m")
    clock.now_ms += UPDATE_MS
    wrapped = streams.receive_json()
    assert wrapped["stream"] == "btcusdt@kline_1m" and wrapped["data"]["e"] == "kline"
    with client.websocket_connect("/stream?streams=ethusdt@kline_1m/btcusdt@kline_5m") as other:
        assert request(other, "LIST_SUBSCRIPTIONS")["result"] == [
            "ethusdt@kline_1m",
            "btcusdt@kline_5m",
        ]
        clock.now_ms += UPDATE_MS
        assert {other.receive_json()["stream"] for _ in range(2)} == {
            "ethusdt@kline_1m",
            "btcusdt@kline_5m",
        }


def test_a_stream_named_in_the_path_is_subscribed_at_once(client: TestClient, clock: Clock) -> None:
    with client.websocket_connect("/ws/xrpusdt@kline_3m") as ws:
        assert request(ws, "LIST_SUBSCRIPTIONS")["result"] == ["xrpusdt@kline_3m"]
        clock.now_ms += UPDATE_MS
        assert ws.receive_json()["k"]["i"] == "3m"
