"""The plan's lock: one holder at a time, its pid readable, free again once released."""

from __future__ import annotations

import os
from pathlib import Path

from freqfleet.run.fleet_lock import FleetLock, already_running, lock_holder


def test_one_holder_at_a_time(tmp_path: Path) -> None:
    assert lock_holder(tmp_path) is None  # no run folder yet
    lock = FleetLock(tmp_path)
    assert lock.acquire() and lock.held
    assert lock_holder(tmp_path) == os.getpid()
    other = FleetLock(tmp_path)
    assert not other.acquire(attempts=2) and not other.held
    lock.release()
    assert not lock.held and lock_holder(tmp_path) is None
    assert other.acquire()
    other.release()
    assert (tmp_path / "run" / "supervisor.lock").exists()  # never removed


def test_the_refusal_names_the_holder_and_the_fix(tmp_path: Path) -> None:
    assert str(already_running(tmp_path, 42)) == (
        f"{tmp_path}: the fleet already runs (supervisor pid 42); "
        f"stop it with `freqfleet down {tmp_path}` first"
    )
    assert "(supervisor pid unknown)" in str(already_running(tmp_path, None))
