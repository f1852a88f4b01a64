"""Requests the supervisor takes while it runs: add a bot of the changed plan, remove one
for good (real child processes)."""

from __future__ import annotations

from pathlib import Path

import psutil

from freqfleet.files import dump_json, write_atomic
from freqfleet.run.control import read_state
from freqfleet.run.supervisor import Supervisor
from tests.run.fake_fleet import FAST, run_for, spec, write_fake_plan

SLEEP = "import time; time.sleep(120)"


def ask(plan_dir: Path, request_id: str, action: str, bots: list[str]) -> None:
    path = plan_dir / "run" / "requests" / f"{request_id}.json"
    write_atomic(path, dump_json({"id": request_id, "action": action, "bots": bots}))


def test_an_added_bot_comes_from_the_plan_and_a_removed_one_is_gone_for_good(
    tmp_path: Path,
) -> None:
    write_fake_plan(tmp_path, producers=1)  # the manifest the added bot is taken from
    planned: list[str] = []

    def specs_for(folder: Path, manifest: object) -> list:
        planned.append(str(folder))
        return [spec(tmp_path, "new", SLEEP), spec(tmp_path, "other", SLEEP)]

    supervisor = Supervisor(
        tmp_path, [spec(tmp_path, "old", SLEEP)], backoff=FAST, specs_for=specs_for
    )
    supervisor.start()
    try:
        run_for(supervisor, 0.6)
        old = psutil.Process(supervisor.children["old"].process.pid)
        ask(tmp_path, "1", "add", ["new", "old", "unknown"])
        ask(tmp_path, "2", "remove", ["old"])
        run_for(supervisor, 1.5)
        assert planned == [str(tmp_path.resolve())]
        assert set(supervisor.children) == {"new"}  # only the asked bot the plan has
        assert supervisor.children["new"].running
        assert not old.is_running() or old.status() == psutil.STATUS_ZOMBIE
        state = read_state(tmp_path) or {}
        assert set(state["bots"]) == {"new"}
        assert state["handled"][-2:] == ["1", "2"]
        run_for(supervisor, FAST.first * 3)
        assert "old" not in supervisor.children  # never restarted
    finally:
        supervisor.stop()
