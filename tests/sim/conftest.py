"""Fixtures for the simulator's tests: an in-process app on a frozen clock."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from freqfleet.sim.app import create_app
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.models.synthetic import SyntheticModel

# 2026-03-04 05:06:07.890 UTC: inside a 1m, 5m and 1h candle, not on a boundary.
NOW_MS = 1_772_600_767_890


class Clock:
    """A clock tests can move: the simulator's notion of "now"."""

    def __init__(self, now_ms: int = NOW_MS) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def exchange(clock: Clock) -> SimExchange:
    return SimExchange(SyntheticModel(pairs=12, seed=7), clock=clock)


@pytest.fixture
def client(exchange: SimExchange) -> TestClient:
    with TestClient(create_app(exchange)) as test_client:
        yield test_client
