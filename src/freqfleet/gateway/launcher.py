"""A gateway in a subprocess, for tests, benchmarks and the demo.

    with running_simulator(pairs=5) as sim, running_gateway(sim.url) as gateway:
        httpx.get(gateway.url + "/api/v3/klines", params={...})
        gateway.stats()["hits"]

Why a subprocess: the gateway must run exactly as ``freqfleet gateway`` runs for users
(own event loop, own port); it binds a free port itself and reports it in a ready file.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from freqfleet.gateway.settings import STATS_PATH
from freqfleet.local_server import start_logged, stop, wait_ready


@dataclass
class RunningGateway:
    """A gateway process: its URL, log file and process."""

    url: str
    log_path: Path
    process: subprocess.Popen

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}{STATS_PATH}", timeout=10).json()

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
        process = start_logged(command, log_path)
        try:
            info = wait_ready(process, ready, log_path, "gateway", STATS_PATH)
            yield RunningGateway(info["url"], log_path, process)
        finally:
            stop(process)


__all__ = ["RunningGateway", "gateway_command", "running_gateway"]
