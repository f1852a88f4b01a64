"""A gateway in a subprocess, as ``freqfleet gateway`` runs for users: its command, its
ready address, its log, and stopped on leaving."""

from __future__ import annotations

import sys

import pytest

from freqfleet.gateway.launcher import gateway_command, running_gateway


def test_options_become_the_commands_flags() -> None:
    assert gateway_command("http://127.0.0.1:8500", share=0.25, live_ttl=None) == [
        sys.executable,
        "-m",
        "freqfleet",
        "gateway",
        "--upstream",
        "http://127.0.0.1:8500",
        "--share",
        "0.25",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
    ]


@pytest.mark.timeout(120)
def test_a_running_gateway_answers_logs_and_stops() -> None:
    with running_gateway("http://127.0.0.1:9", share=0.2) as gateway:
        assert gateway.url.startswith("http://127.0.0.1:")
        assert not gateway.url.endswith(":0")
        stats = gateway.stats()
        assert stats["upstream"]["budget_per_minute"] == 1200 and stats["upstream"]["share"] == 0.2
        assert "Gateway for http://127.0.0.1:9" in gateway.log_text()
        process = gateway.process
    assert process.poll() is not None


@pytest.mark.timeout(120)
def test_a_weight_limit_reaches_the_gateway_and_its_start_up_line() -> None:
    with running_gateway("http://127.0.0.1:9", share=0.9, weight_limit=100) as gateway:
        upstream = gateway.stats()["upstream"]
        log = gateway.log_text()
    assert (upstream["budget_per_minute"], upstream["limit_per_minute"]) == (90, 100)
    lines = [line for line in log.splitlines() if "budget 90 weight a minute" in line]
    assert len(lines) == 1 and "100" in lines[0]
