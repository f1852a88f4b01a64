"""Which producer events the consumer acts on, and why the others were ignored.

The ledger is plain bookkeeping, independent of freqtrade's database: the follower hands it
events as they arrive and asks it, per consumer trade, whether a followed exit, entry or
adjustment is due. Ignored events are counted by reason so `freqfleet status` can show
them:

- ``duplicate``: the same fill seen again (reconnect, REST catch-up after the websocket).
- ``not_followed``: a kind of event the ``follow`` setting leaves out.
- ``older_than_trade``: it happened before the consumer's trade on the pair was opened.
- ``no_consumer_trade``: the consumer holds no trade on the pair.
- ``producer_not_serving``: the producer no longer has the pair in its whitelist.
- ``consumer_has_trade``: a force entry on a pair the consumer already trades.
- ``entry_expired``: a force entry not taken in time (no free slot, rejected by a
  callback, a lock or a protection).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from freqfleet.section import DEFAULT_FOLLOW
from freqfleet.strategy.follow.events import FollowEvent, OpenTrades

TAG_PREFIX = "fleet"

IGNORE_REASONS = (
    "duplicate",
    "not_followed",
    "older_than_trade",
    "no_consumer_trade",
    "producer_not_serving",
    "consumer_has_trade",
    "entry_expired",
)

Serves = Callable[[str, str], bool | None]
"""``serves(producer, pair)``: True/False, or None while the producer's list is unknown."""


def fleet_tag(producer: str, reason: str) -> str:
    """The exit reason / enter tag of a followed action: ``fleet:<producer>:<reason>``."""
    return f"{TAG_PREFIX}:{producer}:{reason or 'unknown'}"


@dataclass(frozen=True)
class ConsumerTrade:
    """What the ledger needs to know of a consumer trade."""

    pair: str
    open_date: datetime
    enter_tag: str | None = None


class FollowLedger:
    """Pending followed actions per pair, deduplicated, with ignore counters."""

    def __init__(
        self,
        follow: tuple[str, ...] | frozenset[str] = DEFAULT_FOLLOW,
        *,
        entry_ttl: timedelta = timedelta(seconds=10),
        memory: int = 20_000,
    ) -> None:
        self.follow = frozenset(follow)
        self.entry_ttl = entry_ttl
        self._memory = memory
        self._seen: OrderedDict[tuple, None] = OrderedDict()
        self._exits: dict[str, FollowEvent] = {}
        self._entries: dict[str, FollowEvent] = {}
        self._adjustments: dict[str, list[FollowEvent]] = {}
        self._exits_followed: set[tuple] = set()
        self._producer_open: dict[str, dict[str, int]] = {}
        """Producer -> pair -> id of the trade it holds open there (events + catch-up)."""
        self.ignored: Counter[str] = Counter()
        self.followed: Counter[str] = Counter()
        self.received = 0

    # -- intake -----------------------------------------------------------------------

    def wants(self, event: FollowEvent) -> bool:
        """Whether the ``follow`` setting covers this kind of event."""
        if event.kind == "exit":
            return "exits" in self.follow or ("force_exits" in self.follow and event.is_force_exit)
        if event.kind == "entry":
            return "force_entries" in self.follow and event.is_force_entry
        return "position_adjustments" in self.follow

    def add(self, event: FollowEvent | OpenTrades) -> str | None:
        """Take in an event; return the ignore reason when it is dropped at once."""
        if isinstance(event, OpenTrades):
            self._producer_open[event.producer] = dict(event.trades)
            return None
        self.received += 1
        self._track_open(event)
        if event.key in self._seen:
            return self._ignore("duplicate")
        self._seen[event.key] = None
        while len(self._seen) > self._memory:
            self._seen.popitem(last=False)
        if not self.wants(event):
            return self._ignore("not_followed")
        if event.kind == "exit":
            current = self._exits.get(event.pair)
            if current is None or event.time >= current.time:
                self._exits[event.pair] = event
            # An exit supersedes adjustments of the same position that were not applied.
            self._adjustments.pop(event.pair, None)
        elif event.kind == "entry":
            self._entries[event.pair] = event
        else:
            self._adjustments.setdefault(event.pair, []).append(event)
        return None

    def _track_open(self, event: FollowEvent) -> None:
        held = self._producer_open.setdefault(event.producer, {})
        if event.kind == "entry":
            held[event.pair] = event.trade_id
        elif event.kind == "exit" and held.get(event.pair) == event.trade_id:
            del held[event.pair]

    def producer_holds(self, producer: str, pair: str) -> bool:
        """Whether ``producer`` holds an open trade on ``pair`` (as far as events tell)."""
        return pair in self._producer_open.get(producer, {})

    def _ignore(self, reason: str, count: int = 1) -> str:
        self.ignored[reason] += count
        return reason

    # -- decisions (asked per consumer trade / pair) ------------------------------------

    def exit_for(self, trade: ConsumerTrade, serves: Serves) -> FollowEvent | None:
        """The producer exit to follow on ``trade``, if one applies."""
        event = self._exits.get(trade.pair)
        if event is None:
            return None
        if event.time < trade.open_date:
            del self._exits[trade.pair]
            if event.key not in self._exits_followed:
                self._ignore("older_than_trade")
            return None
        if serves(event.producer, trade.pair) is False:
            del self._exits[trade.pair]
            self._ignore("producer_not_serving")
            return None
        if event.key not in self._exits_followed:
            # Counted once; asked again until freqtrade's exit goes through.
            self._exits_followed.add(event.key)
            self.followed["exits"] += 1
        return event

    def holds_exit(self, pair: str) -> bool:
        """Whether a followed exit is pending on ``pair``."""
        return pair in self._exits

    def holds_adjustment(self, pair: str) -> bool:
        """Whether followed position adjustments are pending on ``pair``."""
        return bool(self._adjustments.get(pair))

    def entry_for(self, pair: str, now: datetime, serves: Serves) -> FollowEvent | None:
        """The force entry to follow on ``pair`` now, if one is pending and fresh."""
        event = self._entries.get(pair)
        if event is None:
            return None
        if now - event.received > self.entry_ttl:
            del self._entries[pair]
            self._ignore("entry_expired")
            return None
        if serves(event.producer, pair) is False:
            del self._entries[pair]
            self._ignore("producer_not_serving")
            return None
        return event

    def adjustment_for(self, trade: ConsumerTrade, serves: Serves) -> float | None:
        """Combined stake ratio of the producer's adjustments since ``trade`` opened."""
        events = self._adjustments.pop(trade.pair, None)
        if not events:
            return None
        factor = 1.0
        applied = 0
        for event in events:
            if event.time < trade.open_date:
                self._ignore("older_than_trade")
            elif serves(event.producer, trade.pair) is False:
                self._ignore("producer_not_serving")
            else:
                factor *= 1.0 + event.ratio
                applied += 1
        if not applied:
            return None
        self.followed["position_adjustments"] += applied
        return factor - 1.0

    # -- housekeeping (once per loop) -----------------------------------------------------

    def reconcile(self, open_trades: Mapping[str, ConsumerTrade], now: datetime) -> None:
        """Drop what no longer applies, counting why, given the consumer's open trades."""
        for pair, event in list(self._exits.items()):
            trade = open_trades.get(pair)
            if trade is None:
                del self._exits[pair]
                if event.key in self._exits_followed:
                    self._exits_followed.discard(event.key)
                else:
                    self._ignore("no_consumer_trade")
            elif event.time < trade.open_date:
                del self._exits[pair]
                if event.key in self._exits_followed:
                    self._exits_followed.discard(event.key)
                else:
                    self._ignore("older_than_trade")
        for pair, events in list(self._adjustments.items()):
            trade = open_trades.get(pair)
            if trade is None:
                del self._adjustments[pair]
                self._ignore("no_consumer_trade", len(events))
        for pair, event in list(self._entries.items()):
            trade = open_trades.get(pair)
            if trade is not None:
                del self._entries[pair]
                if trade.open_date >= event.received - timedelta(seconds=1) and (
                    trade.enter_tag == fleet_tag(event.producer, event.reason)
                ):
                    self.followed["force_entries"] += 1
                else:
                    self._ignore("consumer_has_trade")
            elif now - event.received > self.entry_ttl:
                del self._entries[pair]
                self._ignore("entry_expired")

    def pending(self) -> dict[str, int]:
        return {
            "exits": len(self._exits),
            "entries": len(self._entries),
            "adjustments": sum(len(v) for v in self._adjustments.values()),
        }

    def stats(self) -> dict[str, object]:
        return {
            "follow": sorted(self.follow),
            "received": self.received,
            "followed": {name: self.followed.get(name, 0) for name in _FOLLOWED_NAMES},
            "ignored": {reason: self.ignored.get(reason, 0) for reason in IGNORE_REASONS},
            "pending": self.pending(),
        }


_FOLLOWED_NAMES = ("exits", "force_entries", "position_adjustments")

__all__ = [
    "IGNORE_REASONS",
    "ConsumerTrade",
    "FollowLedger",
    "fleet_tag",
]
