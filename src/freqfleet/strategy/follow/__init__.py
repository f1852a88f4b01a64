"""Following the producers' trades: the consumer answers freqtrade's own callbacks with
what its producers did (force entries and exits, position adjustments, callback exits).

    events.py     a producer's trade message, checked, as one FollowEvent
    client.py     the websocket subscription and REST catch-up of every producer
    ledger.py     which events the consumer follows, and why the others are ignored
    follower.py   the follower the fleet strategy calls (create_follower)
"""

from freqfleet.strategy.follow.follower import (
    FOLLOWED_EXIT_KEY,
    FleetTradeFollower,
    TradeFollower,
    create_follower,
)

__all__ = ["FOLLOWED_EXIT_KEY", "FleetTradeFollower", "TradeFollower", "create_follower"]
