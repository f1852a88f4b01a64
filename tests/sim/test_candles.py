"""Candles: kline ranges against a plain reading of Binance's rules, for any request, and
candles of a timeframe as groups of the base candles."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from freqfleet.sim.candles import CandleStore, aggregate
from freqfleet.sim.models.synthetic import LISTED_MS, SyntheticModel
from tests.kit.clock import NOW_MS

STORE = CandleStore(SyntheticModel(pairs=2, seed=1))
INTERVALS = [60_000, 300_000, 3_600_000, 86_400_000]
START = 29_300_000  # a minute index in 2025


def expected_opens(interval: int, start: int | None, end: int | None, limit: int) -> list[int]:
    """Binance: open times from listing to now; startTime/endTime bound them, limit cuts."""
    first = -(-LISTED_MS // interval) * interval
    now_open = NOW_MS - NOW_MS % interval
    # Only the part of history a request can reach is listed (keeps this cheap).
    lowest = max(
        first,
        (start if start is not None else min(end if end is not None else NOW_MS, NOW_MS))
        - 1002 * interval,
    )
    lowest = max(first, lowest - lowest % interval)
    opens = list(range(lowest, now_open + 1, interval))
    if start is not None:
        opens = [t for t in opens if t >= start]
    if end is not None:
        opens = [t for t in opens if t <= end]
    return opens[:limit] if start is not None else opens[-limit:]


times = st.integers(min_value=LISTED_MS - 5 * 86_400_000, max_value=NOW_MS + 3 * 86_400_000)


@settings(max_examples=150, deadline=None)
@given(
    interval=st.sampled_from(INTERVALS),
    start=st.none() | times,
    end=st.none() | times,
    limit=st.integers(min_value=1, max_value=1000),
)
def test_kline_ranges_follow_binance(
    interval: int, start: int | None, end: int | None, limit: int
) -> None:
    if start is not None and end is not None and start > end:
        start, end = end, start
    body = STORE.klines(0, interval, NOW_MS, start, end, limit)
    rows = json.loads(body)
    assert [row[0] for row in rows] == expected_opens(interval, start, end, limit)
    assert all(row[6] == row[0] + interval - 1 for row in rows)


def test_aggregate_groups_base_candles() -> None:
    c = SyntheticModel(pairs=1).base_candles(0, START, 60)
    hourly = aggregate(c, 60)
    assert hourly.open[0] == c.open[0] and hourly.close[0] == c.close[-1]
    assert hourly.high[0] == c.high.max() and hourly.low[0] == c.low.min()
    assert hourly.volume[0] == c.volume.sum()
