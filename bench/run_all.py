"""Run every benchmark in bench/ with its default options, one after the other.

Why sequential: each benchmark measures against a baseline in the same run, and two of
them start real processes; running them side by side on a small machine would measure the
neighbour. ``--quick`` passes the benchmarks' own quick options where they have one;
``--full`` also runs the long variants in :data:`FULL` (each a run of its own, after the
benchmark's default run).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

# Script -> options for a quick look (minutes, not tens of minutes).
QUICK = {
    "consumer_loop.py": ["--quick"],
    "exchange_weight.py": ["--quick"],
    "fleet_scaling.py": ["--cases", "heavy-single,heavy-k2,light-k2", "--candles", "5"],
    "follow_delay.py": ["--seconds", "120"],
    "gateway.py": ["--requests", "100", "--seconds", "2"],
    "redundancy_faults.py": ["--minutes", "4", "--kill-every", "60"],
    "sim_throughput.py": ["--seconds", "3"],
}


# Script -> extra runs with ``--full`` (tens of minutes each).
FULL = {
    "exchange_weight.py": [["--budget-run", "--minutes", "15"]],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each benchmark's short variant")
    parser.add_argument(
        "--full", action="store_true", help="also the long variants (e.g. the budget run)"
    )
    parser.add_argument("--only", nargs="+", metavar="NAME", help="e.g. sim_throughput")
    args = parser.parse_args()
    if args.quick and args.full:
        parser.error("--quick and --full: choose one")
    scripts = sorted(path for path in BENCH_DIR.glob("*.py") if path.name != Path(__file__).name)
    if args.only:
        scripts = [path for path in scripts if path.stem in args.only]
    failed = []
    runs = []
    for script in scripts:
        runs.append((script, QUICK.get(script.name, []) if args.quick else []))
        if args.full:
            runs += [(script, options) for options in FULL.get(script.name, [])]
    for script, options in runs:
        name = " ".join([script.name, *options])
        print(f"\n=== {name}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script), *options])
        print(f"=== {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
