"""The consumer's report (``fleet-state.json``) built from what the consumer holds.

Why apart from the consumer: the report reads every part of the consumer (routes, merge
cache, freshness, intake counts, the access watch, the follower, exit prices) but changes
none; the consumer calls it under its lock and writes what it returns
(:class:`~freqfleet.fleet_state.FleetState`, the schema ``freqfleet status`` reads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from freqfleet.fleet_state import FleetState, Freshness, PairState, ProducerState, Role
from freqfleet.strategy.agreement import Agreement
from freqfleet.strategy.exit_pricing import ExitPrices
from freqfleet.strategy.freshness import FreshnessLog
from freqfleet.strategy.merge import MergeCache, MergedEntry
from freqfleet.strategy.routing import ProducerData, ProducerRouter, newest_candle


def moment(epoch_ns: int | None) -> datetime | None:
    """An epoch in nanoseconds as a UTC datetime (None stays None; out of range gives None)."""
    if epoch_ns is None:
        return None
    try:
        return datetime.fromtimestamp(epoch_ns / 1e9, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def iso(epoch_ns: int | None) -> str | None:
    """An epoch in nanoseconds as ISO text (None stays None; out of range gives None)."""
    when = moment(epoch_ns)
    return None if when is None else when.isoformat()


Analyzed = Callable[[str, str], datetime | None]
"""``analyzed(producer, pair)``: when the producer analysed the frame the consumer holds."""
Frames = Callable[[str, str], ProducerData | None]
"""``frames(producer, pair)``: the producer's newest frame of the pair, if any."""


def _fresh_producers(
    pair: str, entry: MergedEntry, router: ProducerRouter, frames: Frames, oldest_ns: int
) -> int:
    """Producers serving ``pair`` whose newest analysed candle is at ``oldest_ns`` or later."""
    fresh = 0
    for name in router.producers_for(pair):
        data = frames(name, pair)
        newest = None if data is None else newest_candle(data[0])
        if newest is not None and newest >= oldest_ns:
            fresh += 1
    return fresh


def _redundancy(
    states: dict[str, PairState],
    cache: MergeCache,
    router: ProducerRouter,
    frames: Frames | None,
    allowance_ns: int | None,
    agreement: Agreement | None,
) -> dict[str, PairState]:
    """The pair states with their fresh and planned producers and disagreements."""
    if frames is None or allowance_ns is None:
        return states
    updated = {}
    for pair, state in states.items():
        entry = cache.get(pair)
        fresh = None
        if entry is not None:
            fresh = _fresh_producers(pair, entry, router, frames, entry.key[0] - allowance_ns)
        routed = router.routes.get(pair)
        planned = len(routed) if routed else (1 if router.producers_for(pair) else 0)
        changes: dict[str, Any] = {"fresh_producers": fresh, "planned_producers": planned}
        if agreement is not None:
            changes["disagreements"] = agreement.of_pair(pair)
        updated[pair] = state.model_copy(update=changes)
    return updated


def _analysis_secs(
    pairs: Mapping[str, PairState], newest: Mapping[str, int | None], candle_ns: int | None
) -> dict[str, float]:
    """Per producer: seconds from its newest candle's close to its last pair's analysis."""
    took: dict[str, float] = {}
    if not candle_ns:
        return took
    for state in pairs.values():
        if state.producer is None or state.analyzed is None or state.newest_candle is None:
            continue
        newest_ns = newest.get(state.producer)
        candle = int(state.newest_candle.timestamp() * 1e9)
        if newest_ns is None or abs(candle - newest_ns) > 1000:
            continue  # a pair still on an older candle: its share is not done
        closed = state.newest_candle + timedelta(microseconds=candle_ns // 1000)
        secs = round((state.analyzed - closed).total_seconds(), 3)
        took[state.producer] = max(took.get(state.producer, secs), secs)
    return took


def _pair_states(
    cache: MergeCache, max_signal_age: int, analyzed: Analyzed | None
) -> tuple[dict[str, PairState], list[str]]:
    """Each pair's producer, newest analysed candle and lag; and the pairs whose entries
    wait for their producer (behind, not yet stale)."""
    states: dict[str, PairState] = {}
    waiting = []
    for pair, entry in cache.pairs().items():
        when = None
        if entry.producer is not None and analyzed is not None:
            when = analyzed(entry.producer, pair)
        states[pair] = PairState(
            producer=entry.producer,
            newest_candle=moment(entry.producer_newest),
            analyzed=when,
            lag=entry.lag,
        )
        if entry.lag is not None and 0 < entry.lag <= max_signal_age:
            waiting.append(pair)
    return dict(sorted(states.items())), sorted(waiting)


def _sort_pairs(
    producer_names: tuple[str, ...],
    cache: MergeCache,
    router: ProducerRouter,
    freshness: FreshnessLog,
) -> tuple[dict[str, int | None], list[str], list[str], list[str]]:
    """Each producer's newest candle held, and the stale, missing and unrouted pairs."""
    newest: dict[str, int | None] = dict.fromkeys(producer_names)
    stale, missing, unrouted = [], [], []
    for pair, entry in cache.pairs().items():
        state = freshness.of(entry)
        if state == Freshness.STALE:
            stale.append(pair)
        elif state == Freshness.MISSING:
            missing.append(pair)
        if not router.producers_for(pair):
            unrouted.append(pair)
        if entry.producer is not None and entry.producer_newest is not None:
            current = newest.get(entry.producer)
            if current is None or entry.producer_newest > current:
                newest[entry.producer] = entry.producer_newest
    return newest, stale, missing, unrouted


def consumer_report(
    *,
    producer_names: tuple[str, ...],
    timeframe: str | None,
    cache: MergeCache,
    router: ProducerRouter,
    freshness: FreshnessLog,
    rejected: Mapping[str, dict[str, int]],
    access: Mapping[str, str],
    follower: Any,
    exit_prices: ExitPrices | None,
    analyzed: Analyzed | None = None,
    candle_ns: int | None = None,
    frames: Frames | None = None,
    agreement: Agreement | None = None,
    strategy_files: Mapping[str, str] | None = None,
) -> FleetState:
    """Routing, freshness and intake summary of one consumer, as of now."""
    newest, stale, missing, unrouted = _sort_pairs(producer_names, cache, router, freshness)
    counts = router.pair_counts()
    pairs, waiting = _pair_states(cache, freshness.max_signal_age, analyzed)
    allowance = None if candle_ns is None else freshness.max_signal_age * candle_ns
    pairs = _redundancy(pairs, cache, router, frames, allowance, agreement)
    disagreements = agreement.snapshot() if agreement is not None else {}
    took = _analysis_secs(pairs, newest, candle_ns)
    return FleetState(
        role=Role.CONSUMER,
        updated=datetime.now(UTC),
        timeframe=timeframe,
        max_signal_age=freshness.max_signal_age,
        producers={
            name: ProducerState(
                pairs=counts.get(name, 0),
                newest_candle=moment(newest[name]),
                rejected=rejected.get(name, {}),
                access=access.get(name),
                analysis_secs=took.get(name),
                disagreements=disagreements.get(name, {}),
            )
            for name in producer_names
        },
        unrouted_pairs=sorted(unrouted),
        stale_pairs=sorted(stale),
        missing_pairs=sorted(missing),
        waiting_pairs=waiting,
        pairs=pairs,
        follow=follower.stats() if follower is not None else {},
        exit_prices=(
            {}
            if exit_prices is None
            else {"reuse_secs": exit_prices.reuse_secs, **exit_prices.stats()}
        ),
        strategy_files=dict(strategy_files or {}),
    )


__all__ = ["consumer_report", "iso", "moment"]
