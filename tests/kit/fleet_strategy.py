"""Real freqtrade pieces for the fleet strategy tests.

Strategies load through freqtrade's StrategyResolver from a temporary ``user_data``;
producer frames come from running a producer strategy over the bundled 2018 candles; the
consumer's DataProvider is fed through ExternalMessageConsumer.handle_producer_message
with messages serialised and decoded as the producer's websocket does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import rapidjson
from freqtrade.data.dataprovider import DataProvider
from freqtrade.enums import RunMode
from freqtrade.resolvers import StrategyResolver
from freqtrade.rpc.api_server.ws import serializer
from freqtrade.rpc.external_message_consumer import ExternalMessageConsumer

import freqfleet
import freqfleet.strategy.samples as samples

DATA_DIR = Path(freqfleet.__file__).parent / "data" / "binance-2018"
PAIRS = ["ETH/BTC", "LTC/BTC", "ADA/BTC", "XMR/BTC"]
TIMEFRAME = "5m"

RECORDING_STRATEGY = '''
from datetime import datetime

from freqtrade.strategy import IStrategy, informative
from pandas import DataFrame

from freqfleet.strategy import FleetStrategy

CALLS = []


class Recording(IStrategy):
    """A plain strategy that records every analysis call."""

    INTERFACE_VERSION = 3
    timeframe = "5m"
    startup_candle_count = 20
    minimal_roi = {"0": 0.1}
    stoploss = -0.1

    def informative_pairs(self):
        CALLS.append("informative_pairs")
        return [("BTC/USDT", "1h")]

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        CALLS.append("populate_indicators")
        dataframe["sma"] = dataframe["close"].rolling(5).mean()
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        CALLS.append("populate_entry_trend")
        up = dataframe["close"] > dataframe["sma"]
        dataframe.loc[up, "enter_long"] = 1
        dataframe.loc[up, "enter_tag"] = "above_sma"
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        CALLS.append("populate_exit_trend")
        down = dataframe["close"] < dataframe["sma"]
        dataframe.loc[down, "exit_long"] = 1
        dataframe.loc[down, "exit_tag"] = "below_sma"
        return dataframe

    def custom_exit(self, pair, trade, current_time, current_rate, current_profit, **kwargs):
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        if dataframe.empty or "sma" not in dataframe.columns:
            return None
        return f"sma={dataframe['sma'].iat[-1]:.8f}"


class RecordingFleet(FleetStrategy, Recording):
    pass


class WithInformative(FleetStrategy, Recording):
    @informative("1h", "ETH/{stake}")
    def populate_indicators_1h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        CALLS.append("populate_indicators_1h")
        return dataframe
'''

MISPLACED_STRATEGY = """
from freqfleet.strategy import FleetStrategy
from freqfleet.strategy.samples import FleetSampleStrategy
from freqtrade.strategy import IStrategy
from pandas import DataFrame


class Plain(IStrategy):
    timeframe = "5m"
    minimal_roi = {"0": 0.1}
    stoploss = -0.1

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe


class Misplaced(Plain, FleetStrategy):
    pass
"""


def candles(pair: str, rows: int | None = None, *, end: int | None = None) -> pd.DataFrame:
    """Bundled real candles of ``pair``: ``rows`` candles ending before row ``end``."""
    frame = pd.read_feather(DATA_DIR / f"{pair.replace('/', '_')}-{TIMEFRAME}.feather")
    end = len(frame) if end is None else end
    start = 0 if rows is None else max(0, end - rows)
    return frame.iloc[start:end].reset_index(drop=True)


def make_user_data(tmp_path: Path) -> Path:
    user_data = tmp_path / "user_data"
    strategies = user_data / "strategies"
    strategies.mkdir(parents=True)
    (strategies / "recording.py").write_text(RECORDING_STRATEGY)
    (strategies / "misplaced.py").write_text(MISPLACED_STRATEGY)
    return user_data


def producer_entry(name: str) -> dict[str, Any]:
    return {"name": name, "host": "127.0.0.1", "port": 1, "ws_token": f"token-{name}"}


def bot_config(
    user_data: Path,
    strategy: str,
    producers: list[str] | None = None,
    *,
    runmode: RunMode = RunMode.DRY_RUN,
    fleet: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A freqtrade bot config; a consumer's when ``producers`` are given."""
    config: dict[str, Any] = {
        "strategy": strategy,
        "strategy_path": str(Path(samples.__file__).parent),
        "user_data_dir": user_data,
        "timeframe": TIMEFRAME,
        "stake_currency": "BTC",
        "stake_amount": 0.01,
        "max_open_trades": 3,
        "dry_run": True,
        "runmode": runmode,
        "candle_type_def": "spot",
        "exchange": {"name": "binance", "pair_whitelist": list(PAIRS)},
        "pairlists": [{"method": "StaticPairList"}],
        "entry_pricing": {},
        "exit_pricing": {},
    }
    if producers is not None:
        config["external_message_consumer"] = {
            "enabled": True,
            "producers": [producer_entry(name) for name in producers],
        }
        # These consumers' candles are the stand-in exchange's (``consumer_analyze``), of
        # recorded dates: tests of the candles from producers ask for them.
        fleet = {"consumer_candles": "exchange", **(fleet or {})}
    if fleet is not None:
        config["fleet"] = fleet
    return config


def load_strategy(config: dict[str, Any]) -> Any:
    return StrategyResolver.load_strategy(copy.deepcopy(config))


def produce(strategy: Any, pair: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Run a producer strategy's analysis over candles, as the producer bot does."""
    return strategy.analyze_ticker(frame.copy(), {"pair": pair})


def wire(message: dict[str, Any]) -> dict[str, Any]:
    """The message as the consumer decodes it after the producer's websocket sent it.

    freqtrade's serialiser does exactly this (``HybridJSONWebSocketSerializer``); its
    hooks are looked up at call time, as freqtrade does, so the fleet's codec applies.
    """
    text = str(orjson.dumps(message, default=serializer._json_default), "utf-8")
    return rapidjson.loads(text, object_hook=serializer._json_object_hook)


def market_of(pair: str) -> dict[str, Any]:
    """A spot market, or a linear swap settled in its quote for ``BASE/QUOTE:SETTLE``."""
    base, rest = pair.split("/")
    quote, _, settle = rest.partition(":")
    if not settle:
        return {"symbol": pair, "base": base, "quote": quote, "active": True, "spot": True}
    return {
        "symbol": pair,
        "base": base,
        "quote": quote,
        "settle": settle,
        "active": True,
        "spot": False,
        "swap": True,
        "future": False,
        "type": "swap",
        "linear": True,
        "contract": True,
        "contractSize": 1.0,
    }


class CandleExchange:
    """Stands in for the live exchange (which cannot exist here): closed candles per pair
    as freqtrade's exchange cache holds them, and the exchange's markets."""

    def __init__(self, pairs: list[str] | None = None) -> None:
        self.candles: dict[tuple[str, str], pd.DataFrame] = {}
        self.markets = {pair: market_of(pair) for pair in (pairs or PAIRS)}

    def set(self, pair: str, frame: pd.DataFrame, timeframe: str = TIMEFRAME) -> None:
        self.candles[(pair, timeframe)] = frame.reset_index(drop=True)

    def klines(self, pair_key: tuple[str, str, Any], copy: bool = True) -> pd.DataFrame:
        frame = self.candles.get((pair_key[0], pair_key[1]), pd.DataFrame())
        return frame.copy() if copy else frame


class ProducerFeed:
    """A consumer DataProvider fed through freqtrade's own producer message handling."""

    def __init__(self, config: dict[str, Any]) -> None:
        whitelist = config["exchange"]["pair_whitelist"]
        self.exchange = CandleExchange(list(dict.fromkeys([*PAIRS, *whitelist])))
        self.dp = DataProvider(config, self.exchange)
        quiet = {"external_message_consumer": {"enabled": True, "producers": []}}
        self.consumer = ExternalMessageConsumer(quiet, self.dp)

    def whitelist(self, producer: str, pairs: list[str]) -> None:
        self.consumer.handle_producer_message(
            producer_entry(producer), wire({"type": "whitelist", "data": pairs})
        )

    def analyzed(
        self,
        producer: str,
        pair: str,
        frame: pd.DataFrame,
        last_analyzed: datetime | None = None,
        timeframe: str = TIMEFRAME,
        candle_type: str = "spot",
    ) -> None:
        message = {
            "type": "analyzed_df",
            "data": {
                "key": [pair, timeframe, candle_type],
                # freqtrade's serialiser rewrites the dates of the frame it sends.
                "df": frame.copy(),
                "la": last_analyzed or datetime.now(UTC),
            },
        }
        self.consumer.handle_producer_message(producer_entry(producer), wire(message))

    def close(self) -> None:
        # With no producers to connect to, the consumer's event loop stops by itself.
        thread, loop = self.consumer._thread, self.consumer._loop
        if thread is not None:
            thread.join(timeout=5)
        if thread is not None and loop is not None and not thread.is_alive():
            loop.close()
            self.consumer._thread = self.consumer._loop = None
        else:
            self.consumer.shutdown()


@contextmanager
def producer_feed(config: dict[str, Any]) -> Iterator[ProducerFeed]:
    feed = ProducerFeed(config)
    try:
        yield feed
    finally:
        feed.close()


def consumer_analyze(strategy: Any, pair: str, frame: pd.DataFrame) -> pd.DataFrame:
    """One consumer loop over ``pair`` whose exchange candles are ``frame``; returns the
    analysed frame freqtrade then holds (what signals and callbacks read)."""
    exchange = strategy.dp._exchange
    exchange.set(pair, frame)
    # A bot analyses its whole whitelist each loop: every pair with candles here.
    strategy.analyze(list(dict.fromkeys(p for p, _ in exchange.candles)))
    return strategy.dp.get_analyzed_dataframe(pair, strategy.timeframe)[0]


def signals_of(frame: pd.DataFrame) -> pd.DataFrame:
    """Signals and tags per date, in one comparable form (no tag = None, no signal = 0)."""
    out = frame[["date"]].copy()
    out["date"] = out["date"].dt.as_unit("ns")
    for column in ("enter_long", "exit_long"):
        out[column] = frame[column].fillna(0).astype(int)
    for column in ("enter_tag", "exit_tag"):
        out[column] = [t if isinstance(t, str) and t else None for t in frame[column]]
    return out.reset_index(drop=True)


def recent(frame: pd.DataFrame) -> pd.DataFrame:
    """The candles moved in time so that the newest one just closed."""
    out = frame.copy()
    now = pd.Timestamp.now(tz="UTC").floor("5min") - pd.Timedelta(minutes=5)
    out["date"] = out["date"] + (now - out["date"].iat[-1])
    return out
