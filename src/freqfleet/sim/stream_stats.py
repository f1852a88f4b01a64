"""Counts of the websocket streams: connections, subscriptions and pushed messages, in
total and per bot (the handshake's bot header), refused streams and request errors.

Why apart from the request counts: streams carry no request weight (Binance counts none)
and are not requests; ``/sim/stats`` shows them under ``streams``.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass
class _BotCounts:
    connections: int = 0
    open: int = 0
    subscriptions: int = 0
    messages: int = 0


class StreamStats:
    """Connections, subscriptions and pushed messages, in total and per bot."""

    def __init__(self, max_bots: int, unattributed: str) -> None:
        self._bots: dict[str, _BotCounts] = {}
        self._max_bots = max_bots
        self._unattributed = unattributed
        self.errors: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self._lock = threading.Lock()

    def bot(self, name: str) -> str:
        """The name counts are kept under (beyond ``max_bots`` names: unattributed)."""
        with self._lock:
            if name not in self._bots:
                if len(self._bots) >= self._max_bots:
                    name = self._unattributed
                self._bots.setdefault(name, _BotCounts())
            return name

    def connected(self, bot: str, change: int) -> None:
        with self._lock:
            counts = self._bots[bot]
            counts.open += change
            if change > 0:
                counts.connections += 1

    def subscribed(self, bot: str, change: int) -> None:
        with self._lock:
            self._bots[bot].subscriptions += change

    def pushed(self, bot: str, messages: int) -> None:
        with self._lock:
            self._bots[bot].messages += messages

    def error(self, code: int) -> None:
        with self._lock:
            self.errors[str(code)] += 1

    def refuse(self, names: list[str]) -> None:
        with self._lock:
            self.refused.update(names)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            bots = {name: vars(counts).copy() for name, counts in sorted(self._bots.items())}
            return {
                "connections": sum(c["connections"] for c in bots.values()),
                "open": sum(c["open"] for c in bots.values()),
                "subscriptions": sum(c["subscriptions"] for c in bots.values()),
                "messages": sum(c["messages"] for c in bots.values()),
                "errors": dict(self.errors),
                "refused": dict(self.refused),
                "bots": bots,
            }


__all__ = ["StreamStats"]
