"""Who asked the simulator for what: request counts and weight, in total and per bot.

Why per bot: a fleet's bots share one exchange budget, and only a per-bot split shows
which bot spends it (producers, consumer, a gateway in front of them). A bot names itself
with the :data:`~freqfleet.sim.config.BOT_HEADER` header (:func:`sender`); requests
without a valid one are counted under :data:`UNATTRIBUTED`.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

from starlette.requests import HTTPConnection

from freqfleet.sim.config import BOT_HEADER

BOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
UNATTRIBUTED = "unattributed"
MAX_BOTS = 256
"""Distinct bot names kept apart; more senders than that are counted as unattributed."""


class Stats:
    """Request counts and weight per endpoint and per bot, for tests, benchmarks and logs."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.not_simulated: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.weight = 0
        self.bot_requests: dict[str, Counter[str]] = {}
        self.bot_weight: dict[str, Counter[str]] = {}
        self._lock = threading.Lock()

    def count(self, endpoint: str, weight: int = 0, bot: str = UNATTRIBUTED) -> None:
        with self._lock:
            self.requests[endpoint] += 1
            self.weight += weight
            self._count_bot(bot, endpoint, weight)

    def count_error(self, endpoint: str, code: int, bot: str = UNATTRIBUTED) -> None:
        """An answered error (its weight, like the meter's, is not counted)."""
        with self._lock:
            self.requests[endpoint] += 1
            self.errors[str(code)] += 1
            self._count_bot(bot, endpoint, 0)

    def _count_bot(self, bot: str, endpoint: str, weight: int) -> None:
        if bot not in self.bot_requests:
            if len(self.bot_requests) >= MAX_BOTS:
                bot = UNATTRIBUTED
            self.bot_requests.setdefault(bot, Counter())
            self.bot_weight.setdefault(bot, Counter())
        self.bot_requests[bot][endpoint] += 1
        self.bot_weight[bot][endpoint] += weight

    def count_not_simulated(self, what: str) -> None:
        with self._lock:
            self.not_simulated[what] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            bots = {
                bot: {
                    "requests": dict(self.bot_requests[bot]),
                    "weight": dict(self.bot_weight[bot]),
                    "total_requests": sum(self.bot_requests[bot].values()),
                    "total_weight": sum(self.bot_weight[bot].values()),
                }
                for bot in sorted(self.bot_requests)
            }
            return {
                "requests": dict(self.requests),
                "not_simulated": dict(self.not_simulated),
                "errors": dict(self.errors),
                "total_requests": sum(self.requests.values()),
                "total_weight": self.weight,
                "bots": bots,
            }


def sender(request: HTTPConnection) -> str:
    """The bot named by the request's (or handshake's) :data:`BOT_HEADER`, checked; else
    ``unattributed``."""
    name = request.headers.get(BOT_HEADER)
    if name is None or not BOT_NAME.match(name):
        return UNATTRIBUTED
    return name


__all__ = ["BOT_NAME", "MAX_BOTS", "UNATTRIBUTED", "Stats", "sender"]
