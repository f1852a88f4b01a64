"""A fleet's start-up: waiting until every bot's REST API answers, and showing it.

Shared by ``freqfleet up`` and ``freqfleet demo``: :func:`wait_until_ready` drives the
supervisor's checks and fails at once on a bot it gave up on, or after a timeout naming
the slow bots; :func:`show_start_up` shows one spinner per bot meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from freqfleet.errors import RuntimeFleetError
from freqfleet.run.supervisor import Supervisor

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


def gave_up_message(name: str, bot: dict[str, Any]) -> str:
    """Why ``up`` or ``restart`` failed on a bot the supervisor gave up on."""
    code = bot.get("last_exit")
    crashes = bot.get("crashes") or "several"
    return (
        f"{name} exited {crashes} times in a row soon after starting (last exit code {code}); "
        f"not restarting it: see {bot.get('console_log')} and its freqtrade log"
    )


def show_start_up(supervisor: Supervisor, console: Console, timeout: float = READY_TIMEOUT) -> None:
    """Wait for the supervisor's bots, showing each one's state as it changes."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks = {
            name: progress.add_task(f"{name}: starting", total=1) for name in supervisor.children
        }

        def show(states: dict[str, str]) -> None:
            for name, state in states.items():
                progress.update(
                    tasks[name], description=f"{name}: {state}", completed=state == "ready"
                )

        wait_until_ready(supervisor, timeout, show)


__all__ = ["READY_TIMEOUT", "gave_up_message", "show_start_up", "wait_until_ready"]
