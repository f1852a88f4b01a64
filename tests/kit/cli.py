"""The ``freqfleet`` command as a user runs it: a subprocess, and its logs' ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_freqfleet(
    *args: str, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``python -m freqfleet ARGS`` with this environment (minus pytest's marker, which
    would stop freqtrade writing its log file) plus ``env``."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "freqfleet", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


def log_tail(path: Path, lines: int = 40) -> str:
    """The end of a log, for a failure message ("" when there is none)."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
