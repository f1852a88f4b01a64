"""A planned producer trades on the simulator without asking for order books (a real
``freqtrade trade`` process under the supervisor)."""

from __future__ import annotations

from pathlib import Path

import pytest
from freqtrade_client import FtRestClient

from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.run import Supervisor, local_api_url, process_specs
from freqfleet.sim import running_simulator
from tests.kit.ports import free_port
from tests.kit.user_config import USER_PRICING, user_config
from tests.kit.waiting import wait_until


@pytest.mark.slow
@pytest.mark.timeout(360)
def test_a_real_producer_opens_and_closes_trades_without_order_books(
    user_dir: Path, tmp_path: Path
) -> None:
    """A planned producer as ``up`` runs it: a force entry and exit, no depth request."""
    with running_simulator(pairs=8, seed=9) as sim:
        config = user_config(
            fleet={"producers": 1, "base_port": free_port()},
            strategy="FleetSampleStrategy",
            timeframe="1m",
            exchange=sim.exchange_config(sim.pairs[:4]),
            **USER_PRICING,
        )
        plan = tmp_path / "plan"
        manifest = write_plan(config, validate_fleet_config(config), plan, config_dir=user_dir)
        producer = next(bot for bot in manifest.bots if bot.role == "producer")
        supervisor = Supervisor(plan, process_specs(plan, manifest, only={producer.name}))
        supervisor.start()
        try:
            client = FtRestClient(
                local_api_url(producer), producer.username, producer.password, timeout=10
            )
            assert wait_until(
                lambda: (client.show_config() or {}).get("state") == "running", timeout=180
            )

            def klines_fetched() -> int:
                stats = sim.bot_stats().get(producer.name) or {}
                return stats.get("requests", {}).get("/api/v3/klines", 0)

            # Its first loop fetches every pair's candles (the API may answer before it).
            assert wait_until(lambda: klines_fetched() >= 4, timeout=120)
            # The strategy may have entered pairs itself by now: force one it holds not
            # (or, holding all, exit one of its own).
            held = {trade["pair"]: trade["trade_id"] for trade in client.status() or []}
            free = [p for p in sim.pairs[:4] if p not in held]
            if free:
                entered = client.forceenter(free[0], "long")
                assert isinstance(entered, dict) and entered.get("trade_id"), entered
                trade_id = entered["trade_id"]
            else:
                trade_id = next(iter(held.values()))
            assert wait_until(lambda: (client.trade(trade_id) or {}).get("is_open"), 30)
            client.forceexit(trade_id)
            assert wait_until(lambda: (client.trade(trade_id) or {}).get("is_open") is False, 30)
            closed = client.trade(trade_id)
        finally:
            supervisor.stop()
        requests = sim.bot_stats()[producer.name]["requests"]
    assert requests["/api/v3/klines"] >= 4  # its candles, at start
    assert "/api/v3/depth" not in requests
    # Priced from the ticker: a REST ticker, or (an open trade's pair) the ticker stream.
    assert closed["open_rate"] > 0 and closed["close_rate"] > 0
    if free:  # a pair it held not: not streamed yet, so its entry price came over REST
        assert requests["/api/v3/ticker/24hr"] >= 1
