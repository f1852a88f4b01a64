"""Fixtures for the planning tests: a user's config folder with its own strategy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from freqfleet.sim.config import exchange_config

PAIRS = [
    f"{base}/USDT" for base in ("BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LTC", "DOT", "TRX")
]

USER_STRATEGY = """
from pandas import DataFrame

from freqtrade.strategy import IStrategy


class MyStrategy(IStrategy):
    timeframe = "5m"
    startup_candle_count = 30
    minimal_roi = {"0": 0.1}
    stoploss = -0.1

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["sma"] = dataframe["close"].rolling(5).mean()
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["close"] > dataframe["sma"], "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["close"] < dataframe["sma"], "exit_long"] = 1
        return dataframe
"""


def user_config(fleet: Any = None, **changes: Any) -> dict[str, Any]:
    """A complete user config (exchange pointed at a simulator URL that need not run)."""
    config: dict[str, Any] = {
        "strategy": "MyStrategy",
        "max_open_trades": 3,
        "stake_currency": "USDT",
        "stake_amount": 50,
        "dry_run": True,
        "dry_run_wallet": 1000,
        "trading_mode": "spot",
        "entry_pricing": {"price_side": "same", "use_order_book": False},
        "exit_pricing": {"price_side": "same", "use_order_book": False},
        "exchange": exchange_config("http://127.0.0.1:9", PAIRS),
        "pairlists": [{"method": "StaticPairList"}],
        "telegram": {"enabled": True, "token": "t", "chat_id": "1"},
        "fleet": {"producers": 3} if fleet is None else fleet,
    }
    config.update(changes)
    return config


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    """A user's folder: user_data/strategies/MyStrategy.py (the config is written by tests)."""
    folder = tmp_path / "user"
    strategies = folder / "user_data" / "strategies"
    strategies.mkdir(parents=True)
    (strategies / "my_strategy.py").write_text(USER_STRATEGY, encoding="utf-8")
    return folder


def write_config(folder: Path, config: dict[str, Any], name: str = "config.json") -> Path:
    path = folder / name
    path.write_text("// a user's config: comments allowed\n" + json.dumps(config, indent=2))
    return path
