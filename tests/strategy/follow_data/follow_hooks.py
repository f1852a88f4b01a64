"""The follower's hooks wired into a strategy exactly as the fleet strategy calls them.

``bot_start`` creates and starts the follower, ``bot_loop_start`` calls ``on_loop``,
``custom_exit`` asks ``exit_reason`` first (and leaves exits to a connected producer),
the entry frame passes through ``apply_entries``, ``adjust_trade_position`` asks
``stake_adjustment`` first.
"""

from __future__ import annotations

from datetime import datetime

from freqtrade.persistence import Trade
from pandas import DataFrame

from freqfleet.strategy.follow import create_follower


class FollowerHooks:
    """Mixin (first in the bases) that lets a consumer strategy follow its producers."""

    fleet_follower = None

    def bot_start(self, **kwargs) -> None:
        self.fleet_follower = create_follower(self)
        if self.fleet_follower is not None:
            self.fleet_follower.start()
        super().bot_start(**kwargs)

    def bot_loop_start(self, current_time: datetime, **kwargs) -> None:
        if self.fleet_follower is not None:
            self.fleet_follower.on_loop(current_time)
        super().bot_loop_start(current_time=current_time, **kwargs)

    def custom_exit(
        self, pair: str, trade: Trade, current_time: datetime, current_rate: float,
        current_profit: float, **kwargs,
    ):  # fmt: skip
        follower = self.fleet_follower
        if follower is not None:
            reason = follower.exit_reason(trade, current_time)
            if reason is not None:
                return reason
            if follower.owns_exit(trade):
                return None
        return super().custom_exit(
            pair, trade, current_time, current_rate, current_profit, **kwargs
        )

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe = super().populate_entry_trend(dataframe, metadata)
        if self.fleet_follower is not None:
            dataframe = self.fleet_follower.apply_entries(metadata["pair"], dataframe)
        return dataframe

    def adjust_trade_position(self, trade: Trade, current_time: datetime, **kwargs):
        if self.fleet_follower is not None:
            stake = self.fleet_follower.stake_adjustment(trade, current_time)
            if stake is not None:
                return stake
        return super().adjust_trade_position(trade=trade, current_time=current_time, **kwargs)
