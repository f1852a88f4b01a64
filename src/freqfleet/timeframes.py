"""Timeframe arithmetic by freqtrade's own rules, for modules the command line loads.

Why a module of its own: ``freqtrade.exchange`` loads ccxt and pandas (seconds of CPU on a
small machine), so a module-level import there made every ``freqfleet`` command pay for it
before parsing its arguments. These functions import it on their first call instead.
Modules that only run inside a bot import freqtrade directly.
"""

from __future__ import annotations

from datetime import datetime


def timeframe_seconds(timeframe: str) -> int:
    """Seconds of one candle of ``timeframe`` (freqtrade's ``timeframe_to_seconds``)."""
    from freqtrade.exchange import timeframe_to_seconds

    return int(timeframe_to_seconds(timeframe))


def candle_start(timeframe: str, moment: datetime) -> datetime:
    """The open of the ``timeframe`` candle holding ``moment`` (``timeframe_to_prev_date``)."""
    from freqtrade.exchange import timeframe_to_prev_date

    return timeframe_to_prev_date(timeframe, moment)


__all__ = ["candle_start", "timeframe_seconds"]
