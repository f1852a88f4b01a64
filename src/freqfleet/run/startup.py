"""A fleet's start-up on the console: one spinner per bot until its REST API answers.

Shared by ``freqfleet up`` and ``freqfleet demo``; the waiting itself (and its failures)
is the supervisor's :func:`~freqfleet.run.supervisor.wait_until_ready`.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from freqfleet.run.supervisor import READY_TIMEOUT, Supervisor, wait_until_ready


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


__all__ = ["show_start_up"]
