"""Deliberate errors end a command with one red line and their exit code, no traceback."""

from __future__ import annotations

import argparse

import pytest
from freqtrade.exceptions import OperationalException

from freqfleet.errors import (
    ConfigError,
    FleetError,
    RuntimeFleetError,
    StrategySetupError,
    run_handler,
)


def raising(error: BaseException):
    def handler(args: argparse.Namespace) -> int:
        raise error

    return handler


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("fleet.producers: must be >= 1; use 1 to 64"), 2),
        (StrategySetupError("MyFleet: FleetStrategy must come first"), 2),
        (RuntimeFleetError("producer-1 exited at start"), 1),
        (FleetError("something failed"), 1),
    ],
)
def test_a_fleet_error_is_one_line_on_stderr_and_its_exit_code(
    error: FleetError, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_handler(raising(error), argparse.Namespace()) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"freqfleet: {error}\n"
    assert "Traceback" not in captured.err


def test_fleet_errors_are_freqtrade_operational_errors() -> None:
    # freqtrade stops a bot with the message (no traceback) on OperationalException.
    assert issubclass(StrategySetupError, OperationalException)


def test_a_handler_returns_its_code_none_is_success() -> None:
    assert run_handler(lambda args: 3, argparse.Namespace()) == 3
    assert run_handler(lambda args: None, argparse.Namespace()) == 0


def test_ctrl_c_is_exit_130_and_other_errors_propagate() -> None:
    assert run_handler(raising(KeyboardInterrupt()), argparse.Namespace()) == 130
    with pytest.raises(ValueError):
        run_handler(raising(ValueError("a bug")), argparse.Namespace())
