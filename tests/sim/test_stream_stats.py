"""Stream counts in process: connections, subscriptions and messages per bot, apart from
the request counts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from freqfleet.sim.config import BOT_HEADER
from freqfleet.sim.request_stats import UNATTRIBUTED
from freqfleet.sim.streams import UPDATE_MS
from tests.kit.clock import Clock
from tests.kit.stream_client import request, subscribe
from tests.kit.waiting import wait_until

# A push that never comes must fail the test, not hang it.
pytestmark = pytest.mark.timeout(60)


def test_streams_are_counted_per_bot_without_request_weight(
    client: TestClient, clock: Clock
) -> None:
    before = client.get("/sim/stats").json()
    with client.websocket_connect("/ws/0", headers={BOT_HEADER: "producer-1"}) as named:
        subscribe(named, "btcusdt@kline_1m", "ethusdt@kline_1m")
        with client.websocket_connect("/ws/0") as anonymous:
            subscribe(anonymous, "btcusdt@kline_1m")
            clock.now_ms += UPDATE_MS
            named.receive_json(), named.receive_json(), anonymous.receive_json()
            during = client.get("/sim/stats").json()["streams"]
            # Unsubscribing the last stream leaves the connection open.
            request(anonymous, "UNSUBSCRIBE", ["btcusdt@kline_1m"])
    # The server sees the closes a moment later.
    assert wait_until(lambda: client.get("/sim/stats").json()["streams"]["open"] == 0, 10)
    after = client.get("/sim/stats").json()
    assert (during["connections"], during["open"], during["subscriptions"]) == (2, 2, 3)
    assert during["bots"]["producer-1"] == {
        "connections": 1,
        "open": 1,
        "subscriptions": 2,
        "messages": 2,
    }
    assert during["bots"][UNATTRIBUTED]["messages"] == 1
    streams = after["streams"]
    assert (streams["connections"], streams["open"], streams["subscriptions"]) == (2, 0, 0)
    assert streams["messages"] == 3
    # Streams carry no request weight and are not requests.
    assert after["total_weight"] == before["total_weight"] == 0
    assert after["total_requests"] == before["total_requests"]
