"""One supervised process: its live state, as ``supervisor.json`` records it, and the
restart policy that decides when a crashed process starts again or is given up on.

Why a policy object: a bot that crashes right after starting (a bad config, a missing
exchange) would otherwise be restarted forever; delays double up to a cap, and a bot that
crashes ``quick_crashes`` times in a row soon after starting is given up on.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Any

from freqfleet.run.processes import ProcessSpec, process_identity


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
            "process": process_identity(self.process.pid)
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


__all__ = ["Backoff", "Supervised"]
