"""Two simulator processes with the same seed serve byte-identical candles."""

from __future__ import annotations

import time

import httpx
import pytest

from freqfleet.sim.launcher import running_simulator

pytestmark = pytest.mark.timeout(120)


def closed_klines(url: str, symbol: str, interval: str, end_ms: int) -> bytes:
    params = {"symbol": symbol, "interval": interval, "endTime": end_ms, "limit": 1000}
    response = httpx.get(f"{url}/api/v3/klines", params=params, timeout=30)
    assert response.status_code == 200
    return response.content


def test_same_seed_same_bytes_in_two_processes() -> None:
    end_ms = (time.time_ns() // 1_000_000 // 86_400_000 - 1) * 86_400_000 - 1  # closed days
    requests = [
        (symbol, interval)
        for symbol in ("BTCUSDT", "DOGEUSDT", "ARBUSDT")
        for interval in ("1m", "5m", "1h", "1d")
    ]
    served = {}
    with (
        running_simulator(pairs=30, seed=5) as first,
        running_simulator(pairs=30, seed=5) as second,
    ):
        assert first.url != second.url
        assert first.pairs == second.pairs
        for symbol, interval in requests:
            a = closed_klines(first.url, symbol, interval, end_ms)
            assert a.count(b"],[") == 999
            assert a == closed_klines(second.url, symbol, interval, end_ms)
            served[symbol, interval] = a
    with running_simulator(pairs=30, seed=6) as other:
        assert closed_klines(other.url, "BTCUSDT", "1h", end_ms) != served["BTCUSDT", "1h"]
