"""A strategy that never signals: the live-bot scenarios trade by force entries and exits
only, so what they check (orders, fills, the account) is what the test asked for."""

from __future__ import annotations

from pathlib import Path


def write_force_only(user_data: Path, name: str, stoploss: float, can_short: bool = False) -> None:
    """``user_data/strategies/<name>.py`` (the folder made): class ``name`` on 1m, no ROI
    exit within a test, its stop at ``stoploss``."""
    shorting = "\n    can_short = True" if can_short else ""
    source = f'''
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
    strategies = user_data / "strategies"
    strategies.mkdir(parents=True, exist_ok=True)
    (strategies / f"{name.lower()}.py").write_text(source)
