"""Start, watch, restart and stop the processes of a planned fleet.

Why a supervisor of our own rather than systemd or docker: a fleet on one machine (the demo,
a laptop, a VPS) should come up with one command and go down with Ctrl-C, with no process
left behind. Each bot is an unmodified ``freqtrade trade`` in its own process group;
producers start first (the consumer connects to them), a crashed bot is restarted with
capped exponential backoff, and a bot that keeps crashing is given up on with a pointer to
its log. The supervisor's pid and each child's pid live under ``PLAN_DIR/run/`` so that
``freqfleet down PLAN_DIR`` from another terminal can stop everything.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from freqfleet.errors import RuntimeFleetError
from freqfleet.files import SECRET_MODE, dump_json, write_atomic
from freqfleet.fleet.manifest import BotEntry, FleetManifest

logger = logging.getLogger(__name__)

RUN_DIR = "run"
SUPERVISOR_PID = "supervisor.json"
STOP_TIMEOUTS = (20.0, 8.0)  # after SIGINT, after SIGTERM; then SIGKILL


@dataclass(frozen=True)
class Backoff:
    """Restart policy: delays double from ``first`` up to ``cap``; ``quick_crashes`` crashes
    each sooner than ``stable_after`` seconds after start make the supervisor give up."""

    first: float = 2.0
    cap: float = 60.0
    stable_after: float = 120.0
    quick_crashes: int = 5

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.first * 2 ** max(0, attempt - 1))


@dataclass(frozen=True)
class ProcessSpec:
    """One supervised process: how to start it and how to tell it is ready."""

    name: str
    argv: list[str]
    cwd: Path
    console_log: Path
    ping_url: str | None = None


@dataclass
class Supervised:
    """A process's live state inside the supervisor."""

    spec: ProcessSpec
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    quick_crashes: int = 0
    restart_at: float | None = None
    gave_up: bool = False
    last_exit: int | None = None
    events: list[str] = field(default_factory=list)


def bot_environment() -> dict[str, str]:
    """The environment bots run with (freqtrade skips its log file under pytest)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def local_api_url(bot: BotEntry) -> str:
    host = "127.0.0.1" if bot.api_host in ("0.0.0.0", "::", "") else bot.api_host
    return f"http://{host}:{bot.api_port}"


def process_specs(
    plan_dir: Path, manifest: FleetManifest, only: set[str] | None = None
) -> list[ProcessSpec]:
    """The fleet's processes in start order: pairlist feed, producers, consumer."""
    plan_dir = Path(plan_dir).resolve()
    run_dir = plan_dir / RUN_DIR
    specs: list[ProcessSpec] = []
    if manifest.pairlist_feed and (only is None or "pairlist-feed" in only):
        specs.append(
            ProcessSpec(
                name="pairlist-feed",
                argv=[
                    sys.executable,
                    "-m",
                    "freqfleet",
                    *manifest.pairlist_feed.command_args(plan_dir),
                ],
                cwd=plan_dir,
                console_log=run_dir / "pairlist-feed.console.log",
            )
        )
    ordered = [*manifest.producers, manifest.consumer]
    for bot in ordered:
        if only is not None and bot.name not in only:
            continue
        specs.append(
            ProcessSpec(
                name=bot.name,
                argv=[sys.executable, "-m", "freqtrade", *manifest.freqtrade_args(bot)],
                cwd=plan_dir,
                console_log=run_dir / f"{bot.name}.console.log",
                ping_url=f"{local_api_url(bot)}/api/v1/ping",
            )
        )
    return specs


def _process_identity(pid: int) -> dict[str, float | int] | None:
    try:
        return {"pid": pid, "create_time": psutil.Process(pid).create_time()}
    except psutil.Error:
        return None


def _alive(identity: dict) -> psutil.Process | None:
    """The process of a recorded identity, if it is still that process (not a reused pid)."""
    try:
        process = psutil.Process(int(identity["pid"]))
        if abs(process.create_time() - float(identity["create_time"])) > 0.5:
            return None
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process
    except (psutil.Error, KeyError, TypeError, ValueError):
        return None


def stop_process_group(
    process: psutil.Process, timeouts: tuple[float, float] = STOP_TIMEOUTS
) -> None:
    """SIGINT, then SIGTERM, then SIGKILL to ``process``'s group, waiting in between."""
    try:
        pgid = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    for sig, timeout in (
        (signal.SIGINT, timeouts[0]),
        (signal.SIGTERM, timeouts[1]),
        (signal.SIGKILL, 5.0),
    ):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout)
            return
        except psutil.TimeoutExpired:
            continue
        except psutil.NoSuchProcess:
            return


class Supervisor:
    """Runs a fleet's processes until asked to stop."""

    def __init__(
        self,
        plan_dir: Path,
        specs: list[ProcessSpec],
        *,
        backoff: Backoff = Backoff(),
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.plan_dir = Path(plan_dir).resolve()
        self.run_dir = self.plan_dir / RUN_DIR
        self.backoff = backoff
        self.children = {spec.name: Supervised(spec) for spec in specs}
        self._on_event = on_event or (lambda message: logger.info(message))
        self._stop_requested = False

    # --- state files -------------------------------------------------------------------
    def _write_state(self) -> None:
        state = {
            "supervisor": _process_identity(os.getpid()),
            "bots": {
                name: {
                    "process": _process_identity(child.process.pid)
                    if child.process and child.process.poll() is None
                    else None,
                    "restarts": child.restarts,
                    "gave_up": child.gave_up,
                    "last_exit": child.last_exit,
                }
                for name, child in self.children.items()
            },
        }
        write_atomic(self.run_dir / SUPERVISOR_PID, dump_json(state), mode=SECRET_MODE)

    def _event(self, child: Supervised, message: str) -> None:
        child.events.append(message)
        self._on_event(f"{child.spec.name}: {message}")

    # --- lifecycle ---------------------------------------------------------------------
    def _spawn(self, child: Supervised) -> None:
        child.spec.console_log.parent.mkdir(parents=True, exist_ok=True)
        with open(child.spec.console_log, "ab") as console:
            child.process = subprocess.Popen(
                child.spec.argv,
                cwd=child.spec.cwd,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                env=bot_environment(),
                start_new_session=True,  # own process group: signals reach the whole bot
            )
        child.started_at = time.monotonic()
        child.restart_at = None
        self._write_state()

    def start(self) -> None:
        """Start every process in order (producers before the consumer)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        other = running_supervisor(self.plan_dir)
        if other is not None and other.pid != os.getpid():
            raise RuntimeFleetError(
                f"{self.plan_dir}: a fleet supervisor already runs it (pid {other.pid}); "
                f"stop it with `freqfleet down {self.plan_dir}` first"
            )
        for child in self.children.values():
            self._spawn(child)
            self._event(child, f"started (pid {child.process.pid})")

    def ready(self) -> dict[str, bool]:
        """Which processes answer (their REST API's ping, or simply run)."""
        status: dict[str, bool] = {}
        for name, child in self.children.items():
            running = child.process is not None and child.process.poll() is None
            if not running or child.spec.ping_url is None:
                status[name] = running
                continue
            try:
                status[name] = httpx.get(child.spec.ping_url, timeout=2).status_code == 200
            except httpx.HTTPError:
                status[name] = False
        return status

    def check(self) -> None:
        """Notice exits, schedule and perform restarts (called periodically)."""
        now = time.monotonic()
        for child in self.children.values():
            if child.gave_up or child.process is None:
                continue
            code = child.process.poll()
            if code is None:
                if child.restart_at is None and now - child.started_at > self.backoff.stable_after:
                    child.quick_crashes = 0
                continue
            if child.restart_at is None:
                child.last_exit = code
                ran_for = now - child.started_at
                child.quick_crashes = (
                    child.quick_crashes + 1 if ran_for < self.backoff.stable_after else 1
                )
                if child.quick_crashes >= self.backoff.quick_crashes:
                    child.gave_up = True
                    self._event(
                        child,
                        f"exited with code {code} {child.quick_crashes} times in a row; "
                        f"not restarting it: see {child.spec.console_log} and its freqtrade log",
                    )
                    self._write_state()
                    continue
                delay = self.backoff.delay(child.quick_crashes)
                child.restart_at = now + delay
                self._event(child, f"exited with code {code}; restarting in {delay:.0f} s")
                self._write_state()
            elif now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)
                self._event(child, f"restarted (pid {child.process.pid}, restart {child.restarts})")

    def request_stop(self, *_: object) -> None:
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def run(self, until: float | None = None, tick: Callable[[], None] | None = None) -> None:
        """Supervise until stop is requested or ``until`` (monotonic seconds) has passed."""
        while not self._stop_requested and (until is None or time.monotonic() < until):
            self.check()
            if tick:
                tick()
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop every process, consumer first (it holds the real trades), then producers."""
        for child in reversed(list(self.children.values())):
            child.gave_up = True
            if child.process is None or child.process.poll() is not None:
                continue
            with contextlib.suppress(psutil.NoSuchProcess):
                stop_process_group(psutil.Process(child.process.pid))
            child.process.poll()
            self._event(child, "stopped")
        (self.run_dir / SUPERVISOR_PID).unlink(missing_ok=True)

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)


def read_state(plan_dir: Path) -> dict | None:
    path = Path(plan_dir) / RUN_DIR / SUPERVISOR_PID
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def running_supervisor(plan_dir: Path) -> psutil.Process | None:
    state = read_state(plan_dir)
    if not state or not state.get("supervisor"):
        return None
    return _alive(state["supervisor"])


def stop_fleet(plan_dir: Path, timeout: float = 60.0) -> list[str]:
    """Stop a fleet started by ``up`` (from any terminal); returns what was stopped.

    The supervisor is asked first (SIGTERM: it stops its bots in order); if it is gone or
    does not finish in time, the bots recorded in its state file are stopped directly.
    """
    plan_dir = Path(plan_dir).resolve()
    state = read_state(plan_dir)
    if state is None:
        return []
    stopped: list[str] = []
    supervisor = _alive(state["supervisor"]) if state.get("supervisor") else None
    if supervisor is not None:
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(timeout)
            stopped.append("supervisor")
        except psutil.TimeoutExpired:
            logger.warning("supervisor did not stop in %.0f s; stopping the bots directly", timeout)
    for name, bot in (state.get("bots") or {}).items():
        process = _alive(bot["process"]) if bot.get("process") else None
        if process is not None:
            stop_process_group(process)
            stopped.append(name)
    (plan_dir / RUN_DIR / SUPERVISOR_PID).unlink(missing_ok=True)
    return stopped


__all__ = [
    "Backoff",
    "ProcessSpec",
    "Supervisor",
    "process_specs",
    "read_state",
    "running_supervisor",
    "stop_fleet",
    "stop_process_group",
]
