"""Subcommands of this command family (registered by ``freqfleet.cli``)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this family's subcommands to the ``freqfleet`` parser."""
