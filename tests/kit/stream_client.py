"""A simulator's stream connection in tests: requests on it, and REST's view of the
candles it pushes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

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
