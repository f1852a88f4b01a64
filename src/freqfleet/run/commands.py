"""``freqfleet up``, ``down``, ``restart``, ``status`` and ``demo``."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from freqfleet.errors import ConfigError, RuntimeFleetError
from freqfleet.fleet import FleetManifest
from freqfleet.run.control import (
    SUPERVISOR_LOG,
    read_state,
    running_supervisor,
    send_request,
    stop_fleet,
    supervised_names,
)
from freqfleet.run.demo import DemoOptions, run_demo
from freqfleet.run.fleet_lock import RUN_DIR, FleetRefused, already_running, lock_holder
from freqfleet.run.processes import (
    STOP_TIMEOUTS,
    ProcessSpec,
    local_api_url,
    open_log,
    process_specs,
)
from freqfleet.run.startup import READY_TIMEOUT, gave_up_message, show_start_up
from freqfleet.run.status import collect_status
from freqfleet.run.status_table import render_status
from freqfleet.run.supervisor import PRODUCER_WAIT, Supervisor


def _plan_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise ConfigError(
            f"DIR {text!r} is not a folder; give the folder `freqfleet plan -o` wrote"
        )
    return path.resolve()


def _up(args: argparse.Namespace) -> int:
    plan_dir = _plan_dir(args.dir)
    manifest = FleetManifest.load(plan_dir)
    console = Console()
    only = set(args.only) if args.only else None
    specs = process_specs(plan_dir, manifest, only)
    dashboard = _dashboard_spec(plan_dir, manifest, args, only)
    if not specs and dashboard is None:
        raise ConfigError(f"--only {' '.join(args.only)}: no bot of that name in the plan")
    if args.detach:
        return _up_detached(plan_dir, args, console)
    if dashboard is not None:
        specs.append(dashboard)
    supervisor = Supervisor(
        plan_dir, specs, on_event=lambda line: console.print(line, highlight=False)
    )
    supervisor.install_signal_handlers()
    try:
        supervisor.start()
        show_start_up(supervisor, console, args.ready_timeout)
        if not supervisor.stop_requested:
            console.print(
                f"[green]fleet up[/]: {len(specs)} processes. "
                f"Ctrl-C or `freqfleet down {plan_dir}` stops it; "
                f"`freqfleet status {plan_dir}` shows it."
            )
            for line in _urls(plan_dir, manifest, dashboard):
                console.print(line, soft_wrap=True, highlight=False)
            supervisor.run()
    finally:
        supervisor.stop()
    return 0


def _dashboard_spec(
    plan_dir: Path, manifest: FleetManifest, args: argparse.Namespace, only: set[str] | None
) -> ProcessSpec | None:
    """The fleet's dashboard, unless ``--no-dashboard`` or ``--only`` leaves it out."""
    from freqfleet.dashboard import PROCESS_NAME, dashboard_spec, default_port, listen_address

    if args.no_dashboard or (only is not None and PROCESS_NAME not in only):
        return None
    port = args.dashboard_port or default_port(manifest, listen_address(plan_dir, manifest))
    return dashboard_spec(plan_dir, manifest, port)


def _urls(plan_dir: Path, manifest: FleetManifest, dashboard: ProcessSpec | None) -> list[str]:
    """Where each bot's API and the dashboard answer (the consumer's login opens both)."""
    lines = [f"  {bot.name}: {local_api_url(bot)}" for bot in manifest.bots]
    if dashboard is not None and dashboard.ping_url:
        url = dashboard.ping_url.removesuffix("healthz")
        lines.append(f"  dashboard: {url} (the consumer's API username and password)")
    return lines


def _last_error_line(log: Path, offset: int) -> str | None:
    """The last ``freqfleet: ...`` line written to ``log`` after ``offset``."""
    try:
        with open(log, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = [line for line in text.splitlines() if line.startswith("freqfleet: ")]
    return lines[-1].removeprefix("freqfleet: ") if lines else None


def _raise_if_gave_up(state: dict[str, Any]) -> None:
    for name, bot in (state.get("bots") or {}).items():
        if isinstance(bot, dict) and bot.get("gave_up"):
            raise RuntimeFleetError(gave_up_message(name, bot))


def _up_detached(plan_dir: Path, args: argparse.Namespace, console: Console) -> int:
    """Run the supervisor in the background; return once its state file says this run is
    up, or at once when it gave up on a bot or exited."""
    holder = lock_holder(plan_dir)
    if holder is not None:
        raise already_running(plan_dir, holder)
    log = plan_dir / RUN_DIR / SUPERVISOR_LOG
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
    if args.no_dashboard:
        argv.append("--no-dashboard")
    elif args.dashboard_port:
        argv += ["--dashboard-port", str(args.dashboard_port)]
    output = open_log(log)
    try:
        offset = os.fstat(output).st_size
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        os.close(output)
    deadline = time.monotonic() + args.ready_timeout + PRODUCER_WAIT + 30
    with console.status("starting the fleet in the background"):
        while time.monotonic() < deadline:
            code = process.poll()
            state = read_state(plan_dir) or {}
            if (state.get("supervisor") or {}).get("pid") == process.pid:  # this run's
                _raise_if_gave_up(state)
                if state.get("phase") == "up" and code is None:
                    console.print(
                        f"[green]fleet up[/] in the background (supervisor pid {process.pid}, "
                        f"log {log}). `freqfleet down {plan_dir}` stops it.",
                        soft_wrap=True,
                    )
                    return 0
            if code is not None:
                holder = lock_holder(plan_dir)
                if code == FleetRefused.exit_code and holder not in (None, process.pid):
                    raise already_running(plan_dir, holder)
                line = _last_error_line(log, offset)
                if code == FleetRefused.exit_code and line:
                    raise FleetRefused(line)
                raise RuntimeFleetError(
                    f"{line or f'the fleet supervisor exited with code {code}'}; see {log}"
                )
            time.sleep(0.25)
    raise RuntimeFleetError(
        f"the fleet did not come up within {args.ready_timeout:.0f} s; see {log}; "
        f"`freqfleet down {plan_dir}` stops what started"
    )


def _bot_names(plan_dir: Path, names: list[str], command: str) -> list[str]:
    """``names`` checked against the plan and the running supervisor."""
    manifest = FleetManifest.load(plan_dir)
    planned = [spec.name for spec in process_specs(plan_dir, manifest)]
    unknown = [name for name in names if name not in planned]
    if unknown:
        raise ConfigError(
            f"{command}: no bot named {', '.join(unknown)} in {plan_dir}; "
            f"use one of {', '.join(planned)}"
        )
    running = supervised_names(plan_dir)
    if not running:
        raise RuntimeFleetError(
            f"{command}: the fleet in {plan_dir} is not running; `freqfleet up {plan_dir}` starts it"
        )
    outside = [name for name in names if name not in running]
    if outside:
        raise ConfigError(
            f"{command}: {', '.join(outside)} is not run by this fleet's supervisor "
            f"(started with --only); use one of {', '.join(running)}"
        )
    return list(dict.fromkeys(names))


def _down(args: argparse.Namespace) -> int:
    plan_dir = _plan_dir(args.dir)
    console = Console()
    if args.only:
        names = _bot_names(plan_dir, args.only, "down --only")
        send_request(plan_dir, "stop", names, timeout=args.timeout)
        console.print(
            f"stopped: {', '.join(names)} (kept down until "
            f"`freqfleet restart {plan_dir} {' '.join(names)}`)",
            soft_wrap=True,
        )
        return 0
    stopped = stop_fleet(plan_dir, timeout=args.timeout)
    if stopped:
        console.print(f"stopped: {', '.join(stopped)}", soft_wrap=True)
    else:
        console.print(f"nothing runs for {plan_dir}", soft_wrap=True)
    return 0


def _restart(args: argparse.Namespace) -> int:
    plan_dir = _plan_dir(args.dir)
    names = _bot_names(plan_dir, args.bot, "restart")
    console = Console()
    send_request(plan_dir, "restart", names, timeout=sum(STOP_TIMEOUTS) + 30)
    deadline = time.monotonic() + args.ready_timeout
    with console.status(f"restarting {', '.join(names)}"):
        while True:
            bots = (read_state(plan_dir) or {}).get("bots") or {}
            for name in names:
                if (bots.get(name) or {}).get("gave_up"):
                    raise RuntimeFleetError(gave_up_message(name, bots[name]))
            if all((bots.get(name) or {}).get("state") == "ready" for name in names):
                pids = ", ".join(f"{n} pid {bots[n]['process']['pid']}" for n in names)
                console.print(f"restarted: {pids}", soft_wrap=True)
                return 0
            if running_supervisor(plan_dir) is None:
                raise RuntimeFleetError(
                    f"restart: the fleet supervisor of {plan_dir} stopped; "
                    f"`freqfleet up {plan_dir}` starts the fleet again"
                )
            if time.monotonic() > deadline:
                logs = ", ".join(str((bots.get(n) or {}).get("console_log")) for n in names)
                raise RuntimeFleetError(
                    f"restart: {', '.join(names)} did not answer within "
                    f"{args.ready_timeout:.0f} s; see {logs}"
                )
            time.sleep(0.5)


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
    return run_demo(
        DemoOptions(
            producers=args.producers,
            pairs=args.pairs,
            minutes=args.minutes,
            max_open_trades=args.max_open_trades,
            seed=args.seed,
            directory=Path(args.dir) if args.dir else None,
            live=args.live,
            futures=args.futures,
        )
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add up, down, restart, status and demo."""
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
    up.add_argument(
        "--no-dashboard",
        action="store_true",
        help="Do not serve the fleet's dashboard (`freqfleet dashboard DIR` serves it alone).",
    )
    up.add_argument(
        "--dashboard-port",
        type=int,
        default=None,
        help="The dashboard's port (default: the first free one after the consumer's).",
    )
    up.set_defaults(func=_up)

    down = subparsers.add_parser("down", help="Stop a fleet started by `freqfleet up`.")
    down.add_argument("dir", metavar="DIR")
    down.add_argument(
        "--only",
        nargs="+",
        metavar="BOT",
        help="Stop only these bots; the supervisor keeps them down until `freqfleet restart`.",
    )
    down.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="Seconds to wait for the supervisor (default: %(default)s).",
    )
    down.set_defaults(func=_down)

    restart = subparsers.add_parser(
        "restart", help="Restart bots of a running fleet (also one it gave up on or held down)."
    )
    restart.add_argument("dir", metavar="DIR")
    restart.add_argument("bot", nargs="+", metavar="BOT", help="Bot name(s), as in the plan.")
    restart.add_argument(
        "--ready-timeout",
        type=float,
        default=READY_TIMEOUT,
        help="Seconds to wait for the bot's API (default: %(default)s).",
    )
    restart.set_defaults(func=_restart)

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
    demo.add_argument(
        "--live",
        action="store_true",
        help="The consumer trades live (dry_run false) on the simulator's account, whose key "
        "and secret only the consumer gets (account file: sim-account.json in the folder).",
    )
    demo.add_argument(
        "--futures",
        action="store_true",
        help="Trade the simulator's USDT perpetuals (BTC/USDT:USDT), long and short, in "
        "isolated margin, with FleetFuturesSampleStrategy.",
    )
    demo.set_defaults(func=_demo)
