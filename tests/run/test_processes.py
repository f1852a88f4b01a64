"""The fleet's processes: private console logs, stop order, recorded identities."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import psutil

from freqfleet.run.processes import alive, process_identity, stop_order, stop_process_group
from freqfleet.run.supervisor import Supervisor
from tests.run.fake_fleet import spec


def test_console_logs_are_private(tmp_path: Path) -> None:
    old = tmp_path / "run" / "old.console.log"
    old.parent.mkdir()
    old.write_text("from an earlier run\n")
    old.chmod(0o644)
    supervisor = Supervisor(
        tmp_path, [spec(tmp_path, "new", "print('hi')"), spec(tmp_path, "old", "print('hi')")]
    )
    supervisor.start()
    supervisor.stop()
    for name in ("new", "old"):
        mode = stat.S_IMODE((tmp_path / "run" / f"{name}.console.log").stat().st_mode)
        assert mode == 0o600, name
    assert "from an earlier run" in old.read_text()


def test_the_consumer_stops_alone_first_then_the_producers_then_the_rest() -> None:
    roles = {"feed": "pairlist-feed", "p1": "producer", "c": "consumer", "p2": "producer"}
    assert stop_order(roles) == [["c"], ["p1", "p2"], ["feed"]]
    assert stop_order({"p1": "producer"}) == [["p1"]]


def test_a_recorded_process_is_recognised_only_while_it_is_the_same(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
    )
    identity = process_identity(child.pid)
    assert identity is not None
    assert alive(identity) is not None
    assert alive({**identity, "create_time": identity["create_time"] - 100}) is None
    assert alive({"pid": "x"}) is None
    stop_process_group(psutil.Process(child.pid), timeouts=(5.0, 5.0))
    child.wait(5)
    assert alive(identity) is None
    assert process_identity(child.pid) is None
    assert os.getpid() == process_identity(os.getpid())["pid"]
