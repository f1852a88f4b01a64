"""A strategy's informative sources, read from its class as a plan resolved it."""

from __future__ import annotations

from pathlib import Path

from freqfleet.fleet.strategy_discovery import resolve_strategy
from freqfleet.fleet.strategy_informatives import (
    Informative,
    strategy_class,
    strategy_informatives,
)
from tests.kit.user_config import user_config

INFORMATIVE_STRATEGY = """
from pandas import DataFrame

from freqtrade.strategy import IStrategy, informative


class InformativeStrategy(IStrategy):
    timeframe = "5m"
    minimal_roi = {"0": 0.1}
    stoploss = -0.1

    def informative_pairs(self):
        return [(pair, "15m") for pair in self.dp.current_whitelist()[:2]]

    @informative("1h")
    def populate_indicators_1h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    @informative("1h", "BTC/{stake}")
    def populate_indicators_btc_1h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe
"""


def test_informative_sources_from_decorators_and_informative_pairs(user_dir: Path) -> None:
    (user_dir / "user_data" / "strategies" / "informative.py").write_text(INFORMATIVE_STRATEGY)
    config = user_config(strategy="InformativeStrategy")
    info = resolve_strategy(config, user_dir)
    cls = strategy_class(info.name, info.source, info.folder)
    found = strategy_informatives(cls, config, ["ETH/USDT", "SOL/USDT", "XRP/USDT"])
    assert sorted(found, key=repr) == sorted(
        [
            Informative("", "1h", per_pair=True),
            Informative("BTC/USDT", "1h", per_pair=False),
            Informative("ETH/USDT", "15m", per_pair=False),
            Informative("SOL/USDT", "15m", per_pair=False),
        ],
        key=repr,
    )
