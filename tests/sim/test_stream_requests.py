"""A stream connection's requests in process: subscriptions, replies with the request's
id, refusals and Binance's error codes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from freqfleet.sim.streams import UPDATE_MS
from tests.kit.clock import Clock
from tests.kit.stream_client import request, subscribe

# A push that never comes must fail the test, not hang it.
pytestmark = pytest.mark.timeout(60)


def test_subscribe_replies_with_the_request_id_and_lists_the_streams(streams: Any) -> None:
    subscribe(streams, "btcusdt@kline_1m", "ethusdt@kline_5m", request_id=7)
    subscribe(streams, "btcusdt@kline_1m", request_id="a1-b2")  # again: no duplicate
    listed = request(streams, "LIST_SUBSCRIPTIONS", request_id=None)
    assert listed == {"result": ["btcusdt@kline_1m", "ethusdt@kline_5m"], "id": None}


def test_unsubscribe_stops_a_stream_and_replies_with_the_id(streams: Any, clock: Clock) -> None:
    subscribe(streams, "btcusdt@kline_1m", "ethusdt@kline_1m")
    reply = request(streams, "UNSUBSCRIBE", ["ethusdt@kline_1m"], request_id=312)
    assert reply == {"result": None, "id": 312}
    clock.now_ms += UPDATE_MS
    assert streams.receive_json()["s"] == "BTCUSDT"
    # Nothing else was pushed for that tick: the next frame is the reply.
    assert request(streams, "LIST_SUBSCRIPTIONS", request_id=4) == {
        "result": ["btcusdt@kline_1m"],
        "id": 4,
    }


@pytest.mark.parametrize(
    "stream",
    [
        "nopeusdt@kline_1m",  # unknown symbol
        "btcusdt@kline_7m",  # not an interval
        "btcusdt@kline_1w",  # Binance's, not simulated
        "btcusdt@trade",  # another stream type
        "BTCUSDT@kline_1m",  # Binance's stream names are lowercase
        "btcusdt@kline_1m@+08:00",  # a time zone
    ],
)
def test_a_stream_it_cannot_serve_is_refused_with_binances_error(
    client: TestClient, streams: Any, clock: Clock, stream: str
) -> None:
    reply = request(streams, "SUBSCRIBE", ["btcusdt@kline_1m", stream], request_id=5)
    assert reply == {"error": {"code": 2, "msg": "Invalid request: invalid stream"}, "id": 5}
    # The whole request is refused, and the connection keeps serving.
    assert request(streams, "LIST_SUBSCRIPTIONS")["result"] == []
    subscribe(streams, "ethusdt@kline_1m", request_id=6)
    clock.now_ms += UPDATE_MS
    assert streams.receive_json()["s"] == "ETHUSDT"
    stats = client.get("/sim/stats").json()["streams"]
    assert stats["refused"] == {stream: 1} and stats["errors"] == {"2": 1}


@pytest.mark.parametrize(
    ("frame", "code", "message"),
    [
        ("{not json", 3, "Invalid JSON: expected value at line 1 column 2"),
        ('{"method": "SUBSCRIBE", "params": [], "id": true}', 2, "request ID must be"),
        ('{"method": "SUBSCRIBE", "params": [], "id": 1.5}', 2, "request ID must be"),
        ('{"params": [], "id": 3}', 2, "missing field `method`"),
        ('{"method": "SUBSCRIBE", "params": [], "id": 3, "extra": 1}', 2, "too many parameters"),
        ('{"method": "PING", "id": 3}', 2, "unknown variant `PING`, expected one of"),
        ('{"method": "SUBSCRIBE", "params": "btcusdt@kline_1m", "id": 3}', 2, "params"),
        ('{"method": "GET_PROPERTY", "params": ["speed"], "id": 3}', 0, "Unknown property"),
        ('{"method": "GET_PROPERTY", "params": [1], "id": 3}', 2, "property name must be"),
        ('{"method": "SET_PROPERTY", "params": ["combined", 1], "id": 3}', 1, "expected Boolean"),
    ],
)
def test_malformed_requests_get_binances_error_codes(
    streams: Any, frame: str, code: int, message: str
) -> None:
    streams.send_text(frame)
    reply = streams.receive_json()
    assert reply["error"]["code"] == code and message in reply["error"]["msg"], reply
    assert subscribe(streams, "btcusdt@kline_1m", request_id=10) is None  # still serving
