"""Timeframe arithmetic: freqtrade's answers, freqtrade's exchange layer loaded on use."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from freqfleet.timeframes import candle_start, timeframe_seconds


def test_seconds_and_candle_starts_are_freqtrades() -> None:
    assert [timeframe_seconds(tf) for tf in ("1m", "5m", "1h", "1d")] == [60, 300, 3600, 86400]
    moment = datetime(2026, 12, 7, 17, 34, 11, tzinfo=UTC)
    assert candle_start("5m", moment) == datetime(2026, 12, 7, 17, 30, tzinfo=UTC)
    assert candle_start("1h", moment) == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


def test_importing_it_loads_no_exchange_layer() -> None:
    probe = (
        "import sys, freqfleet.timeframes; "
        "print('freqtrade.exchange' in sys.modules, 'ccxt' in sys.modules)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.split() == ["False", "False"], loaded.stderr
