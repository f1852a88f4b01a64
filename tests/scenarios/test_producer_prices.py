"""A planned producer prices its open virtual trades from the simulator's ticker streams:
a real ``freqtrade trade`` process holding trades spends about no ticker REST weight.

The strategy enters and exits only when told to, so the trades held through the measured
window are the ones the test opened: no exit or new entry changes the stream's symbols
(a resubscription, priced over REST until the new stream's first push)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from freqtrade_client import FtRestClient

from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.run import Supervisor, local_api_url, process_specs
from freqfleet.sim import running_simulator
from tests.kit.force_only import write_force_only
from tests.kit.ports import free_port
from tests.kit.user_config import USER_PRICING, user_config
from tests.kit.waiting import wait_until

TICKER = "/api/v3/ticker/24hr"
HELD = 3
WINDOW_SECONDS = 30
"""Six loops of the producer's 5 s throttle: 18 ticker requests with one per trade a loop."""


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_a_real_producer_prices_its_open_trades_from_the_ticker_stream(
    user_dir: Path, tmp_path: Path
) -> None:
    write_force_only(user_dir / "user_data", "HoldingStrategy", stoploss=-0.5)
    with running_simulator(pairs=8, seed=9) as sim:
        pairs = sim.pairs[:5]
        config = user_config(
            fleet={"producers": 1, "base_port": free_port()},
            strategy="HoldingStrategy",
            timeframe="1m",
            exchange=sim.exchange_config(pairs),
            **USER_PRICING,
        )
        plan = tmp_path / "plan"
        manifest = write_plan(config, validate_fleet_config(config), plan, config_dir=user_dir)
        producer = next(bot for bot in manifest.bots if bot.role == "producer")
        supervisor = Supervisor(plan, process_specs(plan, manifest, only={producer.name}))
        supervisor.start()

        def tickers() -> tuple[int, int]:
            stats: dict[str, Any] = sim.bot_stats().get(producer.name) or {}
            return (
                stats.get("requests", {}).get(TICKER, 0),
                stats.get("weight", {}).get(TICKER, 0),
            )

        def streams() -> dict[str, Any]:
            return sim.stats()["streams"]["bots"].get(producer.name) or {}

        try:
            client = FtRestClient(
                local_api_url(producer), producer.username, producer.password, timeout=10
            )
            assert wait_until(
                lambda: (client.show_config() or {}).get("state") == "running", timeout=180
            )
            # Its candles come from the kline streams: one subscription per pair.
            assert wait_until(lambda: streams().get("subscriptions", 0) >= len(pairs), 120)
            held = {trade["pair"] for trade in client.status() or []}
            for pair in pairs:
                if len(held) >= HELD:
                    break
                if pair not in held:
                    entered = client.forceenter(pair, "long")
                    assert isinstance(entered, dict) and entered.get("trade_id"), entered
                    held.add(pair)
            assert wait_until(lambda: len(client.status() or []) >= HELD, 30)
            held_before = sorted(trade["pair"] for trade in client.status() or [])
            open_trades = len(held_before)
            # The producer watches the tickers of its open trades (klines + tickers).
            assert wait_until(
                lambda: streams().get("subscriptions", 0) >= len(pairs) + open_trades, 60
            )
            time.sleep(2)  # the first pushes of the new subscriptions
            before = tickers()
            time.sleep(WINDOW_SECONDS)
            after = tickers()
            held_after = sorted(trade["pair"] for trade in client.status() or [])
            profits = [trade.get("current_rate") for trade in client.status() or []]
        finally:
            supervisor.stop()
        log = (plan / "run" / f"{producer.name}.console.log").read_text(errors="replace")
    assert held_after == held_before and all(rate and rate > 0 for rate in profits)
    # With a ticker per open trade per loop this would be about 18 requests (36 weight);
    # from the stream: none (a batched call or two when pushes come over 5 s late on a
    # loaded machine).
    spent = (after[0] - before[0], after[1] - before[1])
    assert spent[0] <= 2 and spent[1] <= 4, (spent, held_before)
    assert "ticker stream" in log and "Ticker stream failed" not in log
