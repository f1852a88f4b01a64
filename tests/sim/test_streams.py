"""Binance's kline streams in process: subscriptions, pushes on the simulator's clock,
closed candles equal to REST's, errors, counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from freqfleet.datasets import dataset_dir
from freqfleet.sim.app import UNATTRIBUTED, create_app
from freqfleet.sim.config import BOT_HEADER
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.models.replay import ReplayModel
from freqfleet.sim.streams import CATCH_UP, TICKER_MS, UPDATE_MS
from tests.kit.clock import NOW_MS, Clock
from tests.kit.waiting import wait_until

# A push that never comes must fail the test, not hang it.
pytestmark = pytest.mark.timeout(60)

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
REST_FIELDS = ("t", "o", "h", "l", "c", "v", "T", "q", "n", "V", "Q", "B")


def as_rest_row(kline: dict[str, Any]) -> list[Any]:
    """A stream's kline in the order of a REST kline row."""
    return [kline[key] for key in REST_FIELDS]


def rest_candle(client: TestClient, symbol: str, interval: str, open_ms: int) -> list[Any]:
    rows = client.get(
        "/api/v3/klines",
        params={"symbol": symbol, "interval": interval, "startTime": open_ms, "limit": 1},
    ).json()
    assert rows and rows[0][0] == open_ms, rows
    return rows[0]


def rest_newest(client: TestClient, symbol: str, interval: str) -> list[Any]:
    params = {"symbol": symbol, "interval": interval, "limit": 1}
    return client.get("/api/v3/klines", params=params).json()[-1]


def subscribe(ws: Any, *streams: str, request_id: Any = 1) -> None:
    ws.send_json({"method": "SUBSCRIBE", "params": list(streams), "id": request_id})
    assert ws.receive_json() == {"result": None, "id": request_id}


def request(ws: Any, method: str, params: Any = None, request_id: Any = 9) -> dict[str, Any]:
    message: dict[str, Any] = {"method": method, "id": request_id}
    if params is not None:
        message["params"] = params
    ws.send_json(message)
    return ws.receive_json()


@pytest.fixture
def streams(client: TestClient) -> Iterator[Any]:
    """A raw-stream connection as ccxt opens it (``/ws/<connection number>``)."""
    with client.websocket_connect("/ws/0") as ws:
        yield ws


def test_subscribe_replies_with_the_request_id_and_lists_the_streams(streams: Any) -> None:
    subscribe(streams, "btcusdt@kline_1m", "ethusdt@kline_5m", request_id=7)
    subscribe(streams, "btcusdt@kline_1m", request_id="a1-b2")  # again: no duplicate
    listed = request(streams, "LIST_SUBSCRIPTIONS", request_id=None)
    assert listed == {"result": ["btcusdt@kline_1m", "ethusdt@kline_5m"], "id": None}


def test_the_candle_in_progress_is_pushed_every_tick_as_rest_shows_it(
    client: TestClient, streams: Any, clock: Clock
) -> None:
    subscribe(streams, "btcusdt@kline_1m")
    for _ in range(2):
        clock.now_ms += UPDATE_MS
        event = streams.receive_json()
        assert (event["e"], event["E"], event["s"]) == ("kline", clock.now_ms, "BTCUSDT")
        kline = event["k"]
        assert (kline["s"], kline["i"], kline["x"]) == ("BTCUSDT", "1m", False)
        assert kline["t"] == clock.now_ms - clock.now_ms % MINUTE
        assert as_rest_row(kline) == rest_newest(client, "BTCUSDT", "1m")
        assert kline["L"] - kline["f"] + 1 == kline["n"]


def test_ticker_streams_push_every_second_what_rest_answers(
    client: TestClient, streams: Any, clock: Clock
) -> None:
    """``<symbol>@ticker`` is Binance's 24hr ticker event, ``@miniTicker`` its mini one,
    each second; every value is the REST ``/api/v3/ticker/24hr`` field at that moment."""
    subscribe(streams, "btcusdt@ticker", "ethusdt@miniTicker")
    fields = {"c": "lastPrice", "b": "bidPrice", "a": "askPrice", "o": "openPrice"}
    fields |= {"h": "highPrice", "l": "lowPrice", "v": "volume", "q": "quoteVolume"}
    for _ in range(2):
        clock.now_ms += TICKER_MS
        full, mini = streams.receive_json(), streams.receive_json()
        rest = client.get("/api/v3/ticker/24hr", params={"symbol": "BTCUSDT"}).json()
        assert (full["e"], full["E"], full["s"]) == ("24hrTicker", clock.now_ms, "BTCUSDT")
        assert {k: full[k] for k in fields} == {k: rest[v] for k, v in fields.items()}
        assert (full["C"], full["n"], full["x"]) == (
            rest["closeTime"],
            rest["count"],
            rest["prevClosePrice"],
        )
        assert float(full["a"]) > float(full["b"]) > 0
        rest_eth = client.get("/api/v3/ticker/24hr", params={"symbol": "ETHUSDT"}).json()
        assert (mini["e"], mini["s"]) == ("24hrMiniTicker", "ETHUSDT")
        assert mini["c"] == rest_eth["lastPrice"] and "b" not in mini
    assert TICKER_MS == 1_000 and request(streams, "SUBSCRIBE", ["nopeusdt@ticker"])["error"]


def test_at_the_close_the_final_candle_equals_rest_then_the_new_candle_follows(
    client: TestClient, streams: Any, clock: Clock
) -> None:
    subscribe(streams, "ethusdt@kline_1m", "ethusdt@kline_5m")
    boundary = NOW_MS - NOW_MS % (5 * MINUTE) + 5 * MINUTE  # a 1m and a 5m close
    clock.now_ms = boundary - 500
    before = [streams.receive_json()["k"] for _ in range(5)]  # three 1m closes, 2 live
    assert [k["x"] for k in before].count(True) == 3
    clock.now_ms = boundary + 3
    events = [streams.receive_json() for _ in range(4)]
    by_interval = {
        interval: [e["k"] for e in events if e["k"]["i"] == interval] for interval in ("1m", "5m")
    }
    for interval, length in (("1m", MINUTE), ("5m", 5 * MINUTE)):
        closed, new = by_interval[interval]
        assert closed["x"] is True and closed["t"] == boundary - length
        assert closed["T"] == boundary - 1
        assert as_rest_row(closed) == rest_candle(client, "ETHUSDT", interval, boundary - length)
        assert new["x"] is False and new["t"] == boundary
        assert as_rest_row(new) == rest_newest(client, "ETHUSDT", interval)
        # The candle in progress just before the close had the same open, and at the close
        # REST serves exactly the pushed final candle.
        assert closed["o"] == rest_candle(client, "ETHUSDT", "1m", boundary - length)[1]


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


def test_a_websocket_on_another_path_is_logged_as_not_simulated(client: TestClient) -> None:
    with (
        pytest.raises((WebSocketDenialResponse, WebSocketDisconnect)),
        client.websocket_connect("/ws-api/v3") as ws,
    ):
        ws.receive_json()
    assert client.get("/sim/stats").json()["not_simulated"] == {"WS /ws-api/v3": 1}


def test_an_interval_finer_than_the_models_candles_is_refused(clock: Clock) -> None:
    model = ReplayModel.from_directory(dataset_dir("binance-2018"), anchor_ms=NOW_MS - NOW_MS % DAY)
    assert model.base_ms == 5 * MINUTE
    with (
        TestClient(create_app(SimExchange(model, clock=clock))) as client,
        client.websocket_connect("/ws/0") as ws,
    ):
        symbol = model.markets[0].symbol.lower()
        assert request(ws, "SUBSCRIBE", [f"{symbol}@kline_1m"])["error"]["code"] == 2
        subscribe(ws, f"{symbol}@kline_5m")
