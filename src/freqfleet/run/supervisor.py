"""Start, watch, restart and stop the processes of a planned fleet.

Why a supervisor of our own rather than systemd or docker: a fleet on one machine (the demo,
a laptop, a VPS) should come up with one command and go down with Ctrl-C, with no process
left behind. Each bot is an unmodified ``freqtrade trade`` in its own process group;
producers start first and the consumer only once they serve pairs (it subscribes to their
whitelists), a crashed bot is restarted with capped exponential backoff, and a bot that
keeps crashing is given up on with a pointer to its log.

Everything another terminal needs lives under ``PLAN_DIR/run/``: the plan's lock, held for
the supervisor's whole life (:mod:`~freqfleet.run.fleet_lock`), and ``supervisor.json``
and ``requests/`` (:mod:`~freqfleet.run.control`). How each process is started and
stopped is :mod:`~freqfleet.run.processes`; how a bot is asked whether it is ready,
:mod:`~freqfleet.run.probes`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil

from freqfleet.files import SECRET_MODE, dump_json, write_atomic
from freqfleet.run.control import (
    SUPERVISOR_PID,
    read_state,
    running_supervisor,
)
from freqfleet.run.fleet_lock import RUN_DIR, FleetLock, FleetRefused, already_running, lock_holder
from freqfleet.run.probes import answers, whitelist_size
from freqfleet.run.processes import (
    ProcessSpec,
    alive,
    bot_environment,
    local_api_url,
    open_log,
    process_identity,
    process_specs,
    stop_order,
    stop_process_groups,
)
from freqfleet.run.supervised import Backoff, Supervised
from freqfleet.run.supervisor_requests import RequestHandling, SpecsFor

logger = logging.getLogger(__name__)

PRODUCER_WAIT = 60.0  # seconds the consumer waits for its producers to serve pairs
GATEWAY_WAIT = 30.0  # seconds the bots wait for the market-data gateway to answer
DEFAULT_BACKOFF = Backoff()


def _log_event(line: str) -> None:
    """Events go to the log when no one shows them; ``warning:`` ones as warnings."""
    logger.log(logging.WARNING if ": warning: " in line else logging.INFO, line)


class Supervisor(RequestHandling):
    """Runs a fleet's processes until asked to stop."""

    def __init__(
        self,
        plan_dir: Path,
        specs: list[ProcessSpec],
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
        on_event: Callable[[str], None] | None = None,
        producer_wait: float = PRODUCER_WAIT,
        probe_timeout: float = 1.0,
        specs_for: SpecsFor | None = None,
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
        self.specs_for = specs_for or process_specs

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
            "supervisor": process_identity(os.getpid()),
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
                alive(bot["process"]) if isinstance(bot, dict) and bot.get("process") else None
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
            child.ready = spec.ping_url is None or answers(spec.ping_url, self.probe_timeout)
            if child.ready:
                child.ready_wall = time.time()
                changed = True
                self._event(child, "answers")
        consumer_waits = any(
            c.spec.role == "consumer" and c.process is None and not c.held
            for c in self.children.values()
        )
        if child.ready and spec.whitelist_url and not child.pairs and consumer_waits:
            pairs = whitelist_size(spec.whitelist_url, spec.auth, self.probe_timeout)
            if pairs != child.pairs:
                child.pairs = pairs
                changed = True
                if pairs:
                    self._event(child, f"serves {pairs} pairs")
        return changed

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

    def _stop_children(self, children: list[Supervised]) -> None:
        order = stop_order({child.spec.name: child.spec.role for child in children})
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


__all__ = [
    "GATEWAY_WAIT",
    "PRODUCER_WAIT",
    "Backoff",
    "Supervised",
    "Supervisor",
    # Read by `freqfleet status` from here (they live in processes and control).
    "local_api_url",
    "read_state",
    "running_supervisor",
]
