"""Fixtures for the simulator's tests: an in-process app on a frozen clock."""

from __future__ import annotations

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
