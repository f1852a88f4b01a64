"""A real ``freqtrade trade`` process with ``dry_run: false`` trades on the simulator's
account: everything it asks for is simulated, and the account ends where the trade's
orders and fees put it, to the unit."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from freqtrade_client import FtRestClient

from freqfleet.sim.launcher import RunningSimulator, running_simulator
from tests.kit.bots import bot_env
from tests.kit.force_only import write_force_only
from tests.kit.ports import free_port
from tests.kit.waiting import wait_until

API_PASSWORD = "live-password-0123456789"


def live_config(sim: RunningSimulator, folder: Path, port: int) -> dict[str, Any]:
    return {
        "bot_name": "live",
        "dry_run": False,
        "max_open_trades": 1,
        "stake_currency": "USDT",
        "stake_amount": 50,
        "timeframe": "1m",
        "strategy": "ForceOnly",
        "user_data_dir": str(folder),
        "db_url": f"sqlite:///{folder}/live.sqlite",
        "initial_state": "running",
        "force_entry_enable": True,
        "internals": {"process_throttle_secs": 2},
        # A maker entry at the bid (filled when the price comes down to it), a taker exit
        # at the bid (filled from the book at once).
        "entry_pricing": {"price_side": "same", "use_order_book": False},
        "exit_pricing": {"price_side": "other", "use_order_book": False},
        "exchange": sim.exchange_config(sim.pairs[:2], bot="live", live=True),
        "pairlists": [{"method": "StaticPairList"}],
        "api_server": {
            "enabled": True,
            "listen_ip_address": "127.0.0.1",
            "listen_port": port,
            "username": "live",
            "password": API_PASSWORD,
            "jwt_secret_key": "live-jwt-secret-0123456789-0123456789",
            "CORS_origins": [],
        },
    }


def settled(client: FtRestClient, trade_id: int, is_open: bool) -> bool:
    trade = client.trade(trade_id) or {}
    return trade.get("is_open") is is_open and trade.get("has_open_orders") is False


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_a_live_bot_opens_and_closes_a_trade_on_the_simulators_account(tmp_path: Path) -> None:
    folder = tmp_path / "user_data"
    write_force_only(folder, "ForceOnly", stoploss=-0.5)
    port = free_port()
    with running_simulator(pairs=4, seed=5, account=tmp_path / "account.json") as sim:
        config = tmp_path / "config.json"
        config.write_text(json.dumps(live_config(sim, folder, port)))
        start = sim.account()["balances"]
        log = tmp_path / "bot.out"
        with log.open("wb") as out:
            bot = subprocess.Popen(
                [sys.executable, "-m", "freqtrade", "trade", "-c", str(config)],
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=bot_env(),
            )
        try:
            client = FtRestClient(f"http://127.0.0.1:{port}", "live", API_PASSWORD, timeout=10)
            running = wait_until(
                lambda: (client.show_config() or {}).get("state") == "running", 180
            )
            assert running, log.read_text()[-3000:]
            entered = client.forceenter(sim.pairs[0], "long")
            assert isinstance(entered, dict) and entered.get("trade_id"), entered
            trade_id = entered["trade_id"]
            assert wait_until(lambda: settled(client, trade_id, True), 180, 1), client.trade(
                trade_id
            )
            client.forceexit(trade_id)
            assert wait_until(lambda: settled(client, trade_id, False), 120, 1), client.trade(
                trade_id
            )
            trade = client.trade(trade_id)
            balance = client.balance()
        finally:
            bot.terminate()
            bot.wait(timeout=60)
        account = sim.account()
        stats = sim.stats()
        sim_log = sim.log_text()
    bot_log = log.read_text()
    assert "Not simulated" not in sim_log and stats["not_simulated"] == {}
    assert "Traceback" not in bot_log
    assert sim.secret not in sim_log and sim.secret not in bot_log

    # The bot's two orders are the account's, both filled.
    orders = account["orders"]
    assert [o["status"] for o in orders] == ["FILLED", "FILLED"]
    assert [str(o["id"]) for o in orders] == [o["order_id"] for o in trade["orders"]]
    buy, sell = orders
    assert (buy["side"], sell["side"]) == ("BUY", "SELL")

    def fees(order: dict[str, Any]) -> Decimal:
        return sum(
            (Decimal(t["commission"]) for t in account["trades"] if t["orderId"] == order["id"]),
            Decimal(0),
        )

    # The account's balances: the start plus the trade's fills minus its fees, exactly.
    usdt = Decimal(start["USDT"]["free"]) - Decimal(buy["cummulativeQuoteQty"])
    usdt += Decimal(sell["cummulativeQuoteQty"]) - fees(sell)
    base = sim.pairs[0].split("/")[0]
    held = Decimal(buy["executedQty"]) - fees(buy) - Decimal(sell["executedQty"])
    final = account["balances"]
    assert Decimal(final["USDT"]["free"]) == usdt and final["USDT"]["locked"] == "0.00000000"
    assert Decimal(final[base]["free"]) == held and final[base]["locked"] == "0.00000000"
    # ... and freqtrade's own account of the same trade agrees.
    assert trade["amount"] == pytest.approx(float(sell["executedQty"]))
    # The entry's fee was taken in the base asset (freqtrade shows its cost in the quote).
    assert (trade["fee_open_currency"], trade["fee_open"]) == (base, pytest.approx(0.001))
    assert (trade["fee_close_currency"], trade["fee_close"]) == ("USDT", pytest.approx(0.001))
    assert trade["fee_close_cost"] == pytest.approx(float(fees(sell)))
    for order, rate in ((buy, trade["open_rate"]), (sell, trade["close_rate"])):
        average = Decimal(order["cummulativeQuoteQty"]) / Decimal(order["executedQty"])
        assert rate == pytest.approx(float(average))
    stake = next(c for c in balance["currencies"] if c["currency"] == "USDT")
    assert stake["free"] == pytest.approx(float(usdt))
    # What a live bot asked for, beyond market data.
    asked = set(stats["requests"])
    assert {"/api/v3/account", "POST /api/v3/order", "/api/v3/order"} <= asked
