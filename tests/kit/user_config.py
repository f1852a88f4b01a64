"""A user's own fleet config and strategy, as planning tests and scenarios start from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from freqfleet.sim.config import exchange_config

PAIRS = [
    f"{base}/USDT" for base in ("BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LTC", "DOT", "TRX")
]

USER_PRICING = {
    "entry_pricing": {
        "price_side": "other",
        "use_order_book": True,
        "order_book_top": 1,
        "check_depth_of_market": {"enabled": True, "bids_to_ask_delta": 0.5},
    },
    "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
    "internals": {"process_throttle_secs": 5},
}
"""A user's pricing on order books, and a loop every 5 s: what a producer's settings change."""

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


def write_config(folder: Path, config: dict[str, Any], name: str = "config.json") -> Path:
    path = folder / name
    path.write_text("// a user's config: comments allowed\n" + json.dumps(config, indent=2))
    return path


def write_user_fleet(user_dir: Path, module: str) -> Path:
    """The README's quick start: the user's own fleet class beside the strategy it wraps."""
    strategies = user_dir / "user_data" / "strategies"
    if module != "my_strategy":
        (strategies / "my_strategy.py").rename(strategies / f"{module}.py")
    fleet = strategies / "my_fleet.py"
    fleet.write_text(
        "from freqfleet.strategy import FleetStrategy\n"
        f"from {module} import MyStrategy\n\n\n"
        "class MyFleet(FleetStrategy, MyStrategy):\n"
        "    pass\n",
        encoding="utf-8",
    )
    return strategies
