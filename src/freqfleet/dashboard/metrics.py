"""``/metrics``: the dashboard's snapshot in Prometheus' text format.

Why a custom collector over the newest snapshot rather than gauges set as facts arrive: a
scrape must never ask the bots (the dashboard already does, on its own clock), and a pair
or bot that left the fleet must leave the metrics too; a collector built per scrape from
one snapshot gives both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from freqfleet.dashboard.snapshot import Snapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _gauge(name: str, doc: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"freqfleet_{name}", doc, labels=labels)


def _topology(snapshot: Snapshot) -> Iterator[Metric]:
    up = _gauge("bot_up", "1 when the planned process answers, else 0.", ["bot", "role"])
    info = _gauge("bot_version_info", "The version a process reports.", ["bot", "version"])
    for node in snapshot.nodes:
        up.add_metric([node.name, node.role], 1.0 if node.up else 0.0)
        if node.version:
            info.add_metric([node.name, node.version], 1.0)
    drift = _gauge("freqtrade_versions", "Distinct freqtrade versions among the bots.")
    drift.add_metric([], float(len(snapshot.versions)))
    yield from (up, info, drift)


def _coverage(snapshot: Snapshot) -> Iterator[Metric]:
    lag = _gauge(
        "pair_lag_candles",
        "Candles between the newest closed candle and the pair's newest analysed one.",
        ["pair", "producer"],
    )
    stale = _gauge("pair_stale", "1 when the pair's producer data is stale.", ["pair", "producer"])
    fresh = _gauge(
        "pair_fresh_producers", "Producers whose analysis of the pair is fresh.", ["pair"]
    )
    for pair in snapshot.pairs:
        if pair.fresh_producers is not None:
            fresh.add_metric([pair.pair], float(pair.fresh_producers))
        labels = [pair.pair, pair.producer or ""]
        stale.add_metric(labels, 0.0 if pair.freshness == "fresh" else 1.0)
        if pair.lag is not None:
            lag.add_metric(labels, float(pair.lag))
    unrouted = _gauge("unrouted_pairs", "Pairs the consumer trades that no producer serves.")
    unrouted.add_metric([], float(len(snapshot.unrouted_pairs)))
    took = _gauge(
        "producer_analysis_seconds",
        "Seconds from a candle's close to the producer's analysis of its whole share.",
        ["producer"],
    )
    rejected = CounterMetricFamily(
        "freqfleet_rejected_messages",
        "Producer messages or pairs the consumer rejected, by reason.",
        labels=["producer", "reason"],
    )
    for producer in snapshot.producers:
        if producer.analysis_secs is not None:
            took.add_metric([producer.name], producer.analysis_secs)
        for reason, count in sorted(producer.rejected.items()):
            rejected.add_metric([producer.name, reason], float(count))
    candle = _gauge("candle_seconds", "The fleet's candle length in seconds.")
    candle.add_metric([], float(snapshot.candle_secs))
    yield from (lag, stale, fresh, unrouted, took, rejected, candle)


def _wallet(snapshot: Snapshot) -> Iterator[Metric]:
    wallet = snapshot.wallet
    currency = [wallet.stake_currency or ""]
    values = {
        "open_trades": ("The consumer's open trades.", wallet.open_trades, None),
        "max_open_trades": ("The consumer's trade slots.", wallet.max_open_trades, None),
        "wallet_stake_in_use": ("Stake in the open trades.", wallet.stake_in_use, currency),
        "wallet_stake_free": ("Stake currency free to trade.", wallet.stake_free, currency),
        "profit_closed": ("Profit of closed trades.", wallet.profit_closed, currency),
        "entries_waiting_pairs": (
            "Pairs whose entries wait for their producer's newest analysis.",
            len(wallet.waiting_pairs),
            None,
        ),
    }
    for name, (doc, value, labels) in values.items():
        if value is None:
            continue
        metric = _gauge(name, doc, ["currency"] if labels else None)
        metric.add_metric(labels or [], float(value))
        yield metric


def _exchange(snapshot: Snapshot) -> Iterator[Metric]:
    exchange = snapshot.exchange
    if exchange is None:
        return
    for key, doc in (
        ("weight_last_minute", "Request weight sent upstream in the last minute."),
        ("limit_per_minute", "The exchange's request weight limit a minute."),
        ("budget_per_minute", "The gateway's share of that limit."),
    ):
        if isinstance(exchange.get(key), int | float):
            metric = _gauge(f"exchange_{key}", doc)
            metric.add_metric([], float(exchange[key]))
            yield metric
    refused = CounterMetricFamily(
        "freqfleet_exchange_refused", "Answers 429 and 418 from the exchange.", labels=["status"]
    )
    for status in (429, 418):
        refused.add_metric([str(status)], float(exchange.get(f"answered_{status}") or 0))
    yield refused


class SnapshotCollector(Collector):
    """Metrics from whatever snapshot ``latest`` returns (None: only ``up`` is unknown)."""

    def __init__(self, latest: Callable[[], Snapshot | None]) -> None:
        self.latest = latest

    def collect(self) -> Iterator[Metric]:
        snapshot = self.latest()
        if snapshot is None:
            return
        for part in (_topology, _coverage, _wallet, _exchange):
            yield from part(snapshot)


def metrics_text(latest: Callable[[], Snapshot | None]) -> bytes:
    """The exposition text of one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(latest))
    return generate_latest(registry)


__all__ = ["CONTENT_TYPE", "SnapshotCollector", "metrics_text"]
