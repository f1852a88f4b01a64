"""A real ``freqtrade trade`` process with ``dry_run: false`` trades USD-M perpetuals
(isolated margin, leverage) on the simulator's futures account: a short and a long forced
in, the short forced out, and the bot's trades, positions, wallet and funding fees are the
account's."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from freqtrade_client import FtRestClient

from freqfleet.sim.launcher import RunningSimulator, running_simulator
from tests.kit.bots import bot_env
from tests.kit.force_only import write_force_only
from tests.kit.live_futures_wallet import reconcile_futures
from tests.kit.ports import free_port
from tests.kit.waiting import wait_until

API_PASSWORD = "live-futures-password-0123456789"


def live_futures_config(sim: RunningSimulator, folder: Path, port: int) -> dict[str, Any]:
    return {
        "bot_name": "live-futures",
        "dry_run": False,
        "max_open_trades": 2,
        "stake_currency": "USDT",
        "stake_amount": 60,
        "timeframe": "1m",
        "strategy": "ForceOnlyFutures",
        "user_data_dir": str(folder),
        "db_url": f"sqlite:///{folder}/live.sqlite",
        "initial_state": "running",
        "force_entry_enable": True,
        "internals": {"process_throttle_secs": 2},
        # Market orders, priced from the other side of the book (Binance futures tickers
        # have no bid and ask: freqtrade prices from the order book): each fills at once,
        # a taker's. (A limit order at the book's top rests in part when the price moves
        # first; freqtrade then books its fees at the mean of the fills' rates, not what
        # the account charged: tests/scenarios/live/test_live_futures_fees.py.)
        "order_types": {
            "entry": "market",
            "exit": "market",
            "force_entry": "market",
            "force_exit": "market",
            "stoploss": "market",
            "stoploss_on_exchange": False,
        },
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        **sim.futures_config(sim.futures_pairs[:2], bot="live-futures", live=True),
        "pairlists": [{"method": "StaticPairList"}],
        "api_server": {
            "enabled": True,
            "listen_ip_address": "127.0.0.1",
            "listen_port": port,
            "username": "live",
            "password": API_PASSWORD,
            "jwt_secret_key": "live-futures-jwt-secret-0123456789-0123456789",
            "CORS_origins": [],
        },
    }


def holds(client: FtRestClient, pairs: list[str]) -> bool:
    """Whether freqtrade's wallet (its ``/balance``) shows a position in each of ``pairs``."""
    currencies = (client.balance() or {}).get("currencies") or []
    held = {c["currency"] for c in currencies if c.get("is_position") and c.get("position")}
    return set(pairs) <= held


def settled(client: FtRestClient, trade_id: int, is_open: bool) -> bool:
    trade = client.trade(trade_id) or {}
    return trade.get("is_open") is is_open and trade.get("has_open_orders") is False


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_a_live_futures_bot_trades_short_and_long_on_the_simulators_account(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "user_data"
    write_force_only(folder, "ForceOnlyFutures", stoploss=-0.9, can_short=True)
    port = free_port()
    with running_simulator(pairs=4, seed=5, account=tmp_path / "account.json") as sim:
        short_pair, long_pair = sim.futures_pairs[:2]
        config = tmp_path / "config.json"
        config.write_text(json.dumps(live_futures_config(sim, folder, port)))
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
                lambda: (
                    bot.poll() is not None or (client.show_config() or {}).get("state") == "running"
                ),
                180,
            )
            assert running and bot.poll() is None, log.read_text()[-3000:]
            short = client.forceenter(short_pair, "short", leverage=3)
            assert isinstance(short, dict) and short.get("trade_id"), short
            long = client.forceenter(long_pair, "long", leverage=2)
            assert isinstance(long, dict) and long.get("trade_id"), long
            for trade_id in (short["trade_id"], long["trade_id"]):
                assert wait_until(lambda t=trade_id: settled(client, t, True), 120, 1), (
                    client.trade(trade_id),
                    log.read_text()[-3000:],
                )
            # freqtrade checks its own wallet before an exit ("Not enough ... in wallet",
            # then a recovery that re-reads the trade's orders): exit once its wallet holds
            # both positions, as an exit decided later in a bot's life would.
            assert wait_until(lambda: holds(client, [short_pair, long_pair]), 60, 1), (
                client.balance()
            )
            client.forceexit(short["trade_id"])
            assert wait_until(lambda: settled(client, short["trade_id"], False), 120, 1), (
                client.trade(short["trade_id"])
            )
            wallet_ms = time.time_ns() // 1_000_000
            client.reload_config()  # the wallet is read again as the bot starts over
            assert wait_until(lambda: (client.show_config() or {}).get("state") == "running", 60)
            trades = [client.trade(short["trade_id"]), client.trade(long["trade_id"])]
            balance = client.balance()
        finally:
            bot.terminate()
            bot.wait(timeout=60)
        futures = sim.account()["futures"]
        stats = sim.stats()
        sim_log = sim.log_text()
    bot_log = log.read_text()
    assert "Not simulated" not in sim_log and stats["not_simulated"] == {}, stats
    assert "Traceback" not in bot_log
    assert sim.secret not in sim_log and sim.secret not in bot_log

    closed, still_open = trades
    assert closed["is_short"] and not closed["is_open"] and closed["leverage"] == 3
    assert not still_open["is_short"] and still_open["is_open"] and still_open["leverage"] == 2
    settings = futures["settings"]
    for pair, leverage in ((short_pair, 3), (long_pair, 2)):
        symbol = pair.split(":")[0].replace("/", "")
        assert settings[symbol] == {"leverage": leverage, "marginType": "ISOLATED"}
    [position] = futures["positions"]
    assert position["marginType"] == "isolated" and float(position["positionAmt"]) > 0
    usdt = next(c for c in balance["currencies"] if c["currency"] == "USDT")
    wallet = {"free": usdt["free"], "total": usdt["balance"]}
    result = reconcile_futures(futures, trades, wallet, wallet_ms)
    assert result.clean, result.differences
    assert not result.fee_gaps, [str(gap) for gap in result.fee_gaps]
    assert not result.liquidations
    asked = set(stats["requests"])
    assert {"/fapi/v3/account", "POST /fapi/v1/order", "/fapi/v3/positionRisk"} <= asked, asked
