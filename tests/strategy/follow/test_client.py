"""The subscription to a producer's trade events, against freqtrade's own API server:
events reach the sink, a rejected token is retried without ever being logged, and on
every connect the producer's REST API is asked what happened meanwhile."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from freqfleet.strategy.follow.client import ProducerEndpoint, SubscriptionRunner
from freqfleet.strategy.follow.events import FollowEvent, OpenTrades
from tests.kit.freqtrade_api import WRONG_TOKEN, freqtrade_api_server, publish
from tests.kit.json_server import json_server
from tests.kit.waiting import wait_until
from tests.strategy.follow.messages import entry, exit_fill

TOKEN = "the-producers-ws-token-0123456789"
OPENED = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)


def endpoint(port: int, token: str = TOKEN, **changes) -> ProducerEndpoint:
    return ProducerEndpoint(
        name="producer-1", host="127.0.0.1", port=port, ws_token=token, **changes
    )


def test_the_endpoint_shows_no_secret() -> None:
    producer = endpoint(8081, api_password="api-password-0123456789")
    assert producer.ws_url == f"ws://127.0.0.1:8081/api/v1/message/ws?token={TOKEN}"
    assert endpoint(8081, secure=True).ws_url.startswith("wss://127.0.0.1:8081/")
    assert producer.display == "producer-1 (127.0.0.1:8081)"
    assert TOKEN not in repr(producer) and "api-password" not in repr(producer)


@pytest.mark.timeout(60)
def test_followed_events_reach_the_sink_and_are_counted() -> None:
    received: list[FollowEvent | OpenTrades] = []
    with freqtrade_api_server(TOKEN) as port:
        runner = SubscriptionRunner([endpoint(port)], received.append, initial_backoff=0.1)
        runner.start()
        try:
            state = runner.states["producer-1"]
            assert wait_until(lambda: state.connected, timeout=20)
            close = OPENED + timedelta(minutes=30)

            def delivered() -> bool:
                publish(entry(7, "ETH/USDT", OPENED))  # an order placed: not followed
                publish(exit_fill(7, "ETH/USDT", OPENED, close, exit_reason="roi"))
                return bool(received)

            assert wait_until(delivered, timeout=20)
            assert runner.running
        finally:
            runner.stop()
    assert not runner.running and not state.connected
    assert state.connects == 1 and state.failures == 0
    assert state.events >= 2 and state.last_event is not None
    assert {(e.kind, e.pair, e.trade_id, e.reason) for e in received} == {
        ("exit", "ETH/USDT", 7, "roi")
    }
    assert state.as_dict()["connected"] is False


@pytest.mark.timeout(60)
def test_a_rejected_token_is_retried_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with freqtrade_api_server(TOKEN) as port:
        runner = SubscriptionRunner(
            [endpoint(port, WRONG_TOKEN)], lambda event: None, initial_backoff=0.05, max_backoff=0.1
        )
        runner.start()
        try:
            assert wait_until(lambda: runner.states["producer-1"].failures >= 2, timeout=30)
        finally:
            runner.stop()
    assert runner.states["producer-1"].connects == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("Trade events of producer producer-1 (127.0.0.1:" in line for line in warnings)
    ours = [record for record in caplog.records if record.name.startswith("freqfleet")]
    assert ours and not any(WRONG_TOKEN in record.getMessage() for record in ours)


@pytest.mark.timeout(60)
def test_each_connect_catches_up_with_the_producers_rest_api() -> None:
    closed = {
        "trade_id": 5,
        "pair": "LTC/USDT",
        "is_open": False,
        "is_short": False,
        "exit_reason": "exit_signal",
        "open_timestamp": int(OPENED.timestamp() * 1000),
        "close_timestamp": int((OPENED + timedelta(hours=1)).timestamp() * 1000),
    }
    answers = {
        "/api/v1/status": [{"trade_id": 9, "pair": "ETH/USDT", "is_open": True}],
        "/api/v1/trades": {"trades": [closed], "trades_count": 1, "total_trades": 1},
    }
    received: list[FollowEvent | OpenTrades] = []
    with json_server(answers) as (api_url, asked), freqtrade_api_server(TOKEN) as port:
        producer = endpoint(port, api_url=api_url, api_username="u", api_password="p" * 20)
        runner = SubscriptionRunner([producer], received.append)
        runner.start()
        try:
            assert wait_until(lambda: runner.states["producer-1"].catch_ups == 1, timeout=20)
        finally:
            runner.stop()
    assert received[0] == OpenTrades("producer-1", (("ETH/USDT", 9),))
    (event,) = received[1:]
    assert isinstance(event, FollowEvent)
    assert (event.kind, event.pair, event.trade_id, event.source) == ("exit", "LTC/USDT", 5, "rest")
    assert runner.states["producer-1"].producer_open_trades == 1
    assert any("limit=100" in query for query in asked.queries)
