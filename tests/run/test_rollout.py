"""``apply`` on a running fleet: new producers serve before a changed one restarts, changed
ones restart one at a time and serve again before the next, removed ones stop last (real
supervisor process, fake bots)."""

from __future__ import annotations

from pathlib import Path

import pytest

from freqfleet.errors import RuntimeFleetError
from freqfleet.fleet.apply import ConsumerChange, FleetDiff, ProducerChange, order_steps
from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.ports import free_ports
from freqfleet.run.control import read_state, stop_fleet
from freqfleet.run.rollout import roll_out
from tests.run.fake_bot import read_events
from tests.run.fake_fleet import first, start_fake_supervisor, write_fake_plan


def grown(manifest: FleetManifest) -> FleetManifest:
    """The manifest with producer-3 added and producer-1 gone."""
    (port,) = free_ports(1)
    template = manifest.producers[0]
    added = template.model_copy(
        update={
            "name": "producer-3",
            "config_files": ["producer-3.json"],
            "api_port": port,
            "password": "secret-password-producer-3",
        }
    )
    bots: list[BotEntry] = [*manifest.producers[1:], added, manifest.consumer]
    return manifest.model_copy(update={"bots": bots})


def test_steps_run_in_order_each_waiting_until_its_producer_serves(tmp_path: Path) -> None:
    manifest = write_fake_plan(
        tmp_path,
        options={"producer-3": ["--pairs-after", "1"], "producer-2": ["--pairs-after", "1"]},
    )
    events_file = tmp_path / "events.jsonl"
    process = start_fake_supervisor(tmp_path, events_file)
    try:
        grown(manifest).save(tmp_path)
        changes = [
            ProducerChange("producer-3", "start", ("BTC/USDT",)),
            ProducerChange("producer-2", "restart", (), (), ("internals",)),
            ProducerChange("producer-1", "stop", (), ("BTC/USDT",)),
        ]
        # A consumer that must restart is left to the user (its reload: test_consumer_reload).
        consumer = ConsumerChange((), (), False, "restart", ("api_server",))
        diff = FleetDiff(tuple(changes), consumer, tuple(order_steps(changes, consumer)))
        lines: list[str] = []
        done = roll_out(tmp_path, diff, wait=20, report=lines.append)
        assert [(step.action, step.bot) for step in done] == [
            ("start", "producer-3"),
            ("restart", "producer-2"),
            ("stop", "producer-1"),
        ]
        assert lines[0].startswith("start producer-3: serves again after ")
        state = read_state(tmp_path) or {}
        assert set(state["bots"]) == {"producer-2", "producer-3", "consumer"}
    finally:
        stop_fleet(tmp_path, timeout=20)
        process.wait(10)
    events = read_events(events_file)
    serving = [e["at"] for e in events if e["bot"] == "producer-2" and e["event"] == "serves"]
    assert first(events, "producer-3", "serves") < first(events, "producer-2", "signal SIGINT")
    assert len(serving) == 2  # it served again after its restart ...
    assert serving[1] < first(events, "producer-1", "signal SIGINT")  # ... before the stop
    assert not [
        e
        for e in events
        if e["bot"] == "consumer"
        and e["event"].startswith("signal")
        and e["at"] < first(events, "producer-1", "signal SIGINT")
    ]


def test_without_a_running_fleet_nothing_is_asked(tmp_path: Path) -> None:
    write_fake_plan(tmp_path)
    empty = FleetDiff((), ConsumerChange((), (), False, "keep"), ())
    with pytest.raises(RuntimeFleetError, match="no fleet runs here"):
        roll_out(tmp_path, empty)
