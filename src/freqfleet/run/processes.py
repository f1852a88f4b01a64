"""The processes of a planned fleet: how each is started, recognised and stopped.

Why apart from the supervisor: ``down`` from another terminal stops the same processes
the supervisor started, by the identity recorded in ``supervisor.json`` (pid and start
time, so a reused pid is never signalled), in the same order: the consumer alone first
(it holds the real trades), then the producers, then the rest. Each process runs in its
own process group, so a signal reaches the whole bot.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from freqfleet.files import SECRET_MODE
from freqfleet.fleet import BotEntry, FleetManifest, connect_address
from freqfleet.gateway import STATS_PATH
from freqfleet.run.fleet_lock import RUN_DIR

STOP_TIMEOUTS = (20.0, 8.0)  # after SIGINT, after SIGTERM; then SIGKILL


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


def process_identity(pid: int) -> dict[str, float | int] | None:
    try:
        return {"pid": pid, "create_time": psutil.Process(pid).create_time()}
    except psutil.Error:
        return None


def alive(identity: dict) -> psutil.Process | None:
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


def stop_order(roles: dict[str, str]) -> list[list[str]]:
    """Names in stop order: the consumer alone first (it holds the real trades), then the
    producers together, then the rest (the pairlist feed)."""
    consumer = [name for name, role in roles.items() if role == "consumer"]
    producers = [name for name, role in roles.items() if role == "producer"]
    rest = [name for name in roles if name not in consumer and name not in producers]
    return [group for group in (consumer, producers, rest) if group]


__all__ = [
    "STOP_TIMEOUTS",
    "ProcessSpec",
    "alive",
    "bot_environment",
    "local_api_url",
    "open_log",
    "process_identity",
    "process_specs",
    "stop_order",
    "stop_process_group",
    "stop_process_groups",
]
