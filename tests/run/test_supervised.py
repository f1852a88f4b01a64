"""A supervised process's restart policy and the one word ``supervisor.json`` records."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from freqfleet.run.supervised import Backoff, Supervised
from tests.run.fake_fleet import spec


def test_backoff_doubles_up_to_the_cap() -> None:
    backoff = Backoff(first=2, cap=60)
    assert [backoff.delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_state_words(tmp_path: Path) -> None:
    child = Supervised(spec(tmp_path, "bot", "pass"))
    assert child.state == "waiting" and child.summary()["process"] is None
    child.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.state == "starting"
        child.ready = True
        assert child.state == "ready"
        assert child.summary()["process"]["pid"] == child.process.pid
        child.restart_at = 1.0
        assert child.state == "crashed"
    finally:
        child.process.kill()
        child.process.wait()
    child.restart_at = None
    assert child.state == "stopped"
    child.gave_up = True
    assert child.state == "gave_up"
    child.held = True
    assert child.state == "held"
