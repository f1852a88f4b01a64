"""What the supervisor does on another terminal's request: ``down --only`` (hold a bot
down), ``restart``, and the steps of ``apply`` (add a bot of a changed plan, remove one).

Why apart from the supervisor's lifecycle: requests change *which* processes run while it
runs; the supervisor itself starts, watches and stops them. An added bot is taken from the
plan directory's manifest as it is now (``apply`` writes the changed plan first); a removed
bot is stopped and forgotten, so it is neither restarted nor listed in ``supervisor.json``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from freqfleet.fleet import FleetManifest
from freqfleet.run.control import HANDLED_KEPT, take_requests
from freqfleet.run.processes import ProcessSpec
from freqfleet.run.supervised import Supervised

SpecsFor = Callable[[Path, FleetManifest], list[ProcessSpec]]
"""How a plan's processes are made from its manifest (``process_specs``; tests: fakes)."""


class RequestHandling:
    """The supervisor's answers to requests (mixed into :class:`Supervisor`)."""

    plan_dir: Path
    run_dir: Path
    children: dict[str, Supervised]
    specs_for: SpecsFor
    _handled: list[str]

    def _spawn(self, child: Supervised) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def _stop_children(self, children: list[Supervised]) -> None:
        raise NotImplementedError

    def _event(self, child: Supervised, message: str) -> None:
        raise NotImplementedError

    def _handle_requests(self) -> bool:
        requests = take_requests(self.run_dir)
        for request in requests:
            asked = [str(name) for name in request.get("bots") or []]
            names = [name for name in asked if name in self.children]
            action = request.get("action")
            if action == "stop":
                self._hold(names)
            elif action == "restart":
                self._restart(names)
            elif action == "add":
                self._add([name for name in asked if name not in self.children])
            elif action == "remove":
                self._remove(names)
            if request.get("id"):
                self._handled = [*self._handled, str(request["id"])][-HANDLED_KEPT:]
        return bool(requests)

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

    def _add(self, names: list[str]) -> None:
        """Start the named bots of the plan as it is now in the plan directory."""
        if not names:
            return
        specs = {
            spec.name: spec
            for spec in self.specs_for(self.plan_dir, FleetManifest.load(self.plan_dir))
        }
        for name in names:
            if name in specs:
                child = self.children[name] = Supervised(specs[name])
                process = self._spawn(child)
                self._event(child, f"started on request (pid {process.pid})")

    def _remove(self, names: list[str]) -> None:
        """Stop the named bots for good (no restart) and drop them from the fleet."""
        children = [self.children[name] for name in names]
        for child in children:
            child.held = True
            child.restart_at = None
        self._stop_children(children)
        for child in children:
            self._event(child, "removed on request")
            del self.children[child.spec.name]


__all__ = ["RequestHandling", "SpecsFor"]
