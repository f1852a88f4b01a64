"""A fleet consumer bot in this process on the simulator: its config, its strategy's source
and the producer's messages handed to it, for the tests that drive freqtrade's
``FreqtradeBot`` loop by hand (dry-run or live).

Why one place: the consumers of those tests differ in a few settings (dry-run or live,
order types, timeouts); what a consumer on the simulator is stays the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from freqtrade.configuration import Configuration
from freqtrade.enums import RunMode
from freqtrade.freqtradebot import FreqtradeBot

from freqfleet.sim import RunningSimulator
from tests.kit.fleet_strategy import producer_entry, wire

PRODUCER = "producer-1"

_HEAD = """
from pandas import DataFrame

from freqtrade.strategy import IStrategy

from freqfleet.strategy import FleetStrategy

"""

_SILENT_ANALYSIS = """
    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 0
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe
"""


def silent_strategy(name: str, doc: str, roi: float, stoploss: float, more: str = "") -> str:
    """The source of a 1m strategy ``name`` whose analysis signals nothing (the producer's
    rows do); ``more``: its further methods, then further classes."""
    settings = f'''
class {name}(IStrategy):
    """{doc}"""

    INTERFACE_VERSION = 3
    timeframe = "1m"
    minimal_roi = {{"0": {roi!r}}}
    stoploss = {stoploss!r}
    use_exit_signal = True
    startup_candle_count = 0
'''
    return _HEAD + settings + _SILENT_ANALYSIS + more


def consumer_config(
    sim: RunningSimulator,
    tmp_path: Path,
    name: str,
    pairs: list[str],
    strategy: tuple[str, str | None],
    runmode: RunMode,
    **changes: Any,
) -> dict[str, Any]:
    """Consumer ``name``'s config on ``sim`` for ``pairs``, loaded as freqtrade loads it:
    ``strategy`` (class name, source) written to its ``user_data`` (no source: found on
    the ``strategy_path`` of ``changes``); ``changes`` (the exchange's section among them)
    set over the settings every such consumer has."""
    user_data = tmp_path / name
    (user_data / "strategies").mkdir(parents=True, exist_ok=True)
    if strategy[1] is not None:
        (user_data / "strategies" / "strategy.py").write_text(strategy[1])
    config: dict[str, Any] = {
        "bot_name": name,
        "strategy": strategy[0],
        "stake_currency": "USDT",
        "max_open_trades": len(pairs),
        "timeframe": "1m",
        "trading_mode": "spot",
        "margin_mode": "",
        "initial_state": "running",
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "pairlists": [{"method": "StaticPairList"}],
        "internals": {"process_throttle_secs": 1, "heartbeat_interval": 0},
        "user_data_dir": str(user_data),
        "datadir": str(user_data / "data"),
        "external_message_consumer": {
            "enabled": True,
            "producers": [producer_entry(PRODUCER)],
            "sleep_time": 60,
        },
        **changes,
    }
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    loaded = Configuration.from_files([str(path)])
    loaded["runmode"] = runmode
    return loaded


def send_whitelist(bot: FreqtradeBot, pairs: list[str]) -> None:
    """The producer's whitelist, as the consumer receives it."""
    message = {"type": "whitelist", "data": pairs}
    bot.emc.handle_producer_message(producer_entry(PRODUCER), wire(message))


def send_frame(bot: FreqtradeBot, pair: str, frame: pd.DataFrame) -> None:
    """The producer's analysed frame of ``pair`` (1m, spot), as the consumer receives it."""
    message = {
        "type": "analyzed_df",
        "data": {"key": [pair, "1m", "spot"], "df": frame, "la": datetime.now(UTC)},
    }
    bot.emc.handle_producer_message(producer_entry(PRODUCER), wire(message))


class OneBot:
    """freqtrade's database is one per process: a test's bots run one at a time, each
    cleaned up before the next starts and at the end."""

    def __init__(self) -> None:
        self.bot: FreqtradeBot | None = None

    def start(self, config: dict[str, Any]) -> FreqtradeBot:
        self.stop()
        self.bot = FreqtradeBot(config)
        return self.bot

    def stop(self) -> None:
        bot, self.bot = self.bot, None
        if bot is not None:
            bot.cleanup()


__all__ = [
    "PRODUCER",
    "OneBot",
    "consumer_config",
    "send_frame",
    "send_whitelist",
    "silent_strategy",
]
