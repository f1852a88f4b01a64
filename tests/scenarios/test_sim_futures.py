"""Unmodified freqtrade trading USDT-margined futures (dry-run) against the simulator."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas
import pytest

from freqfleet.sim.funding import FUNDING_INTERVAL_MS, funding_rate
from freqfleet.sim.launcher import RunningSimulator, running_simulator
from tests.kit.bots import bot_env

FREQTRADE = [sys.executable, "-m", "freqtrade"]

SHORT_STRATEGY = '''
from pandas import DataFrame
from freqtrade.strategy import IStrategy


class ShortEveryCandle(IStrategy):
    """Shorts every pair at once (1x) and closes each short as soon as it is open: a futures
    bot's first trades (and the funding fees freqtrade works out at an exit), quickly."""

    INTERFACE_VERSION = 3
    can_short = True
    timeframe = "1m"
    minimal_roi = {"0": 10.0}
    stoploss = -0.99
    startup_candle_count = 2

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_short"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def custom_exit(self, pair, trade, current_time, current_rate, current_profit, **kwargs):
        return "sim-exit" if trade.nr_of_successful_entries else None
'''


def futures_bot_config(sim: RunningSimulator, tmp_path: Path, pairs: list[str]) -> Path:
    user_data = tmp_path / "user_data"
    (user_data / "strategies").mkdir(parents=True, exist_ok=True)
    (user_data / "strategies" / "short_every_candle.py").write_text(SHORT_STRATEGY)
    config = {
        "dry_run": True,
        "dry_run_wallet": 10_000,
        "stake_currency": "USDT",
        "stake_amount": 50,
        "max_open_trades": len(pairs),
        "timeframe": "1m",
        **sim.futures_config(pairs, bot="futures-bot"),
        "pairlists": [{"method": "StaticPairList"}],
        # Market orders (a dry-run limit at the book's top stays open while the price moves
        # away from it), priced from the futures book.
        "order_types": {
            "entry": "market",
            "exit": "market",
            "stoploss": "market",
            "stoploss_on_exchange": False,
        },
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "user_data_dir": str(user_data),
        "db_url": f"sqlite:///{tmp_path / 'trades.sqlite'}",
        "initial_state": "running",
        "internals": {"process_throttle_secs": 2},
        "bot_name": "sim-futures-test",
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def closed_shorts(database: Path) -> list[tuple[str, float, float, float]]:
    """(pair, open rate, close rate, leverage) of short trades opened and closed by the
    dry-run exchange."""
    if not database.exists():
        return []
    query = (
        "SELECT pair, open_rate, close_rate, leverage FROM trades "
        "WHERE is_short = 1 AND is_open = 0 AND open_rate > 0 AND close_rate > 0"
    )
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            return list(connection.execute(query).fetchall())
    except sqlite3.OperationalError:
        return []  # not created yet


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_futures_dry_run_bot_opens_a_short_on_the_simulator(tmp_path: Path) -> None:
    """``trading_mode: futures``, ``margin_mode: isolated``: perpetual markets, futures
    candles, pricing from the futures book, dry-run shorts opened and closed, and the mark
    price candles and funding rates freqtrade reads for a closed trade's funding fees."""
    with running_simulator(pairs=6, seed=5) as sim:
        pairs = sim.futures_pairs[:2]
        config = futures_bot_config(sim, tmp_path, pairs)
        log = tmp_path / "freqtrade.log"
        command = [*FREQTRADE, "trade", "-c", str(config), "--strategy", "ShortEveryCandle"]
        with open(log, "w") as output:
            bot = subprocess.Popen(
                command, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT, env=bot_env()
            )
        database = tmp_path / "trades.sqlite"
        try:
            deadline = time.monotonic() + 120
            while (
                time.monotonic() < deadline
                and bot.poll() is None
                and len({row[0] for row in closed_shorts(database)}) < len(pairs)
            ):
                time.sleep(1)
            shorts = closed_shorts(database)
            # Read before stopping it: a bot stopped mid-transaction logs its own cleanup
            # error (freqtrade's, not the exchange's).
            running_log = log.read_text()
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=60)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
        text = log.read_text()
        stats = sim.stats()
    assert {row[0] for row in shorts} == set(pairs), text[-4000:]
    assert all(leverage == 1.0 for *_, leverage in shorts)
    assert stats["not_simulated"] == {}, stats
    assert stats["errors"] == {}, stats
    requests = stats["bots"]["futures-bot"]["requests"]
    assert requests["/fapi/v1/exchangeInfo"] >= 1
    assert requests["/fapi/v1/klines"] >= len(pairs)
    # Funding fees of each closed trade: 1h mark price candles and the funding rates.
    assert requests["/fapi/v1/markPriceKlines"] >= len(pairs)
    assert requests["/fapi/v1/fundingRate"] >= len(pairs)
    assert not any(path.startswith("/api/") for path in requests), requests
    assert "Traceback" not in running_log


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_futures_download_data_stores_futures_mark_and_funding_rate_candles(
    tmp_path: Path,
) -> None:
    with running_simulator(pairs=4, seed=2) as sim:
        pairs = sim.futures_pairs[:2]
        config = futures_bot_config(sim, tmp_path, pairs)
        result = subprocess.run(
            [*FREQTRADE, "download-data", "-c", str(config), "--days", "3", "-t", "1h", "5m"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=150,
        )
        stats = sim.stats()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert stats["not_simulated"] == {} and stats["errors"] == {}, stats
    assert {"/fapi/v1/klines", "/fapi/v1/markPriceKlines", "/fapi/v1/fundingRate"} <= set(
        stats["requests"]
    )
    stored = sorted(
        p.name for p in (tmp_path / "user_data" / "data" / "binance").rglob("*.feather")
    )
    kinds = ("1h-futures", "5m-futures", "1h-mark", "1h-funding_rate")
    # The stored funding rates are the simulator's, at its 8-hourly funding instants.
    btc_file = next((tmp_path / "user_data").rglob("BTC_USDT_USDT-1h-funding_rate.feather"))
    frame = pandas.read_feather(btc_file)
    assert len(frame) >= 9
    for date, rate in zip(frame["date"], frame["funding_rate"], strict=True):
        moment = int(date.timestamp() * 1000)
        assert moment % FUNDING_INTERVAL_MS == 0
        assert rate == pytest.approx(float(funding_rate(2, 0, moment)), abs=1e-12)
    assert stored == sorted(
        f"{p.replace('/', '_').replace(':', '_')}-{k}.feather" for p in pairs for k in kinds
    )
