"""The plan's lock: one supervisor per plan, never stale.

Why ``flock`` on ``run/supervisor.lock``: the kernel drops the lock when its holder dies,
so it is never stale and never held twice; the file itself is never removed (two holders
could then lock different files). The holder writes its pid into the file, so another
terminal can name it.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from freqfleet.errors import RuntimeFleetError
from freqfleet.files import SECRET_MODE

RUN_DIR = "run"
"""Everything another terminal needs lives under ``PLAN_DIR/run/``."""
LOCK_FILE = "supervisor.lock"
LOCK_ATTEMPTS = 10  # a `status` or `down` probing the lock holds it for microseconds


class FleetRefused(RuntimeFleetError):
    """``up`` refused because the plan's fleet (or bots of an earlier run) already runs."""

    exit_code = 2


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


__all__ = [
    "LOCK_ATTEMPTS",
    "LOCK_FILE",
    "RUN_DIR",
    "FleetLock",
    "FleetRefused",
    "already_running",
    "lock_holder",
]
