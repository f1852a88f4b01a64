"""The start-up view: each bot's state on the console until the fleet answers (fake bots:
real processes with freqtrade's ping and whitelist endpoints)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from freqfleet.run.startup import show_start_up
from freqfleet.run.supervisor import Supervisor
from tests.run.fake_fleet import fake_specs, write_fake_plan


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
