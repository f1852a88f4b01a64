"""`up`, `down`, `restart` from another terminal, on a running fleet of fake bots under a real
supervisor process: refusals touch nothing, requests reach the supervisor, names are
checked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from freqfleet.cli import main
from freqfleet.run.control import read_state, send_request, stop_fleet
from freqfleet.run.processes import ProcessSpec
from freqfleet.run.supervisor import Supervisor
from tests.kit.cli import run_freqfleet
from tests.run.fake_fleet import FAST, start_fake_supervisor, write_fake_plan


def freqfleet(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return run_freqfleet(*args, timeout=timeout, env={"COLUMNS": "400"})


def fleet_pids(plan_dir: Path) -> set[int]:
    """Processes run in the plan folder or naming it (supervisor and bots)."""
    found = set()
    for process in psutil.process_iter(["cmdline", "cwd"]):
        in_plan = process.info["cwd"] == str(plan_dir)
        if in_plan or any(str(plan_dir) in part for part in process.info["cmdline"] or []):
            found.add(process.pid)
    return found - {os.getpid()}


def bot(plan_dir: Path, name: str) -> dict:
    return read_state(plan_dir)["bots"][name]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def fake_fleet(tmp_path: Path):
    plan_dir = tmp_path / "fleet"
    write_fake_plan(plan_dir)
    process = start_fake_supervisor(plan_dir, tmp_path / "events.jsonl")
    try:
        yield plan_dir, process
    finally:
        stop_fleet(plan_dir, timeout=20)
        process.wait(10)


def test_up_is_refused_while_the_fleet_runs_and_touches_nothing(fake_fleet) -> None:
    plan_dir, supervisor = fake_fleet
    state_file = plan_dir / "run" / "supervisor.json"
    before, pids = state_file.read_bytes(), fleet_pids(plan_dir)
    assert len(pids) == 4  # the supervisor and three bots
    for mode in ([], ["--detach"]):
        refused = freqfleet("up", str(plan_dir), *mode)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1, refused.stderr
        assert f"the fleet already runs (supervisor pid {supervisor.pid})" in lines[0]
        assert f"`freqfleet down {plan_dir}`" in lines[0]
        assert state_file.read_bytes() == before, mode
        assert fleet_pids(plan_dir) == pids, mode
    assert supervisor.poll() is None


def test_restart_resets_counters_and_down_only_holds_a_bot(fake_fleet, capsys) -> None:
    plan_dir, _supervisor = fake_fleet
    # A crash first, so there is a restart count to reset.
    os.kill(bot(plan_dir, "producer-1")["process"]["pid"], signal.SIGKILL)
    wait_for(
        lambda: (
            bot(plan_dir, "producer-1")["restarts"] == 1
            and bot(plan_dir, "producer-1")["state"] == "ready"
        ),
        15,
        "the crash-restart",
    )
    old_pid = bot(plan_dir, "producer-1")["process"]["pid"]
    assert main(["restart", str(plan_dir), "producer-1"]) == 0
    now = bot(plan_dir, "producer-1")
    assert now["process"]["pid"] != old_pid
    assert f"producer-1 pid {now['process']['pid']}" in capsys.readouterr().out
    assert (now["restarts"], now["crashes"], now["state"]) == (0, 0, "ready")
    assert not psutil.pid_exists(old_pid)

    held_pid = bot(plan_dir, "producer-2")["process"]["pid"]
    assert main(["down", str(plan_dir), "--only", "producer-2"]) == 0
    assert f"freqfleet restart {plan_dir} producer-2" in capsys.readouterr().out
    assert not psutil.pid_exists(held_pid)
    time.sleep(2 * FAST.cap + 1)  # well past any restart delay
    assert bot(plan_dir, "producer-2")["state"] == "held"
    assert bot(plan_dir, "producer-2")["process"] is None
    assert bot(plan_dir, "consumer")["state"] == "ready"
    assert main(["status", str(plan_dir), "--json"]) == 1
    status = json.loads(capsys.readouterr().out)
    states = {entry["name"]: entry["state"] for entry in status["bots"]}
    assert states["producer-2"] == "stopped (down --only)"

    assert main(["restart", str(plan_dir), "producer-2"]) == 0
    assert bot(plan_dir, "producer-2")["state"] == "ready"


def test_unknown_or_stopped_bots_give_one_line_naming_the_fix(tmp_path: Path, capsys) -> None:
    plan_dir = tmp_path / "fleet"
    write_fake_plan(plan_dir)
    for args in (["restart", str(plan_dir), "nope"], ["down", str(plan_dir), "--only", "nope"]):
        assert main(args) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, lines
        assert "no bot named nope" in lines[0]
        assert "use one of producer-1, producer-2, consumer" in lines[0]
    assert main(["restart", str(plan_dir), "producer-1"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "is not running; `freqfleet up" in lines[0]


def test_restart_request_revives_a_bot_the_supervisor_gave_up_on(tmp_path: Path) -> None:
    fixed = tmp_path / "fixed"
    code = (
        f"import os, sys, time\nif not os.path.exists({str(fixed)!r}): sys.exit(3)\ntime.sleep(60)"
    )
    crasher = ProcessSpec(
        name="bot",
        argv=[sys.executable, "-c", code],
        cwd=tmp_path,
        console_log=tmp_path / "run" / "bot.console.log",
    )
    supervisor = Supervisor(tmp_path, [crasher], backoff=FAST)
    supervisor.start()
    thread = threading.Thread(target=supervisor.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: bot(tmp_path, "bot")["gave_up"], 15, "the supervisor to give up")
        fixed.touch()
        state = send_request(tmp_path, "restart", ["bot"], timeout=15)
        assert state["bots"]["bot"]["gave_up"] is False
        assert state["bots"]["bot"]["restarts"] == 0
        assert state["bots"]["bot"]["crashes"] == 0
        assert state["bots"]["bot"]["process"] is not None
        assert not list((tmp_path / "run" / "requests").iterdir())
    finally:
        supervisor.request_stop()
        thread.join(10)
        supervisor.stop()
