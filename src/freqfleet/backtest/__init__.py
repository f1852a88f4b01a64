"""freqfleet.backtest: a fleet against the same bots run split, on freqtrade's backtesting.

The names below load on first use: the engine brings freqtrade's backtesting, which the
command line should not import just to show ``--help``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from freqfleet.backtest.commands import offline_markets
    from freqfleet.backtest.engine import BacktestRequest, FleetBacktester, FleetComparison
    from freqfleet.backtest.metrics import RunFigures
    from freqfleet.backtest.report import comparison_table, write_html

_HOMES = {
    "BacktestRequest": "engine",
    "FleetBacktester": "engine",
    "FleetComparison": "engine",
    "RunFigures": "metrics",
    "comparison_table": "report",
    "offline_markets": "commands",
    "write_html": "report",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)


__all__ = [
    "BacktestRequest",
    "FleetBacktester",
    "FleetComparison",
    "RunFigures",
    "comparison_table",
    "offline_markets",
    "write_html",
]
