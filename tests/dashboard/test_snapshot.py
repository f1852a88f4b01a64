"""The dashboard's snapshot: lags counted from the clock, a down producer's pairs stale at
once, the wallet and trades from the consumer, the gateway's weight and refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from freqfleet.dashboard import take_snapshot
from freqfleet.fleet.manifest import GatewayEntry
from tests.dashboard.fake_fleet import CANDLE, fake_fleet, newest_closed, trade
from tests.kit.json_server import json_server

STATS = {
    "hit_rate": 0.9,
    "upstream": {
        "weight_last_minute": 1200,
        "budget_per_minute": 3000,
        "limit_per_minute": 6000,
        "answered_429": 2,
        "answered_418": 0,
    },
}


def test_lag_by_the_clock_and_the_wallet(tmp_path: Path) -> None:
    with fake_fleet(tmp_path / "fleet") as fleet:
        old = datetime.fromtimestamp(newest_closed().timestamp() - 3 * CANDLE, UTC)
        fleet.write_report(
            pairs={
                "P1X0/USDT": {"producer": "producer-1", "newest_candle": old.isoformat()},
                "P1X1/USDT": {
                    "producer": "producer-1",
                    "newest_candle": newest_closed().isoformat(),
                },
                "P1X2/USDT": {"producer": None},
            },
            waiting_pairs=["P1X1/USDT"],
        )
        fleet.open_trades([trade(3, "P1X1/USDT")])
        snapshot = take_snapshot(fleet.plan_dir, fleet.manifest, timeout=2)
    pairs = {pair.pair: (pair.lag, pair.freshness) for pair in snapshot.pairs}
    assert pairs["P1X0/USDT"][1] == "stale" and pairs["P1X0/USDT"][0] in (3, 4)
    assert pairs["P1X1/USDT"][1] == "fresh" and pairs["P1X1/USDT"][0] in (0, 1)
    assert pairs["P1X2/USDT"] == (None, "missing")
    wallet = snapshot.wallet
    assert [t["trade_id"] for t in wallet.trades] == [3]
    assert (wallet.open_trades, wallet.max_open_trades, wallet.stake_free) == (1, 3, 270.0)
    assert (wallet.profit_closed, wallet.closed_trades) == (1.25, 2)
    assert wallet.waiting_pairs == ["P1X1/USDT"]
    assert snapshot.rejected == {"duplicate": 3}
    assert [p.analysis_secs for p in snapshot.producers] == [2.5, 2.5]
    assert not any(p.over_quarter for p in snapshot.producers)  # 2.5 s of a 60 s candle
    assert snapshot.exchange is None


def test_the_gateway_and_a_down_producer(tmp_path: Path) -> None:
    with (
        fake_fleet(tmp_path / "fleet") as fleet,
        json_server({"/gateway/stats": STATS}) as (url, _),
    ):
        host, port = url.removeprefix("http://").split(":")
        gateway = GatewayEntry(
            upstream="http://exchange",
            exchange="binance",
            host=host,
            port=int(port),
            share=0.5,
            live_ttl=1.0,
        )
        manifest = fleet.manifest.model_copy(update={"gateway": gateway})
        fleet.stop("producer-1")
        snapshot = take_snapshot(fleet.plan_dir, manifest, timeout=2)
    nodes = {node.name: node.up for node in snapshot.nodes}
    assert nodes == {"gateway": True, "producer-1": False, "producer-2": True, "consumer": True}
    stale = {pair.pair for pair in snapshot.pairs if pair.freshness == "stale"}
    assert stale == set(fleet.shares["producer-1"])
    assert snapshot.exchange == {
        "state": "running",
        "weight_last_minute": 1200,
        "budget_per_minute": 3000,
        "limit_per_minute": 6000,
        "answered_429": 2,
        "answered_418": 0,
        "hit_rate": 0.9,
    }
