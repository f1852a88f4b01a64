"""Candles the gateway has seen, by (symbol, interval, open time).

Why it can answer without asking: a closed candle never changes, so once fetched it
serves every bot of the fleet for as long as it is kept. The candle in progress does
change; it is reused only while younger than ``live_ttl`` seconds (freqtrade drops or
tolerates a slightly stale last candle, but never a missing close).

A series keeps one contiguous range of open times it knows completely (``known_from`` ..
``known_to``): every closed candle of that range is stored, and a missing open time
inside it is a gap the exchange reported. An answer is built from the cache only when the
whole requested range lies inside what is known, so a cached answer is exactly what the
exchange would have sent.

When a candle counts as closed: when the same answer holds a later candle, or when it
closed ``close_margin_ms`` before the request was sent (the margin covers clock skew
between this host and the exchange).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import pairwise

import orjson

from freqfleet.gateway.profile import KlineQuery
from freqfleet.gateway.settings import DEFAULT_LIVE_TTL

DEFAULT_CLOSE_MARGIN_MS = 5_000
# Closed candles kept per series (freqtrade asks for up to a few thousand per pair).
MAX_CANDLES_PER_SERIES = 20_000


@dataclass
class Series:
    """One (symbol, interval): closed rows as JSON bytes, plus the candle in progress."""

    interval_ms: int
    closed: dict[int, bytes] = field(default_factory=dict)
    known_from: int | None = None
    known_to: int | None = None
    # Open time from which the series exists (nothing earlier), when the exchange told us.
    listed_from: int | None = None
    live_open: int | None = None
    live_row: bytes | None = None
    live_fetched: float = 0.0
    # Bumped on every change: cached answer bodies carry it to know they are current.
    version: int = 0


@dataclass(frozen=True)
class Plan:
    """The open times an answer needs: closed ``first``..``last``, plus the live candle."""

    first: int
    last: int
    live_open: int | None


class CandleCache:
    """Closed candles and the in-progress one, per (symbol, interval)."""

    def __init__(
        self,
        live_ttl: float = DEFAULT_LIVE_TTL,
        close_margin_ms: int = DEFAULT_CLOSE_MARGIN_MS,
        max_candles: int = MAX_CANDLES_PER_SERIES,
    ) -> None:
        self.live_ttl = live_ttl
        self.close_margin_ms = close_margin_ms
        self.max_candles = max_candles
        self.series: dict[tuple[str, int], Series] = {}

    # -- answering ----------------------------------------------------------------------------
    def plan(self, query: KlineQuery, series: Series, now_ms: int) -> Plan | None:
        """Open times the answer to ``query`` covers; None when nothing would be returned."""
        step = query.interval_ms
        current = now_ms // step * step
        listed = series.listed_from
        if query.start_ms is not None:
            first = -(-query.start_ms // step) * step
            if listed is not None and first < listed:
                first = listed
            last = first + (query.limit - 1) * step
            if query.end_ms is not None:
                last = min(last, query.end_ms // step * step)
            last = min(last, current)
        else:
            last = current if query.end_ms is None else min(query.end_ms // step * step, current)
            first = last - (query.limit - 1) * step
            if listed is not None and first < listed:
                first = listed
        if first > last:
            return None
        if last == current:
            return Plan(first, last - step, current)
        return Plan(first, last, None)

    def answer(self, query: KlineQuery, now_ms: int, now: float | None = None) -> bytes | None:
        """The JSON body for ``query`` from the cache, or None when something is missing."""
        series = self.series.get((query.symbol, query.interval_ms))
        if series is None or series.known_from is None or series.known_to is None:
            return None
        plan = self.plan(query, series, now_ms)
        if plan is None:
            return None  # an empty answer: the exchange says so itself
        rows: list[bytes] = []
        if plan.first <= plan.last:
            if plan.first < series.known_from or plan.last > series.known_to:
                return None
            closed = series.closed
            step = series.interval_ms
            for open_ms in range(plan.first, plan.last + 1, step):
                row = closed.get(open_ms)
                if row is None:
                    return None  # a gap: the exchange decides what fills the limit
                rows.append(row)
        if plan.live_open is not None:
            if series.live_open != plan.live_open or series.live_row is None:
                return None
            if (time.monotonic() if now is None else now) - series.live_fetched > self.live_ttl:
                return None
            rows.append(series.live_row)
        return b"[" + b",".join(rows) + b"]"

    # -- learning -------------------------------------------------------------------------------
    def ingest(self, query: KlineQuery, body: bytes, sent_ms: int, received: float) -> None:
        """Store what an exchange answer to ``query`` tells: closed rows, the live one,
        and where the series starts (an answer that began later than asked)."""
        try:
            rows = orjson.loads(body)
        except orjson.JSONDecodeError:
            return
        if not isinstance(rows, list) or not all(
            isinstance(r, list) and r and isinstance(r[0], int) for r in rows
        ):
            return
        step = query.interval_ms
        key = (query.symbol, step)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series(step)
        series.version += 1
        if not rows:
            return
        opens = [r[0] for r in rows]
        if any(b <= a for a, b in pairwise(opens)):
            return  # not in order: nothing here can be trusted as a range
        closed_until = sent_ms - self.close_margin_ms
        last_closed = len(rows) - 1
        if opens[-1] + step > closed_until:
            last_closed -= 1
            live_open = opens[-1]
            if series.live_open is None or live_open >= series.live_open:
                series.live_open = live_open
                series.live_row = orjson.dumps(rows[-1])
                series.live_fetched = received
        # What the answer proves empty before its first row: from the asked start (a gap
        # or the time before listing), or everything when fewer rows came than asked for
        # without a start (the series begins there).
        asked_from = None
        if query.start_ms is not None:
            asked_from = -(-query.start_ms // step) * step
        elif len(rows) < query.limit:
            series.listed_from = opens[0]
        if last_closed < 0:
            return
        low = opens[0] if asked_from is None else min(asked_from, opens[0])
        high = opens[last_closed]
        for row, open_ms in zip(rows[: last_closed + 1], opens, strict=False):
            series.closed[open_ms] = orjson.dumps(row)
        self._extend(series, low, high)

    def _extend(self, series: Series, low: int, high: int) -> None:
        """Merge the newly known range with the kept one (or keep the newer if apart)."""
        step = series.interval_ms
        if series.known_from is None or series.known_to is None:
            series.known_from, series.known_to = low, high
        elif low <= series.known_to + step and high >= series.known_from - step:
            series.known_from = min(series.known_from, low)
            series.known_to = max(series.known_to, high)
        elif high > series.known_to:
            series.closed = {t: r for t, r in series.closed.items() if low <= t <= high}
            series.known_from, series.known_to = low, high
        else:
            # An older range apart from the kept one: its rows are not needed.
            for open_ms in [t for t in series.closed if t < series.known_from]:
                del series.closed[open_ms]
        if len(series.closed) > self.max_candles:
            keep_from = series.known_to - (self.max_candles - 1) * step
            series.closed = {t: r for t, r in series.closed.items() if t >= keep_from}
            series.known_from = max(series.known_from, keep_from)
            if series.listed_from is not None and series.listed_from < keep_from:
                series.listed_from = None

    def counts(self) -> dict[str, int]:
        return {
            "series": len(self.series),
            "closed_candles": sum(len(s.closed) for s in self.series.values()),
        }


__all__ = [
    "DEFAULT_CLOSE_MARGIN_MS",
    "DEFAULT_LIVE_TTL",
    "CandleCache",
    "Plan",
    "Series",
]
