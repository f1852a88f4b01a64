"""Start, watch, restart and stop the processes of a planned fleet.

Why a supervisor of our own rather than systemd or docker: a fleet on one machine (the demo,
a laptop, a VPS) should come up with one command and go down with Ctrl-C, with no process
left behind. Each bot is an unmodified ``freqtrade trade`` in its own process group;
producers start first and the consumer only once they serve pairs (it subscribes to their
whitelists), a crashed bot is restarted with capped exponential backoff, and a bot that
keeps crashing is given up on with a pointer to its log.

Everything another terminal needs lives under ``PLAN_DIR/run/``:

- ``supervisor.lock``: an exclusive ``flock`` held for the supervisor's whole life. The
  kernel drops it when the holder dies, so it is never stale and never held twice; the
  file itself is never removed (two holders could then lock different files).
- ``supervisor.json``: this run's id, phase and each bot's state, written only by the
  lock's holder. ``up --detach`` reads readiness from it, ``down`` the pids to stop.
- ``requests/``: ``restart`` and ``down --only`` drop a request here; the supervisor acts
  on it and names it in ``handled``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from freqfleet.errors import RuntimeFleetError
from freqfleet.files import SECRET_MODE, dump_json, write_atomic
from freqfleet.fleet import BotEntry, FleetManifest, connect_address
from freqfleet.gateway import STATS_PATH

logger = logging.getLogger(__name__)

RUN_DIR = "run"
SUPERVISOR_PID = "supervisor.json"
LOCK_FILE = "supervisor.lock"
REQUESTS_DIR = "requests"
SUPERVISOR_LOG = "supervisor.log"
STOP_TIMEOUTS = (20.0, 8.0)  # after SIGINT, after SIGTERM; then SIGKILL
PRODUCER_WAIT = 60.0  # seconds the consumer waits for its producers to serve pairs
GATEWAY_WAIT = 30.0  # seconds the bots wait for the market-data gateway to answer
LOCK_ATTEMPTS = 10  # a `status` or `down` probing the lock holds it for microseconds
HANDLED_KEPT = 50


class FleetRefused(RuntimeFleetError):
    """``up`` refused because the plan's fleet (or bots of an earlier run) already runs."""

    exit_code = 2


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
    role: str = "process"  # "producer" and "consumer" decide the start and stop order
    whitelist_url: str | None = None
    auth: tuple[str, str] | None = field(default=None, repr=False)


@dataclass
class Supervised:
    """A process's live state inside the supervisor."""

    spec: ProcessSpec
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    started_wall: float | None = None
    ready: bool = False
    ready_wall: float | None = None
    pairs: int | None = None
    restarts: int = 0
    quick_crashes: int = 0
    restart_at: float | None = None
    gave_up: bool = False
    held: bool = False
    last_exit: int | None = None
    events: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def state(self) -> str:
        """One word for ``supervisor.json``: waiting, starting, ready, crashed, gave_up, held,
        stopped."""
        if self.held:
            return "held"
        if self.gave_up:
            return "gave_up"
        if self.process is None:
            return "waiting"
        if self.restart_at is not None:
            return "crashed"
        if not self.running:
            return "stopped"
        return "ready" if self.ready else "starting"

    def summary(self) -> dict[str, Any]:
        """What ``supervisor.json`` records of this process."""
        return {
            "role": self.spec.role,
            "state": self.state,
            "process": _process_identity(self.process.pid)
            if self.process and self.running
            else None,
            "restarts": self.restarts,
            "crashes": self.quick_crashes,
            "gave_up": self.gave_up,
            "last_exit": self.last_exit,
            "started_at": self.started_wall,
            "ready_at": self.ready_wall,
            "pairs": self.pairs,
            "console_log": str(self.spec.console_log),
        }


def bot_environment() -> dict[str, str]:
    """The environment bots run with (freqtrade skips its log file under pytest)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def local_api_url(bot: BotEntry) -> str:
    return f"http://{connect_address(bot.api_host or '0.0.0.0')}:{bot.api_port}"


def open_log(path: Path) -> int:
    """A log file opened for appending, mode 0600 (bots' output may carry secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, SECRET_MODE)
    os.fchmod(fd, SECRET_MODE)  # an older file may have been created wider
    return fd


def process_specs(
    plan_dir: Path, manifest: FleetManifest, only: set[str] | None = None
) -> list[ProcessSpec]:
    """The fleet's processes in start order: gateway, pairlist feed, producers, consumer."""
    plan_dir = Path(plan_dir).resolve()
    run_dir = plan_dir / RUN_DIR
    specs: list[ProcessSpec] = []
    if manifest.gateway and (only is None or "gateway" in only):
        specs.append(
            ProcessSpec(
                name="gateway",
                argv=[sys.executable, "-m", "freqfleet", *manifest.gateway.command_args()],
                cwd=plan_dir,
                console_log=run_dir / "gateway.console.log",
                ping_url=f"{manifest.gateway.url}{STATS_PATH}",
                role="gateway",
            )
        )
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
                role="pairlist-feed",
            )
        )
    ordered = [*manifest.producers, manifest.consumer]
    for bot in ordered:
        if only is not None and bot.name not in only:
            continue
        api = local_api_url(bot)
        specs.append(
            ProcessSpec(
                name=bot.name,
                argv=[sys.executable, "-m", "freqtrade", *manifest.freqtrade_args(bot)],
                cwd=plan_dir,
                console_log=run_dir / f"{bot.name}.console.log",
                ping_url=f"{api}/api/v1/ping",
                role=bot.role,
                whitelist_url=f"{api}/api/v1/whitelist" if bot.role == "producer" else None,
                auth=(bot.username, bot.password),
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


def stop_process_groups(
    processes: Iterable[psutil.Process], timeouts: tuple[float, float] = STOP_TIMEOUTS
) -> None:
    """SIGINT, then SIGTERM, then SIGKILL to each process's group, all at once, waiting in
    between for the group leaders to exit."""
    groups: dict[int, psutil.Process] = {}
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            groups[os.getpgid(process.pid)] = process
    for sig, timeout in (
        (signal.SIGINT, timeouts[0]),
        (signal.SIGTERM, timeouts[1]),
        (signal.SIGKILL, 5.0),
    ):
        for pgid in list(groups):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                del groups[pgid]
        if not groups:
            return
        _gone, alive = psutil.wait_procs(list(groups.values()), timeout=timeout)
        groups = {pgid: p for pgid, p in groups.items() if p in alive}
        if not groups:
            return


def stop_process_group(
    process: psutil.Process, timeouts: tuple[float, float] = STOP_TIMEOUTS
) -> None:
    """SIGINT, then SIGTERM, then SIGKILL to ``process``'s group, waiting in between."""
    stop_process_groups([process], timeouts)


def _stop_order(roles: dict[str, str]) -> list[list[str]]:
    """Names in stop order: the consumer alone first (it holds the real trades), then the
    producers together, then the rest (the pairlist feed)."""
    consumer = [name for name, role in roles.items() if role == "consumer"]
    producers = [name for name, role in roles.items() if role == "producer"]
    rest = [name for name in roles if name not in consumer and name not in producers]
    return [group for group in (consumer, producers, rest) if group]


# --- the plan's lock ----------------------------------------------------------------------


class FleetLock:
    """The exclusive ``flock`` on ``run/supervisor.lock``; the holder's pid is its content."""

    def __init__(self, plan_dir: Path) -> None:
        self.path = Path(plan_dir) / RUN_DIR / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, attempts: int = LOCK_ATTEMPTS) -> bool:
        """Take the lock (retrying briefly past a prober); False when another holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, SECRET_MODE)
        for attempt in range(attempts):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == attempts - 1:
                    os.close(fd)
                    return False
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor drops the flock
            self._fd = None


def lock_holder(plan_dir: Path) -> int | None:
    """The pid holding the plan's lock (0 if it has not written it yet); None when free."""
    path = Path(plan_dir) / RUN_DIR / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            for _ in range(10):
                text = os.pread(fd, 32, 0).decode(errors="replace").strip()
                if text.isdigit():
                    return int(text)
                time.sleep(0.05)
            return 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def already_running(plan_dir: Path, pid: int | None) -> FleetRefused:
    shown = f"pid {pid}" if pid else "pid unknown"
    return FleetRefused(
        f"{plan_dir}: the fleet already runs (supervisor {shown}); "
        f"stop it with `freqfleet down {plan_dir}` first"
    )


def gave_up_message(name: str, bot: dict[str, Any]) -> str:
    """Why ``up`` or ``restart`` failed on a bot the supervisor gave up on."""
    code = bot.get("last_exit")
    crashes = bot.get("crashes") or "several"
    return (
        f"{name} exited {crashes} times in a row soon after starting (last exit code {code}); "
        f"not restarting it: see {bot.get('console_log')} and its freqtrade log"
    )


# --- the supervisor -----------------------------------------------------------------------


def _log_event(line: str) -> None:
    """Events go to the log when no one shows them; ``warning:`` ones as warnings."""
    logger.log(logging.WARNING if ": warning: " in line else logging.INFO, line)


class Supervisor:
    """Runs a fleet's processes until asked to stop."""

    def __init__(
        self,
        plan_dir: Path,
        specs: list[ProcessSpec],
        *,
        backoff: Backoff = Backoff(),
        on_event: Callable[[str], None] | None = None,
        producer_wait: float = PRODUCER_WAIT,
        probe_timeout: float = 1.0,
    ) -> None:
        self.plan_dir = Path(plan_dir).resolve()
        self.run_dir = self.plan_dir / RUN_DIR
        self.backoff = backoff
        self.producer_wait = producer_wait
        self.probe_timeout = probe_timeout
        self.children = {spec.name: Supervised(spec) for spec in specs}
        self.run_id: str | None = None
        self.phase = "new"
        self._on_event = on_event or _log_event
        self._stop_requested = False
        self._lock = FleetLock(self.plan_dir)
        self._started_wall: float | None = None
        self._consumer_deadline = 0.0
        self._handled: list[str] = []

    @property
    def owner(self) -> bool:
        """Whether this supervisor holds the plan's lock (and so may touch its state)."""
        return self._lock.held

    # --- state files -------------------------------------------------------------------
    def _write_state(self) -> None:
        if not self.owner:
            return
        state = {
            "run_id": self.run_id,
            "started": self._started_wall,
            "phase": self.phase,
            "supervisor": _process_identity(os.getpid()),
            "bots": {name: child.summary() for name, child in self.children.items()},
            "handled": self._handled,
        }
        write_atomic(self.run_dir / SUPERVISOR_PID, dump_json(state), mode=SECRET_MODE)

    def _event(self, child: Supervised, message: str) -> None:
        child.events.append(message)
        self._on_event(f"{child.spec.name}: {message}")

    # --- lifecycle ---------------------------------------------------------------------
    def _spawn(self, child: Supervised) -> subprocess.Popen[bytes]:
        console = open_log(child.spec.console_log)
        try:
            process = subprocess.Popen(
                child.spec.argv,
                cwd=child.spec.cwd,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                env=bot_environment(),
                start_new_session=True,  # own process group: signals reach the whole bot
            )
        finally:
            os.close(console)
        child.process = process
        child.started_at = time.monotonic()
        child.started_wall = time.time()
        child.restart_at = None
        child.ready = False
        child.ready_wall = None
        child.pairs = None
        self._write_state()
        return process

    def _refuse_leftovers(self) -> None:
        """Bots an earlier supervisor left running (it was killed) would be a second set."""
        left = []
        for name, bot in ((read_state(self.plan_dir) or {}).get("bots") or {}).items():
            process = (
                _alive(bot["process"]) if isinstance(bot, dict) and bot.get("process") else None
            )
            if process is not None:
                left.append(f"{name} pid {process.pid}")
        if left:
            raise FleetRefused(
                f"{self.plan_dir}: bots of an earlier run still run ({', '.join(left)}); "
                f"stop them with `freqfleet down {self.plan_dir}` first"
            )

    def start(self) -> None:
        """Take the plan's lock, then start every process but the consumer; ``check`` starts
        the consumer once the producers serve pairs."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if not self._lock.acquire():
            raise already_running(self.plan_dir, lock_holder(self.plan_dir))
        try:
            self._refuse_leftovers()
        except FleetRefused:
            self._lock.release()
            raise
        self.run_id = uuid.uuid4().hex
        self._started_wall = time.time()
        self.phase = "starting"
        self._write_state()
        gateway = next((c for c in self.children.values() if c.spec.role == "gateway"), None)
        if gateway is not None:
            # The bots load markets through it at start: it answers before they start.
            process = self._spawn(gateway)
            self._event(gateway, f"started (pid {process.pid})")
            self._await_answer(gateway, GATEWAY_WAIT)
        for child in self.children.values():
            if child.spec.role not in ("consumer", "gateway"):
                process = self._spawn(child)
                self._event(child, f"started (pid {process.pid})")
        self._consumer_deadline = time.monotonic() + self.producer_wait
        self._start_consumer_when_fed()

    def _await_answer(self, child: Supervised, timeout: float) -> None:
        """Wait until ``child`` answers its ping URL, it exits, or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while not self._probe(child) and not child.ready:
            if not child.running or time.monotonic() > deadline:
                self._event(child, f"warning: not answering after {timeout:.0f} s")
                return
            time.sleep(0.1)

    def _start_consumer_when_fed(self) -> bool:
        """Start the consumer once every local producer answers and serves pairs, or when
        ``producer_wait`` has passed (with a warning naming the producers not ready)."""
        consumer = next((c for c in self.children.values() if c.spec.role == "consumer"), None)
        if consumer is None or consumer.process is not None or consumer.held:
            return False
        waiting = [
            child.spec.name
            for child in self.children.values()
            if child.spec.role == "producer"
            and not child.held
            and not (child.ready and child.pairs)
        ]
        if waiting and time.monotonic() < self._consumer_deadline:
            return False
        if waiting:
            message = (
                f"warning: starting although {', '.join(waiting)} did not serve pairs "
                f"within {self.producer_wait:.0f} s (no API answer or an empty whitelist)"
            )
            self._event(consumer, message)
        process = self._spawn(consumer)
        self._event(consumer, f"started (pid {process.pid})")
        return True

    def _probe(self, child: Supervised) -> bool:
        """Ask a running process whether it is ready (and a producer for its pair count)."""
        spec = child.spec
        changed = False
        if not child.ready:
            if spec.ping_url is None:
                child.ready = True
            else:
                try:
                    child.ready = (
                        httpx.get(spec.ping_url, timeout=self.probe_timeout).status_code == 200
                    )
                except httpx.HTTPError:
                    child.ready = False
            if child.ready:
                child.ready_wall = time.time()
                changed = True
                self._event(child, "answers")
        consumer_waits = any(
            c.spec.role == "consumer" and c.process is None and not c.held
            for c in self.children.values()
        )
        if child.ready and spec.whitelist_url and not child.pairs and consumer_waits:
            pairs = self._whitelist_size(spec)
            if pairs != child.pairs:
                child.pairs = pairs
                changed = True
                if pairs:
                    self._event(child, f"serves {pairs} pairs")
        return changed

    def _whitelist_size(self, spec: ProcessSpec) -> int | None:
        if spec.whitelist_url is None:
            return None
        try:
            answer = httpx.get(spec.whitelist_url, auth=spec.auth, timeout=self.probe_timeout)
            whitelist = answer.json().get("whitelist") if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        return len(whitelist) if isinstance(whitelist, list) else None

    def ready(self) -> dict[str, bool]:
        """Which processes answer (their REST API's ping, or simply run), as of ``check``."""
        return {name: child.ready and child.running for name, child in self.children.items()}

    def check(self) -> None:
        """Act on requests, notice exits, restart, probe readiness (called periodically)."""
        if not self.owner:
            return
        changed = self._handle_requests()
        now = time.monotonic()
        for child in self.children.values():
            if child.gave_up or child.held or child.process is None:
                continue
            code = child.process.poll()
            if code is None:
                if child.restart_at is None and now - child.started_at > self.backoff.stable_after:
                    child.quick_crashes = 0
                changed |= self._probe(child)
                continue
            if child.restart_at is None:
                child.last_exit = code
                child.ready = False
                ran_for = now - child.started_at
                child.quick_crashes = (
                    child.quick_crashes + 1 if ran_for < self.backoff.stable_after else 1
                )
                changed = True
                if child.quick_crashes >= self.backoff.quick_crashes:
                    child.gave_up = True
                    self._event(
                        child,
                        f"exited with code {code} {child.quick_crashes} times in a row; "
                        f"not restarting it: see {child.spec.console_log} and its freqtrade log",
                    )
                    continue
                delay = self.backoff.delay(child.quick_crashes)
                child.restart_at = now + delay
                self._event(child, f"exited with code {code}; restarting in {delay:.0f} s")
            elif now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)
                self._event(child, f"restarted (pid {child.process.pid}, restart {child.restarts})")
        changed |= self._start_consumer_when_fed()
        if self.phase == "starting" and all(
            child.ready and child.running for child in self.children.values() if not child.held
        ):
            self.phase = "up"
            changed = True
        if changed:
            self._write_state()

    # --- requests from `restart` and `down --only` ---------------------------------------
    def _handle_requests(self) -> bool:
        folder = self.run_dir / REQUESTS_DIR
        if not folder.is_dir():
            return False
        handled = False
        for path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
            try:
                request = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                request = {}  # written atomically, so unreadable means not ours: dropped
            finally:
                path.unlink(missing_ok=True)
            if not isinstance(request, dict):
                request = {}
            names = [n for n in request.get("bots") or [] if n in self.children]
            action = request.get("action")
            if action == "stop":
                self._hold(names)
            elif action == "restart":
                self._restart(names)
            if request.get("id"):
                self._handled = [*self._handled, str(request["id"])][-HANDLED_KEPT:]
            handled = True
        return handled

    def _stop_children(self, children: list[Supervised]) -> None:
        order = _stop_order({child.spec.name: child.spec.role for child in children})
        for group in order:
            running = [self.children[name] for name in group if self.children[name].running]
            processes = []
            for child in running:
                with contextlib.suppress(psutil.NoSuchProcess):
                    processes.append(psutil.Process(child.pid))
            stop_process_groups(processes)
            for child in running:
                if child.process is not None:
                    child.process.poll()
                child.ready = False
                self._event(child, "stopped")

    def _hold(self, names: list[str]) -> None:
        children = [self.children[name] for name in names]
        for child in children:
            child.held = True
            child.restart_at = None
        self._stop_children(children)
        for child in children:
            self._event(child, "held down until `freqfleet restart`")

    def _restart(self, names: list[str]) -> None:
        children = [self.children[name] for name in names]
        for child in children:
            child.held = True  # no crash-restart while it is being stopped
        self._stop_children(children)
        for child in children:
            child.held = child.gave_up = False
            child.restarts = child.quick_crashes = 0
            child.last_exit = None
            process = self._spawn(child)
            self._event(child, f"restarted on request (pid {process.pid})")

    # --- running and stopping -----------------------------------------------------------
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
        """Stop every process, the consumer first (it holds the real trades), then the
        producers; record the run as stopped and release the lock. A supervisor that never
        took the lock touches nothing."""
        if not self.owner:
            return
        self.phase = "stopping"
        for child in self.children.values():
            child.restart_at = None
        self._write_state()
        self._stop_children(list(self.children.values()))
        self.phase = "stopped"
        self._write_state()
        self._lock.release()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)


# --- from another terminal ----------------------------------------------------------------


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
        return _alive(state["supervisor"]) if state.get("supervisor") else None
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
    for group in _stop_order(roles):
        alive = {}
        for name in group:
            process = _alive(bots[name]["process"]) if bots[name].get("process") else None
            if process is not None:
                alive[name] = process
        stop_process_groups(alive.values())
        stopped += list(alive)
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


READY_TIMEOUT = 180.0
"""Seconds ``up`` and the demo wait for every bot's REST API to answer."""


def wait_until_ready(
    supervisor: Supervisor,
    timeout: float = READY_TIMEOUT,
    on_poll: Callable[[dict[str, str]], None] | None = None,
) -> None:
    """Wait until every started bot's REST API answers, or a stop is asked for; fail at once
    on a bot the supervisor gave up on, or after ``timeout`` naming the slow bots and their
    logs. ``on_poll`` gets each bot's start-up state after every check: "starting",
    "waiting for producers" (a consumer not started yet) or "ready"."""
    deadline = time.monotonic() + timeout
    while True:
        supervisor.check()
        ready = supervisor.ready()
        if on_poll is not None:
            on_poll(
                {
                    name: "ready"
                    if ready[name]
                    else "waiting for producers"
                    if child.process is None
                    else "starting"
                    for name, child in supervisor.children.items()
                }
            )
        if all(ready.values()) or supervisor.stop_requested:
            return
        for name, child in supervisor.children.items():
            if child.gave_up:
                raise RuntimeFleetError(gave_up_message(name, child.summary()))
        if time.monotonic() > deadline:
            late = [name for name, ok in ready.items() if not ok]
            logs = ", ".join(str(supervisor.children[n].spec.console_log) for n in late)
            raise RuntimeFleetError(
                f"{', '.join(late)} did not come up within {timeout:.0f} s; see {logs}"
            )
        time.sleep(0.5)


__all__ = [
    "READY_TIMEOUT",
    "Backoff",
    "FleetLock",
    "FleetRefused",
    "ProcessSpec",
    "Supervisor",
    "gave_up_message",
    "lock_holder",
    "open_log",
    "process_specs",
    "read_state",
    "running_supervisor",
    "send_request",
    "stop_fleet",
    "stop_process_group",
    "stop_process_groups",
    "supervised_names",
    "wait_until_ready",
]
