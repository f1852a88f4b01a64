"""The supervisor on real child processes: restart with backoff, give up, stop everything."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest

from freqfleet.errors import RuntimeFleetError
from freqfleet.run.supervisor import (
    Backoff,
    ProcessSpec,
    Supervisor,
    read_state,
    running_supervisor,
    stop_fleet,
)

FAST = Backoff(first=0.2, cap=0.4, stable_after=30.0, quick_crashes=3)


def spec(tmp_path: Path, name: str, code: str) -> ProcessSpec:
    return ProcessSpec(
        name=name,
        argv=[sys.executable, "-c", code],
        cwd=tmp_path,
        console_log=tmp_path / "run" / f"{name}.console.log",
    )


def run_for(supervisor: Supervisor, seconds: float) -> None:
    supervisor.run(until=time.monotonic() + seconds)


def test_backoff_doubles_up_to_the_cap() -> None:
    backoff = Backoff(first=2, cap=60)
    assert [backoff.delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


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
    supervisor.stop()
    _gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive
    assert read_state(tmp_path) is None


def test_down_from_another_process_stops_bots_of_a_vanished_supervisor(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, [spec(tmp_path, "bot", "import time; time.sleep(120)")])
    supervisor.start()
    pid = supervisor.children["bot"].process.pid
    # The supervisor's state file names this test process, which keeps running: `down`
    # must not kill it, but it is "alive", so pretend it vanished by dropping its entry.
    state = read_state(tmp_path)
    assert state["bots"]["bot"]["process"]["pid"] == pid
    state["supervisor"] = None
    from freqfleet.files import dump_json, write_atomic

    write_atomic(tmp_path / "run" / "supervisor.json", dump_json(state))
    assert stop_fleet(tmp_path, timeout=5) == ["bot"]
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert stop_fleet(tmp_path) == []


def test_a_second_supervisor_for_the_same_plan_is_refused(tmp_path: Path) -> None:
    launcher = psutil.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        from freqfleet.files import dump_json, write_atomic
        from freqfleet.run.supervisor import _process_identity

        write_atomic(
            tmp_path / "run" / "supervisor.json",
            dump_json({"supervisor": _process_identity(launcher.pid), "bots": {}}),
        )
        assert running_supervisor(tmp_path).pid == launcher.pid
        other = Supervisor(tmp_path, [spec(tmp_path, "bot", "pass")])
        with pytest.raises(RuntimeFleetError, match="already runs it"):
            other.start()
    finally:
        launcher.kill()
        launcher.wait()
