"""One picture of the fleet for the dashboard and ``/metrics``: what ``freqfleet status``
gathers, plus each pair's coverage, the consumer's open trades and profit.

Why on top of :func:`freqfleet.run.status.collect_status`: the page and the table must
agree on what is up, stale or rejected; this module only adds what a table cannot show
(every pair, the trades) and what the browser needs precomputed. Lags are counted from the
clock (the newest closed candle against the pair's newest analysed one), so a pair turns
stale on time even when the consumer that writes the report has stopped.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from freqfleet.botapi import BotApi, BotApiError
from freqfleet.fleet import FleetManifest
from freqfleet.fleet_state import FleetState
from freqfleet.run import (
    FleetStatus,
    alive,
    collect_status,
    local_api_url,
    read_consumer_state,
    read_state,
)
from freqfleet.timeframes import timeframe_seconds

QUARTER = 0.25
"""freqtrade warns when a strategy's analysis takes more than a quarter of a candle."""


@dataclass
class Node:
    """One process of the fleet's topology."""

    name: str
    role: str
    up: bool
    state: str
    version: str | None = None


@dataclass
class PairCoverage:
    pair: str
    producer: str | None
    lag: int | None
    """Candles between the newest closed candle and the producer's newest analysed one."""
    freshness: str
    """``fresh``, ``stale`` or ``missing`` (as the consumer's ``max_signal_age`` says)."""
    analyzed: str | None = None
    analysis_secs: float | None = None
    """Seconds from that candle's close to its analysis."""
    fresh_producers: int | None = None
    """Producers whose analysis of the pair is fresh (the consumer's count)."""
    planned_producers: int | None = None
    """Producers the plan gives the pair (``fleet.redundancy``)."""


@dataclass
class ProducerCoverage:
    name: str
    pairs: int
    analysis_secs: float | None
    """Seconds its whole share took for its newest candle, from the candle's close."""
    over_quarter: bool
    rejected: dict[str, int] = field(default_factory=dict)
    access: str | None = None


@dataclass
class Wallet:
    stake_currency: str | None = None
    mode: str | None = None
    open_trades: int | None = None
    max_open_trades: int | None = None
    stake_in_use: float | None = None
    stake_free: float | None = None
    profit_closed: float | None = None
    profit_all: float | None = None
    closed_trades: int | None = None
    trades: list[dict[str, Any]] = field(default_factory=list)
    follow: dict[str, Any] = field(default_factory=dict)
    waiting_pairs: list[str] = field(default_factory=list)


@dataclass
class Snapshot:
    """Everything the page and the metrics show, as of ``taken``."""

    taken: str
    timeframe: str
    candle_secs: int
    max_signal_age: int
    nodes: list[Node]
    pairs: list[PairCoverage]
    producers: list[ProducerCoverage]
    wallet: Wallet
    unrouted_pairs: list[str]
    rejected: dict[str, int]
    """Rejected producer messages by reason, every producer together."""
    versions: dict[str, list[str]]
    mixed_versions: bool
    exchange: dict[str, Any] | None
    """The gateway's weight per minute, limit and 429/418 (None without a gateway)."""
    report_problem: str | None = None
    report_age_s: float | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


TRADE_KEYS = ("trade_id", "pair", "open_date", "stake_amount", "profit_pct", "profit_abs")


def _consumer_money(manifest: FleetManifest, wallet: Wallet, timeout: float) -> None:
    """The consumer's open trades and profit (the rest comes from ``status``)."""
    bot = manifest.consumer
    try:
        with BotApi(local_api_url(bot), bot.username, bot.password, timeout=timeout) as api:
            trades = api.open_trades()
            profit = api.get_object("profit")
    except BotApiError:
        return
    wallet.trades = [{key: trade.get(key) for key in TRADE_KEYS} for trade in trades]
    wallet.profit_closed = profit.get("profit_closed_coin")
    wallet.profit_all = profit.get("profit_all_coin")
    wallet.closed_trades = profit.get("closed_trade_count")


def _nodes(plan_dir: Path, manifest: FleetManifest, status: FleetStatus) -> list[Node]:
    from freqfleet import __version__

    nodes = [
        Node(bot.name, bot.role, bot.state == "running", bot.state, bot.freqtrade)
        for bot in status.bots
    ]
    if status.gateway is not None:
        state = str(status.gateway.get("state"))
        nodes.insert(0, Node("gateway", "gateway", state == "running", state, __version__))
    if manifest.pairlist_feed is not None:
        recorded = ((read_state(plan_dir) or {}).get("bots") or {}).get("pairlist-feed") or {}
        process = recorded.get("process") if isinstance(recorded, dict) else None
        up = isinstance(process, dict) and alive(process) is not None
        nodes.insert(0, Node("pairlist-feed", "pairlist-feed", up, "running" if up else "down"))
    return nodes


def _coverage(
    report: FleetState | None, candle_secs: int, max_age: int, now: float, down: set[str]
) -> list[PairCoverage]:
    """Each pair's lag by the clock; a pair whose producer is down is stale at once (its
    data can only age from here)."""
    if report is None:
        return []
    newest_closed = (int(now) // candle_secs - 1) * candle_secs
    pairs = []
    for pair, state in report.pairs.items():
        lag = None
        if state.newest_candle is not None:
            lag = max(0, (newest_closed - int(state.newest_candle.timestamp())) // candle_secs)
        took = None
        if state.analyzed is not None and state.newest_candle is not None:
            took = round(state.analyzed.timestamp() - state.newest_candle.timestamp(), 3)
            took -= candle_secs
        stale = lag is not None and (lag > max_age or state.producer in down)
        freshness = "missing" if lag is None else "stale" if stale else "fresh"
        analyzed = None if state.analyzed is None else state.analyzed.isoformat()
        pairs.append(
            PairCoverage(
                pair,
                state.producer,
                lag,
                freshness,
                analyzed,
                took,
                state.fresh_producers,
                state.planned_producers,
            )
        )
    return pairs


def _producers(report: FleetState | None, candle_secs: int) -> list[ProducerCoverage]:
    if report is None:
        return []
    return [
        ProducerCoverage(
            name=name,
            pairs=state.pairs,
            analysis_secs=state.analysis_secs,
            over_quarter=(state.analysis_secs or 0.0) > QUARTER * candle_secs,
            rejected=dict(state.rejected),
            access=state.access,
        )
        for name, state in report.producers.items()
    ]


def _exchange(gateway: dict[str, Any] | None) -> dict[str, Any] | None:
    if gateway is None:
        return None
    found = gateway.get("upstream")
    upstream: dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "state": gateway.get("state"),
        "weight_last_minute": upstream.get("weight_last_minute"),
        "budget_per_minute": upstream.get("budget_per_minute"),
        "limit_per_minute": upstream.get("limit_per_minute"),
        "answered_429": upstream.get("answered_429", 0),
        "answered_418": upstream.get("answered_418", 0),
        "hit_rate": gateway.get("hit_rate"),
    }


def take_snapshot(plan_dir: Path, manifest: FleetManifest, timeout: float = 3.0) -> Snapshot:
    """Ask every bot, read the consumer's report, and put it together."""
    status = collect_status(plan_dir, manifest, timeout=timeout)
    report = read_consumer_state(plan_dir, manifest).state
    candle_secs = timeframe_seconds(manifest.timeframe)
    max_age = (report.max_signal_age if report else None) or 1
    consumer = next(bot for bot in status.bots if bot.role == "consumer")
    wallet = Wallet(
        stake_currency=consumer.stake_currency,
        mode=consumer.wallet.mode if consumer.wallet else None,
        open_trades=consumer.open_trades,
        max_open_trades=consumer.max_open_trades,
        stake_in_use=consumer.stake_in_use,
        stake_free=consumer.stake_available,
        follow=dict(status.follow),
        waiting_pairs=list(report.waiting_pairs) if report and status.consumer_running else [],
    )
    if consumer.state == "running":
        _consumer_money(manifest, wallet, timeout)
    producers = _producers(report, candle_secs)
    rejected: dict[str, int] = {}
    for producer in producers:
        for reason, count in producer.rejected.items():
            rejected[reason] = rejected.get(reason, 0) + count
    nodes = _nodes(plan_dir, manifest, status)
    down = {node.name for node in nodes if node.role == "producer" and not node.up}
    return Snapshot(
        taken=datetime.now(UTC).isoformat(),
        timeframe=manifest.timeframe,
        candle_secs=candle_secs,
        max_signal_age=max_age,
        nodes=nodes,
        pairs=_coverage(report, candle_secs, max_age, time.time(), down),
        producers=producers,
        wallet=wallet,
        unrouted_pairs=list(status.unrouted_pairs),
        rejected=dict(sorted(rejected.items())),
        versions=status.freqtrade_versions,
        mixed_versions=status.mixed_freqtrade_versions,
        exchange=_exchange(status.gateway),
        report_problem=status.consumer_state_problem,
        report_age_s=status.consumer_state_age_s,
    )


__all__ = [
    "QUARTER",
    "Node",
    "PairCoverage",
    "ProducerCoverage",
    "Snapshot",
    "Wallet",
    "take_snapshot",
]
