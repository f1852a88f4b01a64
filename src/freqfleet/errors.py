"""Errors freqfleet raises on purpose.

Every error here carries a one-line message that names the field (or thing) at fault and
how to fix it; the CLI prints it in red and exits with the error's ``exit_code``.

    FleetError                      base: one line, exit code 1
    ├── ConfigError                 a config, fleet section or option is wrong (exit 2)
    ├── StrategySetupError          the fleet strategy is set up wrongly (exit 2)
    └── RuntimeFleetError           a bot, the simulator or a run failed (exit 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from freqtrade.exceptions import OperationalException


class FleetError(OperationalException):
    """Base of freqfleet's deliberate errors: a message for a person, one line."""

    exit_code: int = 1


class ConfigError(FleetError):
    """A config file, the fleet section or a command-line option is wrong."""

    exit_code = 2


class StrategySetupError(FleetError):
    """The fleet strategy or its config cannot work as set up (raised at bot start-up)."""

    exit_code = 2


class RuntimeFleetError(FleetError):
    """Something failed while running: a bot, the simulator, a backtest."""

    exit_code = 1


def run_handler(handler: Callable[[Any], int | None], args: Any) -> int:
    """Run a command handler: deliberate errors become one red line and their exit code."""
    try:
        return int(handler(args) or 0)
    except FleetError as error:
        from rich.console import Console

        Console(stderr=True).print(
            f"[red]freqfleet: {error}[/red]", highlight=False, soft_wrap=True
        )
        return error.exit_code
    except KeyboardInterrupt:
        return 130


__all__ = ["ConfigError", "FleetError", "RuntimeFleetError", "StrategySetupError", "run_handler"]
