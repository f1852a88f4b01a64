"""A running fleet from another terminal: ``down`` (through the supervisor or, when it is
gone, directly, consumer first) and the request files ``restart`` and ``down --only`` drop."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from freqfleet.run.control import read_state, stop_fleet, take_requests
from tests.run.fake_bot import read_events
from tests.run.fake_fleet import first, start_fake_supervisor, write_fake_plan


def test_down_from_another_terminal_stops_the_consumer_first(tmp_path: Path) -> None:
    write_fake_plan(tmp_path, options={"consumer": ["--exit-delay", "0.5"]})
    events_file = tmp_path / "events.jsonl"
    process = start_fake_supervisor(tmp_path, events_file)
    assert stop_fleet(tmp_path, timeout=20) == ["supervisor"]
    assert process.wait(5) == 0
    events = read_events(events_file)
    consumer_gone = first(events, "consumer", "exit")
    assert all(
        first(events, producer, "signal SIGINT") > consumer_gone
        for producer in ("producer-1", "producer-2")
    )
    assert read_state(tmp_path)["phase"] == "stopped"


def test_down_stops_bots_of_a_killed_supervisor_consumer_first(tmp_path: Path) -> None:
    write_fake_plan(tmp_path, options={"consumer": ["--exit-delay", "0.5"]})
    events_file = tmp_path / "events.jsonl"
    process = start_fake_supervisor(tmp_path, events_file)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert stop_fleet(tmp_path, timeout=5) == ["consumer", "producer-1", "producer-2"]
    events = read_events(events_file)
    consumer_gone = first(events, "consumer", "exit")
    assert all(
        first(events, producer, "signal SIGINT") > consumer_gone
        for producer in ("producer-1", "producer-2")
    )
    state = read_state(tmp_path)
    assert state["phase"] == "stopped"
    assert all(bot["process"] is None for bot in state["bots"].values())
    assert stop_fleet(tmp_path) == []


def test_requests_are_taken_oldest_first_and_removed(tmp_path: Path) -> None:
    assert take_requests(tmp_path) == []
    folder = tmp_path / "requests"
    folder.mkdir()
    (folder / "b.json").write_text(json.dumps({"id": "1", "action": "stop", "bots": ["p1"]}))
    (folder / "a.json").write_text("[not ours")
    (folder / "c.json").write_text(json.dumps([1]))
    (folder / "a.json").touch()
    (folder / "c.json").touch()
    assert take_requests(tmp_path) == [{"id": "1", "action": "stop", "bots": ["p1"]}, {}, {}]
    assert list(folder.iterdir()) == []
    assert read_state(tmp_path) is None
