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

__all__ = ["DEFAULT_HOST", "DEFAULT_LIVE_TTL", "DEFAULT_PORT", "DEFAULT_SHARE"]
