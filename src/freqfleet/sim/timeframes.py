"""Binance kline intervals the simulator serves, and their lengths.

Why a table: Binance accepts a fixed set of interval strings; anything else is answered
with ``-1120 Invalid interval``. Every interval here is a whole number of minutes and
divides one day, so each candle is an exact group of the model's base candles.
"""

from __future__ import annotations

MINUTE_MS = 60_000
DAY_MS = 86_400_000

INTERVAL_MS: dict[str, int] = {
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": 60 * MINUTE_MS,
    "2h": 120 * MINUTE_MS,
    "4h": 240 * MINUTE_MS,
    "6h": 360 * MINUTE_MS,
    "8h": 480 * MINUTE_MS,
    "12h": 720 * MINUTE_MS,
    "1d": DAY_MS,
}


def interval_ms(interval: str) -> int | None:
    """Length of a Binance interval in milliseconds, None when the simulator lacks it."""
    return INTERVAL_MS.get(interval)


__all__ = ["DAY_MS", "INTERVAL_MS", "MINUTE_MS", "interval_ms"]
