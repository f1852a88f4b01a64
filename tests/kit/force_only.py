"""A strategy that never signals: the live-bot scenarios trade by force entries and exits
only, so what they check (orders, fills, the account) is what the test asked for."""

from __future__ import annotations

from pathlib import Path


def force_only_source(name: str, can_short: bool = False, stoploss: float = -0.5) -> str:
    """The strategy file's text: class ``name`` on 1m, no ROI exit within the test."""
    shorting = "\n    can_short = True" if can_short else ""
    return f'''
from freqtrade.strategy import IStrategy


class {name}(IStrategy):
    """Enters and exits only when told to (force entry and exit)."""

    timeframe = "1m"{shorting}
    minimal_roi = {{"0": 10}}
    stoploss = {stoploss}

    def populate_indicators(self, dataframe, metadata):
        return dataframe

    def populate_entry_trend(self, dataframe, metadata):
        return dataframe

    def populate_exit_trend(self, dataframe, metadata):
        return dataframe
'''


def write_force_only(user_data: Path, name: str, can_short: bool = False) -> None:
    """``user_data/strategies/<name>.py`` (the folder made); shorting strategies keep
    their stop far off (-0.9), long-only ones at -0.5."""
    strategies = user_data / "strategies"
    strategies.mkdir(parents=True, exist_ok=True)
    stoploss = -0.9 if can_short else -0.5
    (strategies / f"{name.lower()}.py").write_text(force_only_source(name, can_short, stoploss))
