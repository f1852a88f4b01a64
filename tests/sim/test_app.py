"""The REST app in process: its settings (weight limit) and models (a replay)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from freqfleet.sim.app import create_app
from freqfleet.sim.exchange import SimExchange
from tests.kit.clock import NOW_MS, Clock
from tests.kit.sim_client import error_of, klines

MINUTE = 60_000


def test_weight_limit_answers_429_until_the_next_minute(
    exchange: SimExchange, clock: Clock
) -> None:
    with TestClient(create_app(exchange, weight_limit=30)) as client:
        params = {"symbol": "BTCUSDT", "interval": "1m", "limit": 5}
        answers = [client.get("/api/v3/klines", params=params) for _ in range(16)]
        assert [a.status_code for a in answers] == [200] * 15 + [429]
        assert error_of(answers[-1]) == (429, -1003)
        assert int(answers[-1].headers["Retry-After"]) > 0
        clock.now_ms += 60_000
        assert client.get("/api/v3/klines", params=params).status_code == 200
        info = client.get("/api/v3/exchangeInfo").json()
        assert info["rateLimits"][0]["limit"] == 30


def test_replay_serves_the_recording_shifted_to_now(caplog: pytest.LogCaptureFixture) -> None:
    from freqfleet.sim.models.replay import ReplayModel
    from freqfleet.sim.server import dataset_dir

    anchor = NOW_MS - NOW_MS % 86_400_000
    model = ReplayModel.from_directory(dataset_dir("binance-2018"), anchor_ms=anchor)
    clock = Clock(anchor - 1)  # the last moment of the recording
    with TestClient(create_app(SimExchange(model, clock=clock))) as client:
        info = client.get("/api/v3/exchangeInfo").json()
        assert "ETHBTC" in [s["symbol"] for s in info["symbols"]]
        rows = klines(client, symbol="ETHBTC", interval="5m", limit=1000)
        assert rows[-1][0] == anchor - 5 * MINUTE  # the recording's last candle, in progress
        assert len(rows) == 1000
        hourly = klines(client, symbol="ETHBTC", interval="1h", endTime=anchor - 1, limit=2)
        five = klines(client, symbol="ETHBTC", interval="5m", startTime=hourly[0][0], limit=12)
        assert hourly[0][1] == five[0][1] and hourly[0][4] == five[-1][4]
        response = client.get("/api/v3/klines", params={"symbol": "ETHBTC", "interval": "1m"})
        assert error_of(response) == (400, -1120)
        assert "finer than the model's base candles" in caplog.text
