"""The access watch: a producer that rejects the consumer's token is named once, with
the fix, and shows in the consumer's state; against freqtrade's own API server."""

from __future__ import annotations

import logging
import time

import pytest

from freqfleet.strategy.producer_access import access_problem_message
from tests.kit.freqtrade_api import WRONG_TOKEN, WS_TOKEN


@pytest.mark.timeout(60)
def test_the_consumer_names_a_producer_that_rejects_its_token_once(
    producer_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    from freqfleet.strategy.consumer import FleetConsumer
    from freqfleet.strategy.settings import ConsumerSettings

    consumer = FleetConsumer(ConsumerSettings(("p1", "p2")))
    caplog.set_level(logging.INFO)
    producers = [
        {"name": "p1", "host": "127.0.0.1", "port": producer_port, "ws_token": WS_TOKEN},
        {"name": "p2", "host": "127.0.0.1", "port": producer_port, "ws_token": WRONG_TOKEN},
    ]
    consumer.watch_access(producers, interval=0.2, first=0.0)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and consumer.access.get("p2") is None:
            time.sleep(0.05)
        time.sleep(1.0)  # several more checks: still one line
    finally:
        consumer.stop()
    assert consumer.access == {"p2": "token_rejected"}
    assert consumer.state()["producers"]["p2"]["access"] == "token_rejected"
    assert "access" not in consumer.state()["producers"]["p1"]
    lines = [r.getMessage() for r in caplog.records if "rejected this consumer" in r.getMessage()]
    assert lines == [f"Fleet: {access_problem_message('p2', 'token_rejected', 1)}"]
    # (The server's own uvicorn lines in this process carry it: that is the producer's log.)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("freqfleet")]
    assert not any(WRONG_TOKEN in line for line in ours)
