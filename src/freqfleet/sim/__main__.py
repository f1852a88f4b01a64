"""``python -m freqfleet.sim [options]``: ``freqfleet sim`` without the other commands.

Why: tests, benchmarks and the demo start simulators as subprocesses; this entry point
loads only the simulator, so it starts faster and depends on nothing else in freqfleet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console

from freqfleet.errors import FleetError
from freqfleet.sim import commands


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m freqfleet.sim")
    commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sim", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args) or 0)
    except FleetError as error:
        Console(stderr=True).print(
            f"[red]freqfleet: {error}[/red]", highlight=False, soft_wrap=True
        )
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
