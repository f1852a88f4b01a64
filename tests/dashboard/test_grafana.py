"""The Grafana dashboard shipped with freqfleet (``data/grafana/freqfleet.json``) asks only
for metrics ``/metrics`` exposes."""

from __future__ import annotations

import json
import re

from prometheus_client.parser import text_string_to_metric_families

from freqfleet.dashboard import metrics_text
from freqfleet.dashboard.snapshot import Node, PairCoverage, ProducerCoverage, Snapshot, Wallet
from freqfleet.datasets import DATA_DIR

GRAFANA = DATA_DIR / "grafana" / "freqfleet.json"


def full_snapshot() -> Snapshot:
    """Every section filled: a gateway, a rejecting producer, a wallet."""
    return Snapshot(
        taken="2026-12-06T23:00:00+00:00",
        timeframe="1m",
        candle_secs=60,
        max_signal_age=1,
        nodes=[Node("producer-1", "producer", True, "running", "2026.9")],
        pairs=[PairCoverage("BTC/USDT", "producer-1", 0, "fresh", None, 2.0)],
        producers=[ProducerCoverage("producer-1", 1, 2.0, False, {"duplicate": 1})],
        wallet=Wallet("USDT", "dry-run", 1, 3, 10.0, 90.0, 1.0, 1.5, 2),
        unrouted_pairs=[],
        rejected={"duplicate": 1},
        versions={"2026.9": ["producer-1"]},
        mixed_versions=False,
        exchange={
            "weight_last_minute": 10,
            "budget_per_minute": 3000,
            "limit_per_minute": 6000,
            "answered_429": 0,
            "answered_418": 0,
        },
    )


def test_every_queried_metric_is_exposed() -> None:
    board = json.loads(GRAFANA.read_text())
    queried = {
        name
        for panel in board["panels"]
        for target in panel["targets"]
        for name in re.findall(r"freqfleet_[a-z_]+", target["expr"])
    }
    text = metrics_text(full_snapshot).decode()
    exposed = {
        sample.name for family in text_string_to_metric_families(text) for sample in family.samples
    }
    assert len(queried) >= 12
    assert queried <= exposed, sorted(queried - exposed)
