"""The gateway's defaults, shared by ``freqfleet gateway`` and ``fleet.gateway``.

Why a module of their own: the fleet section's model reads them without importing the
server (uvicorn and the HTTP stack).
"""

from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8490
# The fleet may spend half of the exchange's limit: the rest stays for the bots' private
# calls from the same IP and for anything else running there.
DEFAULT_SHARE = 0.5
# Seconds the candle in progress is reused: freqtrade's loop runs every 5 s by default and
# drops the candle in progress from its analysis.
DEFAULT_LIVE_TTL = 5.0
# Where the gateway answers with its counters (also its health check).
STATS_PATH = "/gateway/stats"


def budget_per_minute(weight_limit: int, share: float) -> int:
    """The gateway's upstream weight a minute: ``share`` of the exchange's limit (at least
    1), computed here once for the gateway's budget and the plan's check of it."""
    return max(1, int(weight_limit * share))


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_LIVE_TTL",
    "DEFAULT_PORT",
    "DEFAULT_SHARE",
    "budget_per_minute",
]
