"""The start-up view: each bot's state on the console until the fleet answers (fake bots:
real processes with freqtrade's ping and whitelist endpoints)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from freqfleet.errors import RuntimeFleetError
from freqfleet.run.startup import show_start_up, wait_until_ready
from freqfleet.run.supervisor import Supervisor
from tests.kit.ports import free_port
from tests.run.fake_fleet import FAST, fake_specs, spec, write_fake_plan


def test_every_bot_is_shown_ready_once_the_fleet_answers(tmp_path: Path) -> None:
    # producer-1 serves pairs late: the consumer starts after it, and still shows ready.
    manifest = write_fake_plan(tmp_path, options={"producer-1": ["--pairs-after", "1.5"]})
    supervisor = Supervisor(
        tmp_path, fake_specs(tmp_path, manifest, tmp_path / "events.jsonl"), producer_wait=30
    )
    console = Console(record=True, width=100, force_terminal=False)
    supervisor.start()
    try:
        show_start_up(supervisor, console, timeout=60)
        assert all(supervisor.ready().values())
    finally:
        supervisor.stop()
    text = console.export_text()
    for name in ("producer-1", "producer-2", "consumer"):
        assert f"{name}: ready" in text


def test_waiting_for_the_fleet_reports_a_given_up_bot_at_once(tmp_path: Path) -> None:
    # A bot whose API never answers keeps `up` waiting; the crasher must end the wait.
    silent = spec(tmp_path, "silent", "import time; time.sleep(60)")
    silent = replace(silent, ping_url=f"http://127.0.0.1:{free_port()}/api/v1/ping")
    supervisor = Supervisor(
        tmp_path, [spec(tmp_path, "crasher", "raise SystemExit(3)"), silent], backoff=FAST
    )
    supervisor.start()
    began = time.monotonic()
    try:
        with pytest.raises(RuntimeFleetError) as error:
            wait_until_ready(supervisor, timeout=120)
    finally:
        supervisor.stop()
    assert time.monotonic() - began < 10
    message = str(error.value)
    assert message.startswith("crasher exited 3 times in a row")
    assert "last exit code 3" in message
    assert str(tmp_path / "run" / "crasher.console.log") in message
