"""A running fleet from another terminal: its state, ``down``, ``restart``, ``down --only``.

Why files: the supervisor is a process of its own (``up`` in a terminal, or ``up
--detach``); other commands talk to it through ``PLAN_DIR/run/``. It writes
``supervisor.json`` (this run's id, phase and each bot's state) only while it holds the
plan's lock; ``restart`` and ``down --only`` drop a request into ``requests/`` (written
atomically), the supervisor takes it (:func:`take_requests`), acts on it and names it in
``handled``. ``down`` signals the supervisor, and stops the bots it recorded itself when
the supervisor is gone.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

from freqfleet.errors import RuntimeFleetError
from freqfleet.files import SECRET_MODE, dump_json, write_atomic
from freqfleet.run.fleet_lock import RUN_DIR, FleetLock, lock_holder
from freqfleet.run.processes import alive, stop_order, stop_process_groups

logger = logging.getLogger("freqfleet.run.supervisor")
"""The supervisor's logger: its lines read as they did when this was part of it."""

SUPERVISOR_PID = "supervisor.json"
REQUESTS_DIR = "requests"
SUPERVISOR_LOG = "supervisor.log"
HANDLED_KEPT = 50
"""Request ids ``supervisor.json`` keeps in ``handled``."""


def read_state(plan_dir: Path) -> dict | None:
    path = Path(plan_dir) / RUN_DIR / SUPERVISOR_PID
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return state if isinstance(state, dict) else None


def running_supervisor(plan_dir: Path) -> psutil.Process | None:
    """The supervisor holding the plan's lock, if one does."""
    pid = lock_holder(plan_dir)
    if pid is None:
        return None
    if pid == 0:  # it has just taken the lock: its state file may name it already
        state = read_state(plan_dir) or {}
        return alive(state["supervisor"]) if state.get("supervisor") else None
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


def _stop_recorded_bots(state: dict) -> list[str]:
    """Stop the bots a state file records as running (consumer first); their names."""
    bots: dict[str, Any] = state["bots"] if isinstance(state.get("bots"), dict) else {}
    roles = {name: str(bot.get("role", "")) for name, bot in bots.items() if isinstance(bot, dict)}
    if not any(roles.values()):  # an older state file: producers first, the consumer last
        roles = {name: ("consumer" if name == "consumer" else "producer") for name in roles}
    stopped: list[str] = []
    for group in stop_order(roles):
        running = {}
        for name in group:
            process = alive(bots[name]["process"]) if bots[name].get("process") else None
            if process is not None:
                running[name] = process
        stop_process_groups(running.values())
        stopped += list(running)
    return stopped


def stop_fleet(plan_dir: Path, timeout: float = 60.0) -> list[str]:
    """Stop a fleet started by ``up`` (from any terminal); returns what was stopped.

    The supervisor is asked first (SIGTERM: it stops its bots in order); if it is gone or
    does not finish in time, the bots recorded in its state file are stopped directly,
    consumer first. The state file is rewritten only while holding the plan's lock.
    """
    plan_dir = Path(plan_dir).resolve()
    stopped: list[str] = []
    supervisor = running_supervisor(plan_dir)
    if supervisor is not None and supervisor.pid != os.getpid():
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(timeout)
            stopped.append("supervisor")
        except psutil.TimeoutExpired:
            logger.warning("supervisor did not stop in %.0f s; stopping the bots directly", timeout)
    lock = FleetLock(plan_dir)
    owned = lock.acquire() if (plan_dir / RUN_DIR).is_dir() else False
    try:
        state = read_state(plan_dir)
        if state is None:
            return stopped
        direct = _stop_recorded_bots(state)
        stopped += direct
        if owned and direct:
            for bot in (state.get("bots") or {}).values():
                if isinstance(bot, dict):
                    bot["process"] = None
                    bot["state"] = "stopped"
            state["phase"] = "stopped"
            write_atomic(plan_dir / RUN_DIR / SUPERVISOR_PID, dump_json(state), mode=SECRET_MODE)
    finally:
        lock.release()
    return stopped


def supervised_names(plan_dir: Path) -> list[str]:
    """Names of the processes the running supervisor runs (empty when none runs)."""
    if running_supervisor(plan_dir) is None:
        return []
    return list(((read_state(plan_dir) or {}).get("bots") or {}).keys())


def send_request(plan_dir: Path, action: str, bots: list[str], timeout: float = 60.0) -> dict:
    """Ask the running supervisor to ``stop`` (hold) or ``restart`` bots; returns its state
    once it has acted."""
    plan_dir = Path(plan_dir).resolve()
    request_id = uuid.uuid4().hex
    path = plan_dir / RUN_DIR / REQUESTS_DIR / f"{request_id}.json"
    write_atomic(
        path, dump_json({"id": request_id, "action": action, "bots": bots}), mode=SECRET_MODE
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = read_state(plan_dir) or {}
        if request_id in (state.get("handled") or []):
            return state
        if running_supervisor(plan_dir) is None:
            path.unlink(missing_ok=True)
            raise RuntimeFleetError(
                f"{plan_dir}: the fleet supervisor stopped before acting on `{action}`; "
                f"`freqfleet up {plan_dir}` starts the fleet again"
            )
        time.sleep(0.2)
    path.unlink(missing_ok=True)
    raise RuntimeFleetError(
        f"{plan_dir}: the fleet supervisor did not act on `{action}` within {timeout:.0f} s; "
        f"see {plan_dir / RUN_DIR / SUPERVISOR_LOG} or the `up` terminal"
    )


def take_requests(run_dir: Path) -> list[dict[str, Any]]:
    """The requests waiting in ``run_dir``, oldest first, each removed as it is read (one
    that cannot be read is not ours, since requests are written atomically: it comes back
    empty)."""
    folder = run_dir / REQUESTS_DIR
    if not folder.is_dir():
        return []
    requests: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
        try:
            request = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            request = {}
        finally:
            path.unlink(missing_ok=True)
        requests.append(request if isinstance(request, dict) else {})
    return requests


__all__ = [
    "HANDLED_KEPT",
    "REQUESTS_DIR",
    "SUPERVISOR_LOG",
    "SUPERVISOR_PID",
    "read_state",
    "running_supervisor",
    "send_request",
    "stop_fleet",
    "supervised_names",
    "take_requests",
]
