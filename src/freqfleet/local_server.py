"""A local HTTP server process (the simulator, the gateway): serving it and launching it.

Why shared: ``freqfleet sim`` and ``freqfleet gateway`` run the same way. The server binds
its own socket first (``--port 0`` takes any free port, so tests and parallel runs never
collide), writes its real address to a ready file, and serves with uvicorn in the
foreground until SIGINT/SIGTERM. Tests, benchmarks and the demo start it as a subprocess,
wait for the ready file and a first answer, and stop it with SIGTERM.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from freqfleet.errors import ConfigError, RuntimeFleetError

START_TIMEOUT = 60.0

# -- in the server process ----------------------------------------------------------------


def bind_socket(host: str, port: int, *, inheritable: bool = False) -> socket.socket:
    """A listening socket on ``host:port`` (0: any free port), or ConfigError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ConfigError(
            f"--host/--port {host}:{port} cannot be used ({error.strerror}): pick another port"
        ) from error
    sock.listen(2048)
    if inheritable:
        sock.set_inheritable(True)
    return sock


def server_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def foreground_server(config: Any, on_started: Callable[[], None] | None = None) -> Any:
    """uvicorn's server, where SIGINT/SIGTERM mean "stop serving": shut down and exit 0
    (no re-raised signal); ``on_started`` runs once it listens."""
    import uvicorn

    class ForegroundServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if on_started is not None:
                on_started()

    return ForegroundServer(config)


def uvicorn_config(app: Any) -> Any:
    """uvicorn settings for ``app``: the fastest loop and parser installed, no access log."""
    import uvicorn

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return uvicorn.Config(
        app, loop=loop, http=http, log_level="warning", access_log=False, lifespan="on"
    )


# -- in the launching process -------------------------------------------------------------


def start_logged(command: list[str], log_path: Path) -> subprocess.Popen:
    """``command`` in a subprocess, its output (unbuffered) into ``log_path``."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def wait_ready(
    process: subprocess.Popen, ready: Path, log_path: Path, what: str, probe: str
) -> dict[str, Any]:
    """The ready file's content once the server answers ``GET url + probe``; stops the
    process and raises RuntimeFleetError (``what``, log tail) when it exits or stays silent."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeFleetError(
                f"{what} exited with code {process.returncode} at start: {tail(log_path)}"
            )
        if ready.exists():
            info = json.loads(ready.read_text(encoding="utf-8"))
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(info["url"] + probe, timeout=5).status_code == 200:
                    return info
        time.sleep(0.05)
    stop(process)
    raise RuntimeFleetError(f"{what} did not answer within {START_TIMEOUT:.0f} s: {tail(log_path)}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (a clean shutdown), then kill after 10 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"


__all__ = [
    "START_TIMEOUT",
    "bind_socket",
    "foreground_server",
    "server_url",
    "start_logged",
    "stop",
    "tail",
    "uvicorn_config",
    "wait_ready",
]
