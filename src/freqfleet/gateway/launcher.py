"""A gateway in a subprocess, for tests, benchmarks and the demo.

    with running_simulator(pairs=5) as sim, running_gateway(sim.url) as gateway:
        httpx.get(gateway.url + "/api/v3/klines", params={...})
        gateway.stats()["hits"]

Why a subprocess: the gateway must run exactly as ``freqfleet gateway`` runs for users
(own event loop, own port); it binds a free port itself and reports it in a ready file.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from freqfleet.errors import RuntimeFleetError

START_TIMEOUT = 60.0


@dataclass
class RunningGateway:
    """A gateway process: its URL, log file and process."""

    url: str
    log_path: Path
    process: subprocess.Popen

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/gateway/stats", timeout=10).json()

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def gateway_command(upstream: str, **options: Any) -> list[str]:
    """``freqfleet gateway`` arguments for keyword options (``share=0.5`` -> ``--share 0.5``)."""
    command = [sys.executable, "-m", "freqfleet", "gateway", "--upstream", upstream]
    options.setdefault("port", 0)
    options.setdefault("host", "127.0.0.1")
    for name, value in options.items():
        if value is not None:
            command += ["--" + name.replace("_", "-"), str(value)]
    return command


@contextlib.contextmanager
def running_gateway(upstream: str, **options: Any) -> Iterator[RunningGateway]:
    """Start ``freqfleet gateway`` in front of ``upstream``; stop it on exit."""
    with tempfile.TemporaryDirectory(prefix="freqfleet-gateway-") as tmp:
        ready = Path(tmp) / "ready.json"
        log_path = Path(tmp) / "gateway.log"
        command = [*gateway_command(upstream, **options), "--ready-file", str(ready)]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        try:
            url = _wait_ready(process, ready, log_path)
            yield RunningGateway(url, log_path, process)
        finally:
            _stop(process)


def _wait_ready(process: subprocess.Popen, ready: Path, log_path: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeFleetError(
                f"gateway exited with code {process.returncode} at start: {_tail(log_path)}"
            )
        if ready.exists():
            url = json.loads(ready.read_text(encoding="utf-8"))["url"]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/gateway/stats", timeout=5).status_code == 200:
                    return url
        time.sleep(0.05)
    _stop(process)
    raise RuntimeFleetError(
        f"gateway did not answer within {START_TIMEOUT:.0f} s: {_tail(log_path)}"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"


__all__ = ["RunningGateway", "gateway_command", "running_gateway"]
