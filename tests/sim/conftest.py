"""Fixtures for the simulator's tests: an in-process app on a frozen clock, a stream
connection to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from freqfleet.sim.app import create_app
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.models.synthetic import SyntheticModel
from tests.kit.clock import Clock


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


@pytest.fixture
def streams(client: TestClient) -> Iterator[Any]:
    """A raw-stream connection as ccxt opens it (``/ws/<connection number>``)."""
    with client.websocket_connect("/ws/0") as ws:
        yield ws
