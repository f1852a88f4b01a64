"""``python -m freqfleet.sim [options]``: ``freqfleet sim`` without the other commands.

Why: tests, benchmarks and the demo start simulators as subprocesses; this entry point
loads only the simulator, so it starts faster and depends on nothing else in freqfleet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from freqfleet.errors import run_handler
from freqfleet.sim import commands


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m freqfleet.sim")
    commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sim", *(sys.argv[1:] if argv is None else argv)])
    return run_handler(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
