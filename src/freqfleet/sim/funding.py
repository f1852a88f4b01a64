"""Funding of the simulated perpetuals: when it happens, at what rate, on what price.

Why deterministic: a bot's funding fees (live, from the account) and its downloaded
``funding_rate`` candles (history, from ``/fapi/v1/fundingRate``) must agree, in every
process and on every restart, so a rate is a function of (seed, market, funding time)
alone. Rates look like Binance's: mostly the 0.01 % floor, sometimes above or below it.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import TYPE_CHECKING

from freqfleet.sim.timeframes import DAY_MS

if TYPE_CHECKING:
    from freqfleet.sim.exchange import SimExchange

FUNDING_INTERVAL_MS = 8 * 3_600_000
"""Binance's: funding at 00:00, 08:00 and 16:00 UTC of market time (the default)."""
RATE_DECIMALS = 8
BASE_RATE_UNITS = 10_000  # 0.0001 in 1e-8 units: Binance's usual rate (interest, no premium)
MAX_RATE_UNITS = 75_000  # |rate| <= 0.00075
_SPREAD_UNITS = 50_000  # how far a rate strays from the base when it does


def parse_funding_interval(text: str) -> int | None:
    """``"8h"``, ``"30m"``: the interval in milliseconds, or None unless it is a whole
    number of minutes or hours dividing a day (so the instants keep 00:00 UTC, as
    Binance's 1 h, 4 h and 8 h do)."""
    match = re.fullmatch(r"([1-9][0-9]*)([mh])", text.strip())
    if not match:
        return None
    length = int(match[1]) * (60_000 if match[2] == "m" else 3_600_000)
    return length if DAY_MS % length == 0 else None


def funding_times(start_ms: int, end_ms: int, interval_ms: int = FUNDING_INTERVAL_MS) -> list[int]:
    """Funding instants in ``(start_ms, end_ms]``, oldest first."""
    first = (start_ms // interval_ms + 1) * interval_ms
    return list(range(first, end_ms + 1, interval_ms))


def next_funding_time(now_ms: int, interval_ms: int = FUNDING_INTERVAL_MS) -> int:
    """The first funding instant after ``now_ms`` (``nextFundingTime`` of the premium
    index)."""
    return (now_ms // interval_ms + 1) * interval_ms


def _draws(seed: int, market_index: int, funding_time_ms: int) -> tuple[int, int, int]:
    """Three uniform 16-bit integers keyed by (seed, market, funding time)."""
    key = f"{seed}|{market_index}|{funding_time_ms}|funding".encode()
    digest = hashlib.blake2b(key, digest_size=6).digest()
    return (
        int.from_bytes(digest[0:2], "big"),
        int.from_bytes(digest[2:4], "big"),
        int.from_bytes(digest[4:6], "big"),
    )


def funding_rate(seed: int, market_index: int, funding_time_ms: int) -> Decimal:
    """The rate charged at ``funding_time_ms`` (longs pay shorts when positive): 0.0001
    half of the time, otherwise a triangular draw around it, within +-0.00075, 8 decimals."""
    choice, first, second = _draws(seed, market_index, funding_time_ms)
    if choice < 32_768:
        units = BASE_RATE_UNITS
    else:
        # The sum of two uniforms in [-1, 1): triangular around 0, in 1e-8 units.
        offset = (first + second - 65_535) * _SPREAD_UNITS // 65_536
        units = max(-MAX_RATE_UNITS, min(MAX_RATE_UNITS, BASE_RATE_UNITS + offset))
    return Decimal(units).scaleb(-RATE_DECIMALS)


def model_seed(exchange: SimExchange) -> int:
    """The seed funding rates are keyed by: the synthetic model's, 0 for a replay."""
    seed = getattr(exchange.model, "seed", 0)
    return seed if isinstance(seed, int) else 0


def mark_price_ticks(exchange: SimExchange, market_index: int, now_ms: int) -> int:
    """The mark price (and index price) in ticks: the close of the base candle in progress,
    which is also the last price of the spot market."""
    return exchange.store.live(market_index, exchange.model.base_ms, now_ms).close


__all__ = [
    "FUNDING_INTERVAL_MS",
    "funding_rate",
    "funding_times",
    "mark_price_ticks",
    "model_seed",
    "next_funding_time",
    "parse_funding_interval",
]
