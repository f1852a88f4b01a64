"""Producer trade events, as the consumer sees them.

A producer publishes ``entry``/``entry_fill``/``entry_cancel``/``exit``/``exit_fill``/
``exit_cancel`` messages on its message websocket (freqtrade's ``RPCEntryMsg``,
``RPCExitMsg`` ... serialised with orjson, so dates arrive as ISO strings). The consumer
acts on fills only: what the producer actually did, not what it tried. Closed trades read
back over REST (catch-up after a reconnect) become the same events with the same keys, so
an exit seen twice (websocket and REST) is followed once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from freqtrade.enums import ExitType, RPCMessageType

TRADE_EVENT_TYPES: tuple[str, ...] = (
    RPCMessageType.ENTRY.value,
    RPCMessageType.ENTRY_FILL.value,
    RPCMessageType.ENTRY_CANCEL.value,
    RPCMessageType.EXIT.value,
    RPCMessageType.EXIT_FILL.value,
    RPCMessageType.EXIT_CANCEL.value,
)
"""What the follower subscribes to on each producer's message websocket."""

FORCE_ENTRY_TAG = "force_entry"
"""freqtrade's enter tag for a force entry given without its own tag (REST, FreqUI)."""

EventKind = Literal["entry", "adjust", "exit", "partial_exit"]


@dataclass(frozen=True)
class FollowEvent:
    """One producer fill the consumer may follow."""

    producer: str
    kind: EventKind
    pair: str
    trade_id: int
    is_short: bool
    reason: str
    """The producer's exit reason (exits) or enter tag (entries)."""
    time: datetime
    """When it happened on the producer: close date of exits, open date of entries,
    arrival time of adjustments (freqtrade's message carries no fill date for those)."""
    ratio: float = 0.0
    """Adjustments: stake added (> 0) or removed (< 0) relative to the position before."""
    key: tuple[Any, ...] = field(default=())
    """Identity across websocket and REST: the same fill gives the same key."""
    source: Literal["ws", "rest"] = "ws"
    received: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def is_force_exit(self) -> bool:
        return self.kind == "exit" and self.reason == ExitType.FORCE_EXIT.value

    @property
    def is_force_entry(self) -> bool:
        return self.kind == "entry" and self.reason == FORCE_ENTRY_TAG


@dataclass(frozen=True)
class OpenTrades:
    """A producer's open trades as its REST API listed them (catch-up): pair -> trade id."""

    producer: str
    trades: tuple[tuple[str, int], ...]

    @classmethod
    def from_status(cls, producer: str, status: list[dict[str, Any]]) -> OpenTrades:
        trades = []
        for trade in status:
            try:
                trades.append((str(trade["pair"]), int(trade["trade_id"])))
            except (KeyError, TypeError, ValueError):
                continue
        return cls(producer, tuple(trades))


def parse_date(value: Any) -> datetime | None:
    """A message date (ISO string, datetime or ms timestamp) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float):
        parsed = datetime.fromtimestamp(value / 1000, tz=UTC)
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_message(
    producer: str, msg: dict[str, Any], received: datetime | None = None
) -> FollowEvent | None:
    """The followable event in a websocket message, or None (order placed, cancel, ...)."""
    received = received or datetime.now(UTC)
    msg_type = msg.get("type")
    if msg_type not in (RPCMessageType.ENTRY_FILL.value, RPCMessageType.EXIT_FILL.value):
        return None
    try:
        pair = str(msg["pair"])
        trade_id = int(msg["trade_id"])
        open_date = parse_date(msg["open_date"])
    except (KeyError, TypeError, ValueError):
        return None
    if open_date is None:
        return None
    is_short = str(msg.get("direction", "Long")).lower() == "short"
    sub_trade = bool(msg.get("sub_trade", False))
    base: dict[str, Any] = {
        "producer": producer,
        "pair": pair,
        "trade_id": trade_id,
        "is_short": is_short,
    }
    trade_key = (producer, trade_id, _ms(open_date))
    if msg_type == RPCMessageType.ENTRY_FILL.value:
        return _entry_event(msg, base, trade_key, open_date, sub_trade, received)
    return _exit_event(msg, base, trade_key, sub_trade, received)


def _entry_event(
    msg: dict[str, Any],
    base: dict[str, Any],
    trade_key: tuple[str, int, int],
    open_date: datetime,
    sub_trade: bool,
    received: datetime,
) -> FollowEvent | None:
    """An ``entry_fill``: the trade's entry, or an additional entry (``adjust``)."""
    tag = msg.get("enter_tag") or ""
    if not sub_trade:
        return FollowEvent(
            **base,
            kind="entry",
            reason=tag,
            time=open_date,
            key=("entry", *trade_key),
            received=received,
        )
    ratio = _added_ratio(msg)
    if ratio is None:
        return None
    stake_after = float(msg.get("stake_amount") or 0.0)
    return FollowEvent(
        **base,
        kind="adjust",
        reason=tag,
        time=received,
        ratio=ratio,
        key=("adjust", *trade_key, round(stake_after, 8)),
        received=received,
    )


def _exit_event(
    msg: dict[str, Any],
    base: dict[str, Any],
    trade_key: tuple[str, int, int],
    sub_trade: bool,
    received: datetime,
) -> FollowEvent | None:
    """An ``exit_fill``: the trade's final exit, or a partial one."""
    close_date = parse_date(msg.get("close_date")) or received
    reason = msg.get("exit_reason") or ""
    final = bool(msg.get("is_final_exit", not sub_trade))
    if final:
        return FollowEvent(
            **base,
            kind="exit",
            reason=reason,
            time=close_date,
            key=("exit", *trade_key),
            received=received,
        )
    ratio = _removed_ratio(msg)
    if ratio is None:
        return None
    return FollowEvent(
        **base,
        kind="partial_exit",
        reason=reason,
        time=close_date,
        ratio=ratio,
        key=("partial_exit", *trade_key, _ms(close_date), round(float(msg["amount"]), 10)),
        received=received,
    )


def _added_ratio(msg: dict[str, Any]) -> float | None:
    """Stake an additional entry added, relative to the stake before it.

    In an ``entry_fill`` of a sub trade, ``amount`` and ``open_rate`` are the order's,
    ``stake_amount`` the trade's after the fill.
    """
    try:
        leverage = float(msg.get("leverage") or 1.0)
        added = float(msg["amount"]) * float(msg["open_rate"]) / leverage
        before = float(msg["stake_amount"]) - added
    except (KeyError, TypeError, ValueError):
        return None
    if added <= 0 or before <= 0:
        return None
    return added / before


def _removed_ratio(msg: dict[str, Any]) -> float | None:
    """Share of the position a partial exit removed (negative ratio).

    ``amount`` is what the order sold; ``stake_amount`` what the trade still holds.
    """
    try:
        leverage = float(msg.get("leverage") or 1.0)
        sold = float(msg["amount"]) * float(msg["open_rate"]) / leverage
        remaining = float(msg["stake_amount"])
    except (KeyError, TypeError, ValueError):
        return None
    if sold <= 0 or remaining < 0 or sold + remaining <= 0:
        return None
    return -sold / (sold + remaining)


def from_closed_trade(
    producer: str, trade: dict[str, Any], received: datetime | None = None
) -> FollowEvent | None:
    """A closed trade from the producer's REST ``/trades`` as a final exit event."""
    received = received or datetime.now(UTC)
    try:
        if trade.get("is_open"):
            return None
        open_date = parse_date(trade["open_timestamp"])
        close_date = parse_date(trade["close_timestamp"])
        trade_id = int(trade["trade_id"])
        pair = str(trade["pair"])
    except (KeyError, TypeError, ValueError):
        return None
    if open_date is None or close_date is None:
        return None
    return FollowEvent(
        producer=producer,
        kind="exit",
        pair=pair,
        trade_id=trade_id,
        is_short=bool(trade.get("is_short", False)),
        reason=trade.get("exit_reason") or "",
        time=close_date,
        key=("exit", producer, trade_id, _ms(open_date)),
        source="rest",
        received=received,
    )


__all__ = [
    "FORCE_ENTRY_TAG",
    "TRADE_EVENT_TYPES",
    "FollowEvent",
    "OpenTrades",
    "from_closed_trade",
    "from_message",
    "parse_date",
]
