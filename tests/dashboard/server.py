"""``freqfleet dashboard DIR`` as a real process on a free port, for a test's life."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from freqfleet.ports import free_ports


@contextlib.contextmanager
def running_dashboard(
    plan_dir: Path,
    interval: float = 0.5,
    args: Callable[[int], list[str]] | None = None,
    log: Path | None = None,
) -> Iterator[tuple[str, Path]]:
    """Its url (``http://127.0.0.1:PORT/``) and its console log; ``args``: the arguments
    after ``freqfleet`` for a port (default: ``dashboard DIR --port PORT``)."""
    port = free_ports(1)[0]
    log = plan_dir / "dashboard-test.log" if log is None else log
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    arguments = ["dashboard", str(plan_dir), "--port", str(port)] if args is None else args(port)
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "freqfleet", *arguments, "--interval", str(interval)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}healthz", timeout=1).json().get("ok"):
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
