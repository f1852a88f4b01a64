"""The simulator's own endpoints in process: what ``/sim/stats`` and ``/sim/info`` say."""

from __future__ import annotations

from fastapi.testclient import TestClient

from freqfleet.sim.exchange import SimExchange


def test_request_counts_and_weight_header(client: TestClient) -> None:
    first = client.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m", "limit": 5})
    second = client.get("/api/v3/depth", params={"symbol": "BTCUSDT", "limit": 500})
    assert int(first.headers["X-MBX-USED-WEIGHT-1M"]) == 2
    assert int(second.headers["X-MBX-USED-WEIGHT-1M"]) == 2 + 25
    client.get("/api/v3/klines", params={"symbol": "ETHUSDT", "interval": "1m", "limit": 5})
    stats = client.get("/sim/stats").json()
    assert stats["requests"]["/api/v3/klines"] == 2
    assert stats["requests"]["/api/v3/depth"] == 1
    assert stats["weight_1m"] == 29 and stats["weight_limit"] is None


def test_info_names_the_model_and_its_pairs_uncounted(
    client: TestClient, exchange: SimExchange
) -> None:
    info = client.get("/sim/info").json()
    assert info["model"] == exchange.model.name and info["description"]
    assert info["pairs"] == [m.pair for m in exchange.markets]
    assert info["base_timeframe_ms"] == exchange.model.base_ms
    assert info["weight_limit"] is None
    stats = client.get("/sim/stats").json()
    assert stats["total_requests"] == 0 and stats["weight_1m"] == 0
