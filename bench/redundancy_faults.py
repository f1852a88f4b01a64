"""What ``fleet.redundancy`` buys when producers crash: blind candles, lost entries, CPU.

    .venv/bin/python bench/redundancy_faults.py                   # 20 minutes, kill every 2
    .venv/bin/python bench/redundancy_faults.py --minutes 8 --kill-every 120 --keep DIR

Three fleets of real ``freqtrade trade`` processes under ``freqfleet up`` run side by side
on ONE exchange simulator (so on the same market at the same moments), 1m candles, 3
producers, ``--pairs`` pairs, ``max_open_trades`` = pairs (an entry on one pair never
takes another pair's slot, so entries compare pair by pair):

- ``nofault-r1``: redundancy 1, nothing killed: the reference entries;
- ``faults-r1``: redundancy 1, a producer killed with SIGKILL every ``--kill-every``
  seconds (in turn; the supervisor restarts it);
- ``faults-r2``: redundancy 2, the same producer killed at the same moment.

Kills land ``--kill-at`` seconds into a candle (default 57: just before a close, where a
restart costs the most). Measured over the window in which all three run:

- blind pair-candles: a pair whose analysis of a candle reached the consumer more than a
  quarter of a candle after that candle closed, or never; and how late analyses came
  (median, max, pair-candles over 5 s) (the consumer's
  ``fleet-state.json``, read every second: per pair the newest analysed candle and when
  the producer analysed it; the earliest analysis seen of each candle counts);
- entries as (pair, signal candle) from the consumer's database, against the reference:
  missed and extra;
- CPU seconds per candle of each fleet's bots (psutil, every process ever started,
  restarted ones included).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.fleet_state import STATE_FILE, read_state_file
from freqfleet.run import DemoOptions, demo_config
from freqfleet.run.control import read_state
from freqfleet.sim.launcher import running_simulator

MINUTE = 60.0
QUARTER = MINUTE / 4
CASES = {"nofault-r1": (1, False), "faults-r1": (1, True), "faults-r2": (2, True)}


def freqfleet(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "freqfleet", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "400"},
        check=False,
    )


@dataclass
class Fleet:
    """One case: its plan folder and what was seen of it."""

    name: str
    plan_dir: Path
    redundancy: int
    faults: bool
    analysed: dict[tuple[str, float], float] = field(default_factory=dict)
    """(pair, candle open) -> earliest producer analysis seen (epoch seconds)."""
    fewest_fresh: dict[float, int] = field(default_factory=dict)
    """candle open -> fewest fresh producers of any pair seen during that candle."""
    cpu: dict[int, float] = field(default_factory=dict)
    """pid -> CPU seconds last seen (a process's own and its children's)."""
    cpu_start: float = 0.0
    kills: list[tuple[float, str]] = field(default_factory=list)
    disagreements: int = 0

    def bots(self) -> dict[str, Any]:
        state = read_state(self.plan_dir) or {}
        bots = state.get("bots") or {}
        return bots if isinstance(bots, dict) else {}

    def sample_cpu(self) -> None:
        for bot in self.bots().values():
            pid = ((bot or {}).get("process") or {}).get("pid")
            if not pid:
                continue
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            used = times.user + times.system + times.children_user + times.children_system
            self.cpu[pid] = max(self.cpu.get(pid, 0.0), used)

    def cpu_total(self) -> float:
        return sum(self.cpu.values())

    def sample_state(self) -> None:
        read = read_state_file(self.plan_dir / "user_data" / STATE_FILE)
        if read.state is None:
            return
        for pair, state in read.state.pairs.items():
            if state.newest_candle is None or state.analyzed is None:
                continue
            key = (pair, state.newest_candle.timestamp())
            when = state.analyzed.timestamp()
            self.analysed[key] = min(self.analysed.get(key, when), when)
            if state.fresh_producers is not None:
                candle = (time.time() // MINUTE) * MINUTE
                fewest = self.fewest_fresh.get(candle, state.fresh_producers)
                self.fewest_fresh[candle] = min(fewest, state.fresh_producers)
        self.disagreements = sum(
            sum(producer.disagreements.values()) for producer in read.state.producers.values()
        )

    def kill(self, index: int) -> None:
        names = sorted(n for n in self.bots() if n != "consumer")
        name = names[index % len(names)]
        pid = ((self.bots()[name] or {}).get("process") or {}).get("pid")
        if pid:
            self.sample_cpu()
            os.kill(pid, signal.SIGKILL)
            self.kills.append((time.time(), name))

    def entries(self) -> set[tuple[str, float]]:
        """(pair, signal candle open) of every entry in the consumer's database."""
        database = self.plan_dir / "user_data" / "consumer.dryrun.sqlite"
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            rows = connection.execute("SELECT pair, open_date FROM trades").fetchall()
        found = set()
        for pair, opened in rows:
            moment = datetime.fromisoformat(str(opened)).replace(tzinfo=UTC).timestamp()
            found.add((pair, (moment // MINUTE) * MINUTE - MINUTE))
        return found


def blind(fleet: Fleet, pairs: list[str], candles: list[float]) -> list[tuple[str, float]]:
    """(pair, candle open) analysed later than a quarter candle after the close, or never."""
    late = []
    for candle in candles:
        closed = candle + MINUTE
        for pair in pairs:
            when = fleet.analysed.get((pair, candle))
            if when is None or when - closed > QUARTER:
                late.append((pair, candle))
    return late


def lateness(fleet: Fleet, pairs: list[str], candles: list[float]) -> list[float]:
    """Seconds from each pair-candle's close to its analysis (those analysed at all)."""
    found = []
    for candle in candles:
        for pair in pairs:
            when = fleet.analysed.get((pair, candle))
            if when is not None:
                found.append(when - candle - MINUTE)
    return sorted(found)


def start(fleet: Fleet, sim: Any, pairs: int) -> None:
    options = DemoOptions(producers=3, pairs=pairs, max_open_trades=pairs)
    config = demo_config(sim.exchange_config(sim.pairs), options)
    config["fleet"]["redundancy"] = fleet.redundancy
    write_plan(config, validate_fleet_config(config), fleet.plan_dir)
    started = freqfleet("up", str(fleet.plan_dir), "--detach", "--no-dashboard")
    if started.returncode != 0:
        raise SystemExit(f"{fleet.name}: up failed: {started.stdout}{started.stderr}")


def run(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    with running_simulator(pairs=args.pairs, seed=args.seed) as sim:
        fleets = [
            Fleet(name, root / name, redundancy, faults)
            for name, (redundancy, faults) in CASES.items()
        ]
        try:
            for fleet in fleets:
                start(fleet, sim, args.pairs)
                print(f"{time.strftime('%H:%M:%S')} {fleet.name} up", flush=True)
            return measure(args, fleets, sim.pairs)
        finally:
            for fleet in fleets:
                freqfleet("down", str(fleet.plan_dir))


def measure(args: argparse.Namespace, fleets: list[Fleet], pairs: list[str]) -> dict[str, Any]:
    # The window starts at the second close from now (every consumer has its data).
    first = (time.time() // MINUTE + 2) * MINUTE
    end = first + args.minutes * MINUTE
    for fleet in fleets:
        fleet.sample_cpu()
    while time.time() < first:
        time.sleep(1)
    for fleet in fleets:
        fleet.sample_cpu()
        fleet.cpu_start = fleet.cpu_total()
    kill_index, next_kill = 0, first + args.kill_every - MINUTE + args.kill_at
    while time.time() < end + MINUTE:
        for fleet in fleets:
            fleet.sample_state()
            fleet.sample_cpu()
        if time.time() >= next_kill and next_kill < end - MINUTE:
            for fleet in fleets:
                if fleet.faults:
                    fleet.kill(kill_index)
            print(f"{time.strftime('%H:%M:%S')} kill #{kill_index + 1}", flush=True)
            kill_index, next_kill = kill_index + 1, next_kill + args.kill_every
        time.sleep(1)
    candles = [first - MINUTE + index * MINUTE for index in range(1, int(args.minutes))]
    return report(fleets, pairs, candles, end)


def report(
    fleets: list[Fleet], pairs: list[str], candles: list[float], end: float
) -> dict[str, Any]:
    reference = {e for e in fleets[0].entries() if candles[0] <= e[1] <= candles[-1]}
    result: dict[str, Any] = {"candles": len(candles), "pairs": len(pairs), "cases": {}}
    for fleet in fleets:
        entries = {e for e in fleet.entries() if candles[0] <= e[1] <= candles[-1]}
        late = blind(fleet, pairs, candles)
        delays = lateness(fleet, pairs, candles)
        result["cases"][fleet.name] = {
            "redundancy": fleet.redundancy,
            "kills": len(fleet.kills),
            "blind_pair_candles": len(late),
            "blind_candles": len({candle for _, candle in late}),
            "analysis_secs_median": round(delays[len(delays) // 2], 2) if delays else None,
            "analysis_secs_max": round(delays[-1], 2) if delays else None,
            "pair_candles_over_5s": sum(1 for delay in delays if delay > 5),
            "entries": len(entries),
            "missed_entries": len(reference - entries),
            "extra_entries": len(entries - reference),
            "cpu_secs_per_candle": round((fleet.cpu_total() - fleet.cpu_start) / len(candles), 2),
            "fewest_fresh_producers": min(fleet.fewest_fresh.values(), default=None),
            "disagreements": fleet.disagreements,
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--kill-every", type=float, default=120)
    parser.add_argument("--kill-at", type=float, default=57, help="seconds into a candle")
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="keep the fleets' folders here")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run(args, args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="freqfleet-redundancy-") as tmp:
            result = run(args, Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
