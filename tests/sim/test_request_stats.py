"""Requests counted per sending bot (the bot header, checked and capped), and freqtrade's
exchange sending it on sync and async requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from freqtrade.enums import CandleType
from freqtrade.resolvers import ExchangeResolver

from freqfleet.sim.config import BOT_HEADER
from freqfleet.sim.launcher import RunningSimulator, running_simulator
from freqfleet.sim.request_stats import MAX_BOTS, UNATTRIBUTED
from tests.kit.sim_bots import dry_run_config

KLINES = {"symbol": "BTCUSDT", "interval": "1m", "limit": 5}


def test_requests_and_weight_are_split_by_the_sending_bot(client: TestClient) -> None:
    client.get("/api/v3/klines", params=KLINES, headers={BOT_HEADER: "producer-1"})
    client.get("/api/v3/klines", params=KLINES, headers={BOT_HEADER: "producer-1"})
    client.get(
        "/api/v3/depth",
        params={"symbol": "BTCUSDT", "limit": 500},
        headers={BOT_HEADER: "consumer"},
    )
    client.get("/api/v3/ticker/price", params={"symbol": "BTCUSDT"})
    stats = client.get("/sim/stats").json()
    bots = stats["bots"]
    assert bots["producer-1"]["requests"] == {"/api/v3/klines": 2}
    assert bots["producer-1"]["weight"] == {"/api/v3/klines": 4}
    assert bots["consumer"]["total_weight"] == 25
    assert bots[UNATTRIBUTED]["requests"] == {"/api/v3/ticker/price": 1}
    assert sum(bot["total_weight"] for bot in bots.values()) == stats["total_weight"]
    assert sum(bot["total_requests"] for bot in bots.values()) == stats["total_requests"]


@pytest.mark.parametrize("name", ["", "-leading-dash", "a b", "x" * 65, "bot\u00e9"])
def test_a_malformed_bot_name_is_counted_as_unattributed(client: TestClient, name: str) -> None:
    client.get("/api/v3/klines", params=KLINES, headers={BOT_HEADER: name.encode("utf-8")})
    assert list(client.get("/sim/stats").json()["bots"]) == [UNATTRIBUTED]


def test_errors_count_for_their_bot_without_weight(client: TestClient) -> None:
    client.get(
        "/api/v3/klines", params={"symbol": "NOPE", "interval": "1m"}, headers={BOT_HEADER: "p"}
    )
    bot = client.get("/sim/stats").json()["bots"]["p"]
    assert bot["requests"] == {"/api/v3/klines": 1} and bot["total_weight"] == 0


def test_senders_beyond_the_cap_are_unattributed(client: TestClient) -> None:
    for index in range(MAX_BOTS + 3):
        client.get("/api/v3/ping", headers={BOT_HEADER: f"bot-{index}"})
    bots = client.get("/sim/stats").json()["bots"]
    assert len(bots) == MAX_BOTS + 1
    assert bots[UNATTRIBUTED]["total_requests"] == 3


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(pairs=6, seed=4) as running:
        yield running


@pytest.mark.timeout(120)
def test_freqtrade_sends_the_bot_name_on_sync_and_async_requests(
    sim: RunningSimulator, tmp_path
) -> None:
    """freqtrade builds its sync and async ccxt clients from ``ccxt_config``: both send it."""
    config = dry_run_config(sim, tmp_path, "producer-7", timeframe="1m")
    exchange = ExchangeResolver.load_exchange(config, validate=False)
    try:
        exchange.fetch_ticker("BTC/USDT")  # sync client
        pairs = [(pair, "1m", CandleType.SPOT) for pair in sim.pairs[:2]]
        exchange.refresh_latest_ohlcv(pairs)  # async client
    finally:
        exchange.close()
    bots = sim.bot_stats()
    requests = bots["producer-7"]["requests"]
    assert requests["/api/v3/klines"] == 2
    assert requests["/api/v3/ticker/24hr"] == 1
    assert requests["/api/v3/exchangeInfo"] >= 1
    # Only the readiness check (a plain ping) came without a name.
    assert bots[UNATTRIBUTED]["requests"].keys() <= {"/api/v3/ping"}
