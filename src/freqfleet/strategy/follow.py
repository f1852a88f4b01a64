"""Following the producers' trades (force entries/exits, adjustments, callback exits).

Interface the fleet strategy calls on the consumer. ``create_follower`` returns ``None``
when following is off; the strategy then behaves as a plain signal consumer.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pandas import DataFrame


class TradeFollower(Protocol):
    """What the fleet strategy asks of a follower (all calls are cheap and non-blocking)."""

    def start(self) -> None:
        """Start background subscriptions (called once from ``bot_start``)."""

    def stop(self) -> None:
        """Stop background work (idempotent)."""

    def on_loop(self, current_time: datetime) -> None:
        """Called from ``bot_loop_start`` on every consumer loop."""

    def exit_reason(self, trade: Any, current_time: datetime) -> str | None:
        """An exit reason when a followed producer exit applies to ``trade``, else None."""

    def apply_entries(self, pair: str, dataframe: DataFrame) -> DataFrame:
        """Return ``dataframe`` with followed force entries set on its newest row."""

    def stake_adjustment(self, trade: Any, current_time: datetime) -> float | None:
        """Stake to add (positive) or remove (negative) to follow a producer, or None."""

    def stats(self) -> dict[str, Any]:
        """Counters for `freqfleet status` (followed, ignored by reason, connections)."""


def create_follower(strategy: Any) -> TradeFollower | None:
    """Build the follower for a consumer strategy, or None when nothing is followed."""
    return None


__all__ = ["TradeFollower", "create_follower"]
