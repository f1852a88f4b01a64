"""Fixtures for the backtest tests: markets from the simulator, configs on disk."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from freqfleet.backtest.commands import offline_markets

FREQTRADE_TEMPLATES = Path(__import__("freqtrade").__file__).parent / "templates"
BUNDLED_PAIRS = [
    f"{base}/BTC"
    for base in ("ADA", "DASH", "ETC", "ETH", "LTC", "NXT", "TRX", "XLM", "XMR", "ZEC")
]


@pytest.fixture(scope="session")
def bundled_markets() -> Iterator[dict[str, Any]]:
    """The exchange section of a simulator replaying the bundled candles (markets only)."""
    with offline_markets(None) as exchange:
        yield exchange


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


@pytest.fixture
def sample_userdir(tmp_path: Path) -> Path:
    """A user_data folder holding freqtrade's own sample strategy (class SampleStrategy)."""
    strategies = tmp_path / "user_data" / "strategies"
    strategies.mkdir(parents=True)
    shutil.copy(FREQTRADE_TEMPLATES / "sample_strategy.py", strategies / "sample_strategy.py")
    return tmp_path / "user_data"


@pytest.fixture
def hand_made(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The hand-made case of ``tests/backtest/hand_made.py``: config, data and user_data."""
    from tests.backtest.hand_made import write_hand_made

    return write_hand_made(tmp_path)
