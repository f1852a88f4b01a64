"""The ``freqfleet`` command: argparse subcommands, freqtrade style.

Each command family lives in its own module and registers its subcommands through
``register(subparsers)``; a subcommand stores its handler as ``func`` on the parsed
arguments. Handlers return an exit code. Deliberate errors (:class:`FleetError`) end in one
red line and their exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from freqfleet import __version__
from freqfleet.errors import run_handler

# Modules that add subcommands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "freqfleet.fleet.commands",
    "freqfleet.run.commands",
    "freqfleet.sim.commands",
    "freqfleet.gateway.commands",
    "freqfleet.dashboard.commands",
    "freqfleet.backtest.commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="freqfleet",
        description="Run one freqtrade strategy as a fleet: producers analyse, "
        "one consumer trades every pair with one wallet.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"freqfleet {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return run_handler(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
