"""Checks on every producer message, where it arrives, before anything stores or routes it.

A producer (or anything holding its token) can send any frame and any whitelist. What
the consumer keeps must be a frame of a market it trades (a spot pair quoted in its stake
currency, or on futures a swap settled in it), on the timeframe and candle type it runs,
with dates present, datetime, strictly increasing and not in the future, and of a sane
size; a whitelist keeps only such pairs (and, for a planned fleet with static shares, only
the producer's own). Spot data on a futures consumer and futures data on a spot consumer
have their own reasons: they mean a producer runs in the other trading mode. Everything
else is dropped and counted per producer and reason; each producer and reason is logged
at most once a minute.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pandas import DataFrame

from freqfleet.compat import column_values
from freqfleet.strategy.merge import epoch_ns

logger = logging.getLogger(__name__)

MAX_ROWS = 1500
"""An honest producer sends a pair's whole frame only when freqtrade's consumer asks for
it, and freqtrade asks for at most 1,500 candles; every other message is one candle."""
MAX_COLUMNS = 3000
MAX_PAIR_LENGTH = 64
LOG_INTERVAL_SECS = 60.0
SPOT, FUTURES = "spot", "futures"
"""freqtrade's candle types of the two trading modes (``candle_type_def``)."""

_PAIR_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,32}/[A-Za-z0-9._-]{1,32}(:[A-Za-z0-9._-]{1,32})?\Z")

REJECT_REASONS = {
    "malformed": "not an analysed dataframe",
    "timeframe": "another timeframe than this consumer's",
    "candle_type": "another candle type than this consumer's",
    "spot_on_futures": "spot candles or a spot pair on a futures consumer",
    "futures_on_spot": "futures candles or a swap on a spot consumer",
    "pair_invalid": "not a pair name",
    "pair_not_market": "not a market of this exchange in the stake currency",
    "pair_not_in_share": "a pair outside the producer's share",
    "dates_missing": "dates missing (null)",
    "dates_not_datetime": "dates that are not datetimes",
    "dates_not_increasing": "dates not strictly increasing",
    "dates_in_future": "candles dated in the future",
    "too_large": f"more than {MAX_ROWS} rows or {MAX_COLUMNS} columns",
}
"""Why a message (or a pair of a whitelist) was dropped, as `freqfleet status` names it."""


@dataclass(frozen=True)
class IntakeRules:
    """What the consumer accepts, fixed when it attaches to its DataProvider."""

    timeframe: str
    candle_type: str
    candle_ns: int
    stake_currency: str | None = None
    market: Callable[[str], Mapping[str, Any] | None] | None = None
    """The exchange's market of a pair (None: not a market); None: no exchange to ask."""
    shares: Mapping[str, frozenset[str]] | None = None
    """Static shares of a planned fleet: producer -> pairs it may serve."""

    @property
    def futures(self) -> bool:
        """A futures consumer: swaps settled in the stake currency, ``futures`` candles."""
        return self.candle_type == FUTURES


def pair_problem(rules: IntakeRules, producer: str, pair: Any) -> str | None:
    """Why ``producer`` may not serve ``pair``, or None."""
    if not isinstance(pair, str) or len(pair) > MAX_PAIR_LENGTH or not _PAIR_PATTERN.match(pair):
        return "pair_invalid"
    if rules.shares is not None and pair not in rules.shares.get(producer, frozenset()):
        return "pair_not_in_share"
    if rules.market is None:
        return _mode_problem(rules, ":" in pair)
    try:
        market = rules.market(pair)
    except Exception:
        market = None
    if not market:
        return "pair_not_market"
    problem = _mode_problem(rules, bool(market.get("swap") or market.get("contract")))
    if problem is not None:
        return problem
    # A swap's margin and profit are in its settle currency, a spot pair's in its quote.
    currency = market.get("settle") if rules.futures else market.get("quote")
    if rules.stake_currency is not None and currency != rules.stake_currency:
        return "pair_not_market"
    return None


def _mode_problem(rules: IntakeRules, is_contract: bool) -> str | None:
    """A futures consumer trades swaps only, a spot consumer spot pairs only."""
    if rules.futures and not is_contract:
        return "spot_on_futures"
    if not rules.futures and is_contract:
        return "futures_on_spot"
    return None


def frame_problem(
    rules: IntakeRules,
    producer: str,
    pair: Any,
    timeframe: Any,
    candle_type: Any,
    frame: Any,
    now_ns: int,
) -> str | None:
    """Why an ``analyzed_df`` message must be dropped, or None when it may be stored."""
    if timeframe != rules.timeframe:
        return "timeframe"
    kind = str(candle_type)
    if kind != rules.candle_type:
        if {kind, rules.candle_type} == {SPOT, FUTURES}:
            return "spot_on_futures" if rules.futures else "futures_on_spot"
        return "candle_type"
    problem = pair_problem(rules, producer, pair)
    if problem is not None:
        return problem
    if not isinstance(frame, DataFrame) or "date" not in frame.columns or frame.empty:
        return "malformed"
    if len(frame) > MAX_ROWS or frame.shape[1] > MAX_COLUMNS:
        return "too_large"
    if not frame.columns.is_unique:
        return "malformed"
    dates = column_values(frame, "date")
    if getattr(dates.dtype, "kind", None) != "M":
        return "dates_not_datetime"
    if bool(np.asarray(dates.isna()).any()):
        return "dates_missing"
    values = epoch_ns(dates)
    if len(values) > 1 and not bool((np.diff(values) > 0).all()):
        return "dates_not_increasing"
    if int(values[-1]) > now_ns + rules.candle_ns:
        return "dates_in_future"
    return None


def whitelist_problems(
    rules: IntakeRules, producer: str, pairs: Any
) -> tuple[list[str], dict[str, tuple[int, Any]]]:
    """The pairs of a whitelist message to keep, and per reason how many were dropped
    (with the first of them, for the log)."""
    dropped: dict[str, tuple[int, Any]] = {}
    if not isinstance(pairs, list):
        return [], {"malformed": (1, type(pairs).__name__)}
    kept: list[str] = []
    seen: set[str] = set()
    for pair in pairs:
        problem = pair_problem(rules, producer, pair)
        if problem is not None:
            count, example = dropped.get(problem, (0, pair))
            dropped[problem] = (count + 1, example)
        elif pair not in seen:
            seen.add(pair)
            kept.append(pair)
    return kept, dropped


@dataclass
class Rejections:
    """Dropped messages per producer and reason, logged at most once a minute each."""

    interval: float = LOG_INTERVAL_SECS
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    _logged: dict[tuple[str, str], float] = field(default_factory=dict)
    _since_log: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, producer: str, reason: str, example: Any = None, count: int = 1) -> None:
        key = (producer, reason)
        now = time.monotonic()
        with self._lock:
            self.counts.setdefault(producer, Counter())[reason] += count
            self._since_log[key] += count
            last = self._logged.get(key)
            if last is not None and now - last < self.interval:
                return
            self._logged[key] = now
            dropped = self._since_log.pop(key)
        logger.warning(
            "Fleet: dropped %d message(s) or pair(s) from producer %s: %s (e.g. %s); "
            "counted in freqfleet status",
            dropped,
            _short(producer),
            REJECT_REASONS.get(reason, reason),
            _short(example),
        )

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {name: dict(counts) for name, counts in self.counts.items() if counts}


class RepeatLimiter(logging.Filter):
    """At most one line a minute per kind of complaint freqtrade logs about a producer.

    freqtrade's consumer logs every message that fails its own schema check ("Invalid
    message from `p1`: ..." with pydantic's whole report): a hostile producer could fill
    the consumer's disk with them. The first of each kind per minute passes, with the
    number held back since.
    """

    PREFIXES = ("Invalid message from", "Empty message received from", "Error handling producer")

    def __init__(self, interval: float = LOG_INTERVAL_SECS) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[str, float] = {}
        self._held: Counter[str] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if not message.startswith(self.PREFIXES):
            return True
        kind = message.split(":", 1)[0][:80]
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._held[kind] += 1
            return False
        self._last[kind] = now
        held = self._held.pop(kind, 0)
        if held:
            record.msg = f"{message} ({held} more like it in the last minute, not shown)"
        return True


def limit_producer_complaints(logger_name: str = "freqtrade.rpc.external_message_consumer") -> None:
    """Install the repeat limiter on freqtrade's consumer logger (once per process)."""
    target = logging.getLogger(logger_name)
    if not any(isinstance(f, RepeatLimiter) for f in target.filters):
        target.addFilter(RepeatLimiter())


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "REJECT_REASONS",
    "IntakeRules",
    "Rejections",
    "RepeatLimiter",
    "frame_problem",
    "limit_producer_complaints",
    "pair_problem",
    "whitelist_problems",
]
