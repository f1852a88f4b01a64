"""The ``freqfleet`` command: every command family's subcommands, help without one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from freqfleet import __version__
from freqfleet.cli import build_parser, main

SUBCOMMANDS = [
    "plan",
    "new-config",
    "pairlist-feed",
    "up",
    "down",
    "restart",
    "status",
    "demo",
    "sim",
    "gateway",
    "backtest",
]


def test_every_family_registers_its_subcommands() -> None:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    assert set(SUBCOMMANDS) <= set(action.choices)


def test_without_a_subcommand_help_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: freqfleet" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"freqfleet {__version__}"


def test_an_unknown_subcommand_is_argparse_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fly"])
    assert exited.value.code == 2
    assert "invalid choice: 'fly'" in capsys.readouterr().err


def test_a_handlers_config_error_is_one_line_exit_2(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("freqfleet: ") and len(err.strip().splitlines()) == 1


def test_the_command_line_starts_without_ccxt_or_freqtrades_exchange() -> None:
    """Every command parses its arguments before it loads the exchange layer (ccxt, pandas
    through it: seconds of CPU on a small machine): ``down``, ``plan`` or ``--help`` answer
    at once, and a command that needs it imports it where it is used."""
    probe = (
        "import sys; from freqfleet.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('ccxt', 'freqtrade.exchange') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr
