"""Backtest configs on disk: the bundled pairs, a fleet config over them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

FREQTRADE_TEMPLATES = Path(__import__("freqtrade").__file__).parent / "templates"
BUNDLED_PAIRS = [
    f"{base}/BTC"
    for base in ("ADA", "DASH", "ETC", "ETH", "LTC", "NXT", "TRX", "XLM", "XMR", "ZEC")
]


def fleet_config(strategy: str, **changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "strategy": strategy,
        "timeframe": "5m",
        "max_open_trades": 4,
        "stake_currency": "BTC",
        "stake_amount": "unlimited",
        "dry_run": True,
        "dry_run_wallet": 0.4,
        "trading_mode": "spot",
        "entry_pricing": {"price_side": "same", "use_order_book": False},
        "exit_pricing": {"price_side": "same", "use_order_book": False},
        "exchange": {"name": "binance", "key": "", "secret": "", "pair_whitelist": BUNDLED_PAIRS},
        "pairlists": [{"method": "StaticPairList"}],
        "fleet": {"producers": 2},
    }
    config.update(changes)
    return config


def write_config(folder: Path, config: dict[str, Any]) -> Path:
    path = folder / "config.json"
    path.write_text("// fleet backtest test config\n" + json.dumps(config, indent=2))
    return path


def trade_keys(trades: pd.DataFrame) -> list[tuple]:
    """A backtest's trades as comparable rows: pair, open, close, profit (10 decimals)."""
    return sorted(
        (
            row.pair,
            pd.Timestamp(row.open_date),
            pd.Timestamp(row.close_date),
            round(float(row.profit_abs), 10),
        )
        for row in trades.itertuples()
    )
