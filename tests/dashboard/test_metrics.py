"""``/metrics`` read back with Prometheus' own parser: every planned bot, a stopped one 0,
each pair's lag and producer, analysis seconds, rejections, the wallet."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from freqfleet.dashboard import metrics_text, take_snapshot
from tests.dashboard.fake_fleet import fake_fleet


def samples(text: bytes) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Metric name -> labels -> value."""
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            found.setdefault(sample.name, {})[labels] = sample.value
    return found


def test_metrics_of_a_fleet_and_a_stopped_bot(tmp_path: Path) -> None:
    with fake_fleet(tmp_path / "fleet") as fleet:
        snapshot = take_snapshot(fleet.plan_dir, fleet.manifest, timeout=2)
        before = samples(metrics_text(lambda: snapshot))
        fleet.stop("producer-2")
        stopped = take_snapshot(fleet.plan_dir, fleet.manifest, timeout=2)
        after = samples(metrics_text(lambda: stopped))

    up = before["freqfleet_bot_up"]
    assert up == {
        (("bot", "producer-1"), ("role", "producer")): 1.0,
        (("bot", "producer-2"), ("role", "producer")): 1.0,
        (("bot", "consumer"), ("role", "consumer")): 1.0,
    }
    assert after["freqfleet_bot_up"][(("bot", "producer-2"), ("role", "producer"))] == 0.0
    assert after["freqfleet_bot_up"][(("bot", "producer-1"), ("role", "producer"))] == 1.0

    lags = before["freqfleet_pair_lag_candles"]
    assert len(lags) == sum(len(share) for share in fleet.shares.values())
    assert lags[(("pair", "P1X0/USDT"), ("producer", "producer-1"))] == 0.0
    stale = after["freqfleet_pair_stale"]
    assert stale[(("pair", "P2X0/USDT"), ("producer", "producer-2"))] == 1.0
    assert stale[(("pair", "P1X0/USDT"), ("producer", "producer-1"))] == 0.0
    fresh = before["freqfleet_pair_fresh_producers"]
    assert len(fresh) == len(lags) and fresh[(("pair", "P1X0/USDT"),)] == 1.0

    assert before["freqfleet_producer_analysis_seconds"] == {
        (("producer", "producer-1"),): 2.5,
        (("producer", "producer-2"),): 2.5,
    }
    rejected = before["freqfleet_rejected_messages_total"]
    assert rejected == {(("producer", "producer-2"), ("reason", "duplicate")): 3.0}
    assert before["freqfleet_open_trades"] == {(): 0.0}
    assert before["freqfleet_wallet_stake_free"] == {(("currency", "USDT"),): 270.0}
    assert before["freqfleet_profit_closed"] == {(("currency", "USDT"),): 1.25}
    assert before["freqfleet_candle_seconds"] == {(): 60.0}
    assert "freqfleet_exchange_weight_last_minute" not in before  # no gateway planned


def test_nothing_before_the_first_snapshot() -> None:
    assert samples(metrics_text(lambda: None)) == {}
