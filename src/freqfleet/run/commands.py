"""``freqfleet up``, ``down``, ``status`` and ``demo``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from freqfleet.errors import ConfigError, RuntimeFleetError
from freqfleet.fleet.manifest import FleetManifest
from freqfleet.run.status import collect_status, render_status
from freqfleet.run.supervisor import (
    RUN_DIR,
    Supervisor,
    process_specs,
    running_supervisor,
    stop_fleet,
)

READY_TIMEOUT = 180.0


def _plan_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise ConfigError(
            f"DIR {text!r} is not a folder; give the folder `freqfleet plan -o` wrote"
        )
    return path.resolve()


def wait_until_ready(
    supervisor: Supervisor, console: Console, timeout: float = READY_TIMEOUT
) -> None:
    """Show a spinner per bot until its REST API answers; fail naming the slow bots."""
    deadline = time.monotonic() + timeout
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
        while True:
            supervisor.check()
            ready = supervisor.ready()
            for name, is_ready in ready.items():
                if is_ready:
                    progress.update(tasks[name], description=f"{name}: ready", completed=1)
            if all(ready.values()):
                return
            if supervisor.stop_requested:
                return
            given_up = [name for name, child in supervisor.children.items() if child.gave_up]
            if given_up or time.monotonic() > deadline:
                late = given_up or [name for name, ok in ready.items() if not ok]
                logs = ", ".join(str(supervisor.children[n].spec.console_log) for n in late)
                raise RuntimeFleetError(
                    f"{', '.join(late)} did not come up within {timeout:.0f} s; see {logs}"
                )
            time.sleep(1)


def _up(args: argparse.Namespace) -> int:
    plan_dir = _plan_dir(args.dir)
    manifest = FleetManifest.load(plan_dir)
    console = Console()
    if args.detach:
        return _up_detached(plan_dir, args, console)
    only = set(args.only) if args.only else None
    specs = process_specs(plan_dir, manifest, only)
    if not specs:
        raise ConfigError(f"--only {' '.join(args.only)}: no bot of that name in the plan")
    supervisor = Supervisor(
        plan_dir, specs, on_event=lambda line: console.print(line, highlight=False)
    )
    supervisor.install_signal_handlers()
    try:
        supervisor.start()
        wait_until_ready(supervisor, console, args.ready_timeout)
        if not supervisor.stop_requested:
            console.print(
                f"[green]fleet up[/]: {len(specs)} processes. "
                f"Ctrl-C or `freqfleet down {plan_dir}` stops it; "
                f"`freqfleet status {plan_dir}` shows it."
            )
            supervisor.run()
    finally:
        supervisor.stop()
    return 0


def _up_detached(plan_dir: Path, args: argparse.Namespace, console: Console) -> int:
    """Run the supervisor in the background and return once every bot answers."""
    if running_supervisor(plan_dir) is not None:
        raise RuntimeFleetError(
            f"{plan_dir}: the fleet is already up; `freqfleet down {plan_dir}` stops it"
        )
    log = plan_dir / RUN_DIR / "supervisor.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "freqfleet",
        "up",
        str(plan_dir),
        "--ready-timeout",
        str(args.ready_timeout),
    ]
    if args.only:
        argv += ["--only", *args.only]
    with open(log, "ab") as output:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + args.ready_timeout + 10
    with console.status("starting the fleet in the background"):
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeFleetError(
                    f"the fleet supervisor exited with code {process.returncode}; see {log}"
                )
            if "fleet up" in log.read_text(encoding="utf-8", errors="replace"):
                console.print(
                    f"[green]fleet up[/] in the background (supervisor pid {process.pid}, log {log})"
                )
                return 0
            time.sleep(1)
    raise RuntimeFleetError(
        f"the fleet did not come up within {args.ready_timeout:.0f} s; see {log}"
    )


def _down(args: argparse.Namespace) -> int:
    plan_dir = _plan_dir(args.dir)
    stopped = stop_fleet(plan_dir, timeout=args.timeout)
    console = Console()
    if stopped:
        console.print(f"stopped: {', '.join(stopped)}")
    else:
        console.print(f"nothing runs for {plan_dir}")
    return 0


def _status(args: argparse.Namespace) -> int:
    plan_dir = _plan_dir(args.dir)
    manifest = FleetManifest.load(plan_dir)
    console = Console()
    if args.json:
        status = collect_status(plan_dir, manifest)
        print(json.dumps(status.as_dict(), indent=2))
        return 0 if all(bot.state == "running" for bot in status.bots) else 1
    if not args.watch:
        status = collect_status(plan_dir, manifest)
        console.print(render_status(status))
        return 0 if all(bot.state == "running" for bot in status.bots) else 1
    with Live(render_status(collect_status(plan_dir, manifest)), console=console) as live:
        try:
            while True:
                time.sleep(args.interval)
                live.update(render_status(collect_status(plan_dir, manifest)))
        except KeyboardInterrupt:
            return 0


def _demo(args: argparse.Namespace) -> int:
    from freqfleet.run.demo import DemoOptions, run_demo

    return run_demo(
        DemoOptions(
            producers=args.producers,
            pairs=args.pairs,
            minutes=args.minutes,
            max_open_trades=args.max_open_trades,
            seed=args.seed,
            directory=Path(args.dir) if args.dir else None,
        )
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add up, down, status and demo."""
    up = subparsers.add_parser(
        "up", help="Start a planned fleet and supervise it (Ctrl-C stops it)."
    )
    up.add_argument("dir", metavar="DIR", help="Folder written by `freqfleet plan`.")
    up.add_argument(
        "--only", nargs="+", metavar="NAME", help="Start only these bots (a fleet across hosts)."
    )
    up.add_argument(
        "--detach",
        action="store_true",
        help="Supervise in the background; return once every bot answers.",
    )
    up.add_argument(
        "--ready-timeout",
        type=float,
        default=READY_TIMEOUT,
        help="Seconds to wait for every bot's API (default: %(default)s).",
    )
    up.set_defaults(func=_up)

    down = subparsers.add_parser("down", help="Stop a fleet started by `freqfleet up`.")
    down.add_argument("dir", metavar="DIR")
    down.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="Seconds to wait for the supervisor (default: %(default)s).",
    )
    down.set_defaults(func=_down)

    status = subparsers.add_parser(
        "status", help="One table of the fleet's health from the bots' REST APIs."
    )
    status.add_argument("dir", metavar="DIR")
    status.add_argument("--json", action="store_true", help="Machine-readable output.")
    status.add_argument("--watch", action="store_true", help="Refresh until Ctrl-C.")
    status.add_argument(
        "--interval", type=float, default=5.0, help="Seconds between refreshes with --watch."
    )
    status.set_defaults(func=_status)

    demo = subparsers.add_parser(
        "demo",
        help="A fleet on the built-in exchange simulator: K producers, one consumer, live status.",
    )
    demo.add_argument("--producers", type=int, default=3)
    demo.add_argument("--pairs", type=int, default=30)
    demo.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="Stop after this many minutes (default: Ctrl-C).",
    )
    demo.add_argument("--max-open-trades", type=int, default=5)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument(
        "--dir",
        default=None,
        help="Keep the demo's plan in this folder (default: a temporary one).",
    )
    demo.set_defaults(func=_demo)
