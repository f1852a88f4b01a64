"""The supervisor on real child processes: restart with backoff, give up, start the consumer
after its producers, stop it first, and never run or touch a fleet it does not own."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil
import pytest

from freqfleet.fleet.manifest import FleetManifest
from freqfleet.run.control import read_state, stop_fleet
from freqfleet.run.fleet_lock import FleetRefused, lock_holder
from freqfleet.run.supervisor import Supervisor
from tests.run.fake_bot import read_events
from tests.run.fake_fleet import (
    FAST,
    fake_specs,
    first,
    run_for,
    spec,
    start_fake_supervisor,
    write_fake_plan,
)


def test_crashing_process_is_restarted_then_given_up(tmp_path: Path) -> None:
    events: list[str] = []
    supervisor = Supervisor(
        tmp_path,
        [spec(tmp_path, "crasher", "print('boom'); raise SystemExit(3)")],
        backoff=FAST,
        on_event=events.append,
    )
    supervisor.start()
    try:
        run_for(supervisor, 4)
    finally:
        supervisor.stop()
    child = supervisor.children["crasher"]
    assert child.restarts == FAST.quick_crashes - 1
    assert child.gave_up
    assert child.last_exit == 3
    assert any("not restarting it" in event and "crasher.console.log" in event for event in events)
    assert "boom" in (tmp_path / "run" / "crasher.console.log").read_text()
    assert read_state(tmp_path)["bots"]["crasher"]["state"] == "gave_up"


def test_stable_process_is_not_restarted_and_stop_ends_its_group(tmp_path: Path) -> None:
    # The child starts a grandchild: stopping must end the whole process group.
    code = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); time.sleep(120)"
    )
    supervisor = Supervisor(tmp_path, [spec(tmp_path, "sleeper", code)], backoff=FAST)
    supervisor.start()
    run_for(supervisor, 1.5)
    parent = psutil.Process(supervisor.children["sleeper"].process.pid)
    family = [parent, *parent.children(recursive=True)]
    assert len(family) == 2
    assert supervisor.children["sleeper"].restarts == 0
    assert read_state(tmp_path)["phase"] == "up"
    supervisor.stop()
    _gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive
    state = read_state(tmp_path)
    assert state["phase"] == "stopped"
    assert state["bots"]["sleeper"]["process"] is None
    assert lock_holder(tmp_path) is None


def test_a_second_supervisor_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    first_supervisor = Supervisor(tmp_path, [spec(tmp_path, "bot", "import time; time.sleep(60)")])
    first_supervisor.start()
    try:
        state_file = tmp_path / "run" / "supervisor.json"
        before = state_file.read_bytes()
        second = Supervisor(tmp_path, [spec(tmp_path, "bot", "import time; time.sleep(60)")])
        with pytest.raises(FleetRefused, match=f"already runs \\(supervisor pid {os.getpid()}\\)"):
            second.start()
        second.check()
        second.stop()  # what `up` does in its `finally`
        assert second.children["bot"].process is None
        assert state_file.read_bytes() == before
        assert first_supervisor.children["bot"].running
    finally:
        first_supervisor.stop()


def test_a_new_supervisor_refuses_bots_a_killed_one_left(tmp_path: Path) -> None:
    write_fake_plan(tmp_path)
    events = tmp_path / "events.jsonl"
    process = start_fake_supervisor(tmp_path, events)
    bots = read_state(tmp_path)["bots"]
    process.kill()  # its bots, in their own sessions, keep running
    process.wait()
    try:
        again = Supervisor(tmp_path, fake_specs(tmp_path, FleetManifest.load(tmp_path), events))
        with pytest.raises(FleetRefused, match="bots of an earlier run still run") as error:
            again.start()
        assert f"freqfleet down {tmp_path}" in str(error.value)
        assert all(child.process is None for child in again.children.values())
    finally:
        stopped = stop_fleet(tmp_path, timeout=5)
    assert set(stopped) == {"producer-1", "producer-2", "consumer"}
    for bot in bots.values():
        assert not psutil.pid_exists(bot["process"]["pid"])


def test_consumer_starts_once_every_producer_serves_pairs(tmp_path: Path) -> None:
    manifest = write_fake_plan(tmp_path, options={"producer-1": ["--pairs-after", "1.5"]})
    events_file = tmp_path / "events.jsonl"
    lines: list[str] = []
    supervisor = Supervisor(
        tmp_path,
        fake_specs(tmp_path, manifest, events_file),
        producer_wait=30,
        on_event=lines.append,
    )
    supervisor.start()
    try:
        assert supervisor.children["consumer"].process is None
        # Until the consumer answers: a consumer stopped while starting has recorded nothing.
        deadline = time.monotonic() + 20
        while not supervisor.ready()["consumer"] and time.monotonic() < deadline:
            supervisor.check()
            time.sleep(0.1)
    finally:
        supervisor.stop()
    events = read_events(events_file)
    # The whitelist is asked with the bot's credentials (the fake refuses it without).
    served = max(first(events, name, "serves") for name in ("producer-1", "producer-2"))
    assert first(events, "consumer", "start") > served
    assert not any("warning" in line for line in lines)
    state = read_state(tmp_path)["bots"]
    assert state["consumer"]["started_at"] > state["producer-1"]["ready_at"]


def test_consumer_starts_anyway_after_the_wait_naming_the_producer(tmp_path: Path) -> None:
    manifest = write_fake_plan(tmp_path, options={"producer-2": ["--pairs-after", "-1"]})
    lines: list[str] = []
    supervisor = Supervisor(
        tmp_path,
        fake_specs(tmp_path, manifest, tmp_path / "events.jsonl"),
        producer_wait=1.5,
        on_event=lines.append,
    )
    supervisor.start()
    began = time.monotonic()
    try:
        while supervisor.children["consumer"].process is None and time.monotonic() - began < 10:
            supervisor.check()
            time.sleep(0.1)
        assert supervisor.children["consumer"].process is not None
    finally:
        supervisor.stop()
    assert time.monotonic() - began > 1.4
    warnings = [line for line in lines if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("consumer: warning: starting although producer-2 did not")
    assert "producer-1" not in warnings[0]


def test_stop_ends_the_consumer_before_signalling_the_producers(tmp_path: Path) -> None:
    manifest = write_fake_plan(tmp_path, options={"consumer": ["--exit-delay", "0.5"]})
    events_file = tmp_path / "events.jsonl"
    supervisor = Supervisor(tmp_path, fake_specs(tmp_path, manifest, events_file))
    supervisor.start()
    try:
        deadline = time.monotonic() + 20
        while supervisor.phase != "up" and time.monotonic() < deadline:
            run_for(supervisor, 0.5)
    finally:
        supervisor.stop()
    events = read_events(events_file)
    consumer_gone = first(events, "consumer", "exit")
    for producer in ("producer-1", "producer-2"):
        assert first(events, producer, "signal SIGINT") > consumer_gone
