"""The supervisor with real freqtrade bots: one supervisor per plan however `up` is called,
the consumer started after its producers serve pairs, `restart` and `down --only` on a
running fleet, `down` stopping the consumer first, and a bot crashing at start reported
at once by `up` in both modes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.run.control import read_state
from freqfleet.run.demo import DemoOptions, demo_config
from freqfleet.sim.config import exchange_config
from freqfleet.sim.launcher import running_simulator


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    env["COLUMNS"] = "400"  # one line per message, however long the paths
    return env


def freqfleet(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "freqfleet", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(),
    )


def start_freqfleet(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "freqfleet", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )


def fleet_pids(plan_dir: Path, program: str | None = None) -> set[int]:
    """Processes of this plan (run in its folder or naming it), or of one ``-m`` program."""
    found = set()
    for process in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = process.info["cmdline"] or []
        in_plan = process.info["cwd"] == str(plan_dir)
        with_plan = in_plan or any(str(plan_dir) in part for part in cmdline)
        if with_plan and process.pid != os.getpid() and (program is None or program in cmdline):
            found.add(process.pid)
    return found


def freqtrade_pids(plan_dir: Path) -> set[int]:
    return fleet_pids(plan_dir, "freqtrade")


def wait_for(check, timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0]


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_real_fleet_one_supervisor_ordered_start_restart_hold_and_down(tmp_path: Path) -> None:
    plan_dir = tmp_path / "fleet"
    options = DemoOptions(producers=2, pairs=6, max_open_trades=2)
    with running_simulator(pairs=options.pairs, seed=3) as sim:
        config = demo_config(sim.exchange_config(sim.pairs), options)
        manifest = write_plan(config, validate_fleet_config(config), plan_dir)
        names = [bot.name for bot in manifest.producers]
        # Two `up --detach` at once: one fleet, the other refused.
        racing = [start_freqfleet("up", str(plan_dir), "--detach") for _ in range(2)]
        try:
            results = {}
            for process in racing:
                out, err = process.communicate(timeout=300)
                results[process.returncode] = subprocess.CompletedProcess([], 0, out, err)
            assert sorted(results) == [0, 2], results
            assert "already runs (supervisor pid" in one_line(results[2])
            assert f"`freqfleet down {plan_dir}`" in one_line(results[2])
            assert len(freqtrade_pids(plan_dir)) == 3

            # The consumer started after both producers answered and served pairs.
            bots = read_state(plan_dir)["bots"]
            assert all(bots[name]["pairs"] for name in names)
            assert bots["consumer"]["started_at"] > max(bots[n]["ready_at"] for n in names)

            # A second `up`, in the foreground or detached, touches nothing.
            state_file = plan_dir / "run" / "supervisor.json"
            before, pids = state_file.read_bytes(), fleet_pids(plan_dir)
            for mode in ([], ["--detach"]):
                refused = freqfleet("up", str(plan_dir), *mode)
                assert refused.returncode == 2
                assert "the fleet already runs" in one_line(refused)
                assert state_file.read_bytes() == before
                assert fleet_pids(plan_dir) == pids

            logs = sorted((plan_dir / "run").glob("*.log"))
            # Three bots' consoles, the dashboard's and the supervisor's.
            assert [log.name for log in logs] == sorted(
                [
                    *(f"{bot}.console.log" for bot in [*names, "consumer", "dashboard"]),
                    "supervisor.log",
                ]
            )
            assert all(stat.S_IMODE(log.stat().st_mode) == 0o600 for log in logs)

            old = bots[names[0]]["process"]["pid"]
            restarted = freqfleet("restart", str(plan_dir), names[0])
            assert restarted.returncode == 0, restarted.stdout + restarted.stderr
            now = read_state(plan_dir)["bots"][names[0]]
            assert now["process"]["pid"] != old and now["state"] == "ready"

            held = freqfleet("down", str(plan_dir), "--only", names[1])
            assert held.returncode == 0, held.stdout + held.stderr
            time.sleep(5)  # past the first restart delay (2 s)
            assert read_state(plan_dir)["bots"][names[1]]["process"] is None
            assert len(freqtrade_pids(plan_dir)) == 2
            back = freqfleet("restart", str(plan_dir), names[1])
            assert back.returncode == 0, back.stdout + back.stderr
            assert len(freqtrade_pids(plan_dir)) == 3
        finally:
            down = freqfleet("down", str(plan_dir))
        assert down.returncode == 0, down.stdout + down.stderr
        log = (plan_dir / "run" / "supervisor.log").read_text()
        consumer_stopped = log.rindex("consumer: stopped")
        assert all(log.rindex(f"{name}: stopped") > consumer_stopped for name in names)
        wait_for(lambda: not fleet_pids(plan_dir), 30, "no fleet process left")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_up_reports_a_bot_crashing_at_start_at_once_in_both_modes(tmp_path: Path) -> None:
    plan_dirs = {}
    for mode in ("foreground", "detach"):
        options = DemoOptions(producers=1, pairs=2)
        config = demo_config(exchange_config("http://127.0.0.1:9", ["BTC/USDT"]), options)
        plan_dir = tmp_path / mode
        manifest = write_plan(config, validate_fleet_config(config), plan_dir)
        broken = manifest.producers[0]
        (plan_dir / broken.config_files[0]).write_text("{")  # freqtrade stops at once
        # A line from an earlier run must not pass for this run's success.
        (plan_dir / "run").mkdir()
        (plan_dir / "run" / "supervisor.log").write_text("fleet up: 3 processes.\n")
        plan_dirs[mode] = plan_dir
    began = time.monotonic()
    running = {
        "foreground": start_freqfleet("up", str(plan_dirs["foreground"])),
        "detach": start_freqfleet("up", str(plan_dirs["detach"]), "--detach"),
    }
    try:
        for mode, process in running.items():
            out, err = process.communicate(timeout=170)
            elapsed = time.monotonic() - began
            line = err.strip().splitlines()[-1] if err.strip() else ""
            assert process.returncode == 1, (mode, out, err)
            assert "producer-1 exited 5 times in a row" in line, (mode, out, err)
            assert f"{plan_dirs[mode]}/run/producer-1.console.log" in line
            assert elapsed < 90, (mode, elapsed)  # not the 180 s ready timeout
            print(f"{mode}: reported after {elapsed:.0f} s")
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
        for plan_dir in plan_dirs.values():
            freqfleet("down", str(plan_dir))
    for plan_dir in plan_dirs.values():
        wait_for(lambda plan_dir=plan_dir: not fleet_pids(plan_dir), 60, "no fleet process left")
