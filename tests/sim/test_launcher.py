"""A simulator in a subprocess: its command from keyword options, and a running one that
answers, counts, logs and stops on leaving."""

from __future__ import annotations

import sys

import httpx
import pytest

from freqfleet.sim.launcher import running_simulator, simulator_command


def test_options_become_flags_and_switches() -> None:
    assert simulator_command(pairs=5, weight_limit=None, quiet=True, seed=0, data_dir=False) == [
        sys.executable,
        "-m",
        "freqfleet.sim",
        "--pairs",
        "5",
        "--quiet",
        "--seed",
        "0",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
    ]


@pytest.mark.timeout(120)
def test_a_running_simulator_answers_counts_and_stops() -> None:
    with running_simulator(pairs=3, seed=2) as sim:
        assert len(sim.pairs) == 3 and not sim.url.endswith(":0")
        assert httpx.get(sim.url + "/api/v3/ping", timeout=10).status_code == 200
        assert sim.request_counts()["/api/v3/ping"] >= 1
        section = sim.exchange_config(sim.pairs[:1], bot="producer-1")
        assert section["pair_whitelist"] == sim.pairs[:1]
        assert section["ccxt_config"]["urls"]["api"]["public"] == sim.url + "/api/v3"
        assert isinstance(sim.bot_stats(), dict)
        process = sim.process
    assert process.poll() is not None
