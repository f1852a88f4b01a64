"""A GET request's way through the simulator in process: failures answered without a
500, paths and websockets the simulator does not imitate logged and counted."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from freqfleet.sim.exchange import SimExchange
from tests.kit.sim_client import error_of


def test_unknown_paths_are_logged_and_counted(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/dapi/v1/exchangeInfo")
    assert response.status_code == 404 and "code" in response.json()
    assert client.post("/api/v3/order", params={"symbol": "BTCUSDT"}).status_code == 404
    assert client.get("/api/v3/ping/", follow_redirects=False).status_code == 404
    assert client.post("/api/v3/klines", params={"symbol": "BTCUSDT"}).status_code == 405
    stats = client.get("/sim/stats").json()
    assert stats["not_simulated"] == {
        "GET /dapi/v1/exchangeInfo": 1,
        "POST /api/v3/order": 1,
        "POST /api/v3/klines": 1,
        "GET /api/v3/ping/": 1,
    }
    assert "Not simulated: GET /dapi/v1/exchangeInfo" in caplog.text


def test_failures_inside_are_answered_without_a_500(
    client: TestClient, exchange: SimExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("model failure")

    monkeypatch.setattr(exchange.store, "klines", broken)
    response = client.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m"})
    assert error_of(response) == (400, -1000)
    assert "Traceback" not in response.text and "model failure" not in response.text


def test_a_websocket_on_another_path_is_logged_as_not_simulated(client: TestClient) -> None:
    with (
        pytest.raises((WebSocketDenialResponse, WebSocketDisconnect)),
        client.websocket_connect("/ws-api/v3") as ws,
    ):
        ws.receive_json()
    assert client.get("/sim/stats").json()["not_simulated"] == {"WS /ws-api/v3": 1}
