"""The live consumer's order journal: every order is written down before it is sent.

Why: freqtrade records an order in its database only after the exchange answered. When
the answer never comes (a timeout, a 5xx, the bot killed while the request is in flight)
the exchange may hold an order that belongs to no trade, and the next loop may send
another one: an orphan and a duplicate. So the consumer gives each order a client order
id of its own, writes (id, pair, side, what freqtrade was doing) to this journal and
flushes it to disk before the request leaves; an order whose answer was lost is then
looked up by that id, inline (a timeout) or at the next start (a killed bot), and either
recorded in its trade or known never to have been placed.

A journal line is JSON; the last line of an id wins. Plain Python: the freqtrade side lives
in ``freqfleet.compat.orders``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

JOURNAL_FILE = "fleet-orders.jsonl"
CLIENT_ID_PREFIX = "ff"
"""Binance takes client order ids of ``[.A-Z:/a-z0-9_-]{1,36}``: ``ff`` + 32 hex digits."""
KEEP_SETTLED = 200
"""Settled entries kept when the journal is compacted (for the log reader)."""
COMPACT_AFTER_LINES = 5 * KEEP_SETTLED
"""Lines written since the last compaction after which a write compacts the journal: a
consumer that runs for months without a restart keeps it (and its memory) bounded."""


class OrderState(StrEnum):
    SENT = "sent"
    """Written before the request; no answer yet (in flight, or the bot died)."""
    PLACED = "placed"
    """The exchange holds it (answered, or found by its client id): freqtrade records it."""
    NOT_PLACED = "not_placed"
    """Refused by the exchange, or looked up and not found: nothing to record."""
    UNKNOWN = "unknown"
    """The answer was lost and the lookup failed too: looked up again before the pair's
    next order."""
    ADOPTED = "adopted"
    """Found at start-up without a trade, and recorded in one."""


SETTLED = frozenset({OrderState.PLACED, OrderState.NOT_PLACED, OrderState.ADOPTED})


@dataclass(frozen=True)
class JournalEntry:
    """One order the consumer sent: what freqtrade was doing when it sent it."""

    client_id: str
    pair: str
    side: str
    order_type: str
    amount: float
    rate: float | None
    kind: str
    """``entry`` (a new trade), ``adjust`` (an entry added to ``trade_id``), ``exit``."""
    state: OrderState = OrderState.SENT
    trade_id: int | None = None
    stake_amount: float | None = None
    tag: str | None = None
    """The entry tag or the exit reason."""
    is_short: bool = False
    leverage: float = 1.0
    order_id: str | None = None
    time: float = field(default_factory=time.time)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> JournalEntry:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        data["state"] = OrderState(data.get("state", "sent"))
        return cls(**data)


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(16)


class OrderJournal:
    """Append-only journal of the consumer's orders in ``path`` (fsync'd per line)."""

    def __init__(self, path: Path, compact_after: int = COMPACT_AFTER_LINES) -> None:
        self.path = path
        self.compact_after = compact_after
        self._lock = threading.Lock()
        self._entries: dict[str, JournalEntry] = {}
        self._lines = 0
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        skipped = 0
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                entry = JournalEntry.from_json(line)
            except (ValueError, TypeError):
                skipped += 1  # a line cut by a crash mid-write
                continue
            self._entries[entry.client_id] = entry
            self._lines += 1
        if skipped:
            logger.warning("Order journal %s: %d unreadable line(s) skipped", self.path, skipped)

    def compact(self) -> None:
        """Rewrite the journal with the unsettled entries and the newest settled ones."""
        with self._lock:
            entries = list(self._entries.values())
            settled = [e for e in entries if e.state in SETTLED][-KEEP_SETTLED:]
            kept = [e for e in entries if e.state not in SETTLED] + settled
            kept.sort(key=lambda e: e.time)
            self._entries = {e.client_id: e for e in kept}
            temporary = self.path.with_name(self.path.name + ".tmp")
            text = "".join(e.to_json() + "\n" for e in kept)
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
            self._lines = len(kept)

    def write(self, entry: JournalEntry) -> JournalEntry:
        """Record ``entry`` durably (on disk before this returns)."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(entry.to_json() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            self._entries[entry.client_id] = entry
            self._lines += 1
            full = self._lines > self.compact_after
        if full and entry.state in SETTLED:
            self.compact()
        return entry

    def settle(self, client_id: str, state: OrderState, **changes: Any) -> JournalEntry | None:
        entry = self._entries.get(client_id)
        if entry is None:
            return None
        return self.write(replace(entry, state=state, **changes))

    def unsettled(self, pair: str | None = None) -> list[JournalEntry]:
        """Entries whose order may be on the exchange without a trade (sent or unknown)."""
        with self._lock:
            return [
                e
                for e in self._entries.values()
                if e.state not in SETTLED and (pair is None or e.pair == pair)
            ]

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries.values())


__all__ = [
    "CLIENT_ID_PREFIX",
    "JOURNAL_FILE",
    "JournalEntry",
    "OrderJournal",
    "OrderState",
    "new_client_id",
]
