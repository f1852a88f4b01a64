"""The consumer's report (``fleet-state.json``) built from what the consumer holds.

Why apart from the consumer: the report reads every part of the consumer (routes, merge
cache, freshness, intake counts, the access watch, the follower, exit prices) but changes
none; the consumer calls it under its lock and writes what it returns
(:class:`~freqfleet.fleet_state.FleetState`, the schema ``freqfleet status`` reads).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from freqfleet.fleet_state import FleetState, Freshness, ProducerState, Role
from freqfleet.strategy.exit_pricing import ExitPrices
from freqfleet.strategy.freshness import FreshnessLog
from freqfleet.strategy.merge import MergeCache
from freqfleet.strategy.routing import ProducerRouter


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
) -> FleetState:
    """Routing, freshness and intake summary of one consumer, as of now."""
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
    counts = router.pair_counts()
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
            )
            for name in producer_names
        },
        unrouted_pairs=sorted(unrouted),
        stale_pairs=sorted(stale),
        missing_pairs=sorted(missing),
        follow=follower.stats() if follower is not None else {},
        exit_prices=(
            {}
            if exit_prices is None
            else {"reuse_secs": exit_prices.reuse_secs, **exit_prices.stats()}
        ),
    )


__all__ = ["consumer_report", "iso", "moment"]
