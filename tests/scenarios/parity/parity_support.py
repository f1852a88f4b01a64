"""A plain bot and a fleet side by side on the same recorded candles, one candle at a time.

The bots are real freqtrade strategies (loaded by the StrategyResolver) with real
DataProviders; the producers' analysed frames travel as freqtrade sends them (the
DataProvider's ``_emit_df``, the websocket serialiser, ``ExternalMessageConsumer``
message handling). What cannot exist here is the live exchange: ``RecordedMarket``
stands in for it, answering what freqtrade's exchange cache holds at a moment (closed
candles of every timeframe, from the bundled 5m candles) and the markets.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from freqtrade.data.dataprovider import DataProvider
from freqtrade.enums import CandleType, RPCMessageType, RunMode, TradingMode
from freqtrade.exchange import timeframe_to_minutes
from freqtrade.persistence import Order, Trade
from freqtrade.resolvers import StrategyResolver
from freqtrade.rpc.external_message_consumer import ExternalMessageConsumer

from tests.kit.fleet_strategy import DATA_DIR, market_of, producer_entry, wire

PARITY_STRATEGY = Path(__file__).parent / "parity_data" / "big_parity.py"
BASE_TIMEFRAME = "5m"


class RecordedMarket:
    """The exchange as freqtrade's cache holds it at the moment ``now``.

    The base timeframe's window starts at a fixed candle and grows (as freqtrade's
    candle cache does until it reaches its limit); other timeframes are resampled from
    every recorded 5m candle and keep only candles closed by ``now``. Dates are moved by
    whole days so that the recording ends at ``end``: freqtrade refuses candles older
    than two timeframes, and the bots run under a clock set to each candle's close.
    """

    def __init__(self, pairs: list[str], end: datetime, window_start: datetime) -> None:
        self.pairs = pairs
        self.markets = {pair: market_of(pair) for pair in pairs}
        frames = {
            pair: pd.read_feather(DATA_DIR / f"{pair.replace('/', '_')}-5m.feather")
            for pair in pairs
        }
        shift = (pd.Timestamp(end) - frames[pairs[0]]["date"].iat[-1]).floor("1D")
        for frame in frames.values():
            frame["date"] = frame["date"] + shift
        self._base = frames
        self.window_start = pd.Timestamp(window_start)
        self.now = self.window_start
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}
        self._aggregates: dict[tuple[str, int], pd.DataFrame] = {}
        self._cached_at = self.now

    def move_to(self, now: pd.Timestamp) -> None:
        self.now = now
        self._cache = {}

    @property
    def recording(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last candle date that every pair has."""
        return (
            max(frame["date"].iat[0] for frame in self._base.values()),
            min(frame["date"].iat[-1] for frame in self._base.values()),
        )

    def klines(self, pair_key: tuple[str, str, Any], copy: bool = True) -> pd.DataFrame:
        pair, timeframe, _ = pair_key
        frame = self._cache.get((pair, timeframe))
        if frame is None:
            frame = self._candles(pair, timeframe)
            self._cache[(pair, timeframe)] = frame
        return frame.copy() if copy else frame

    def _candles(self, pair: str, timeframe: str) -> pd.DataFrame:
        base = self._base.get(pair)
        if base is None:
            return pd.DataFrame()
        minutes = timeframe_to_minutes(timeframe)
        if timeframe == BASE_TIMEFRAME:
            closed_by_now = base["date"] + pd.Timedelta(minutes=5) <= self.now
            visible = closed_by_now & (base["date"] >= self.window_start)
            return base[visible].reset_index(drop=True)
        # A candle closed by now holds only base candles closed by now: the aggregate of
        # the whole recording, cut at now, is what aggregating the closed ones gives.
        frame = self._aggregates.get((pair, minutes))
        if frame is None:
            frame = (
                base.set_index("date")
                .resample(f"{minutes}min", label="left", closed="left")
                .agg(
                    {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
                )
                .dropna()
                .reset_index()
            )
            self._aggregates[(pair, minutes)] = frame
        closed = frame["date"] + pd.Timedelta(minutes=minutes) <= self.now
        return frame[closed].reset_index(drop=True)


class FuturesRecordedMarket(RecordedMarket):
    """Swap markets (``BASE/USDT:USDT``) over recorded candles, with mark and funding rates.

    ``sources`` names the recorded pair behind each swap. The futures candles are the
    recording; the mark candles are the same candles half a basis point higher; the funding
    rate of an hour is a tenth of that hour's price change, within Binance's +-0.075 %.
    """

    FUNDING_TIMEFRAME = "1h"

    def __init__(self, sources: dict[str, str], end: datetime, window_start: datetime) -> None:
        super().__init__(list(sources.values()), end, window_start)
        self.pairs = list(sources)
        self.markets = {pair: market_of(pair) for pair in sources}
        self._base = {pair: self._base[source] for pair, source in sources.items()}
        self._typed: dict[tuple[str, str, str], pd.DataFrame] = {}

    def move_to(self, now: pd.Timestamp) -> None:
        super().move_to(now)
        self._typed = {}

    def get_option(self, name: str) -> Any:
        return {"funding_fee_timeframe": self.FUNDING_TIMEFRAME}[name]

    def klines(self, pair_key: tuple[str, str, Any], copy: bool = True) -> pd.DataFrame:
        pair, timeframe, candle_type = pair_key
        kind = str(candle_type or CandleType.FUTURES)
        if kind == CandleType.FUTURES:
            return super().klines(pair_key, copy)
        key = (pair, timeframe, kind)
        frame = self._typed.get(key)
        if frame is None:
            frame = self._typed[key] = self._derived(pair, timeframe, kind)
        return frame.copy() if copy else frame

    def _derived(self, pair: str, timeframe: str, kind: str) -> pd.DataFrame:
        candles = self.klines((pair, timeframe, CandleType.FUTURES), copy=True)
        if candles.empty:
            return candles
        if kind == CandleType.MARK:
            for column in ("open", "high", "low", "close"):
                candles[column] = candles[column] * 1.00005
            return candles
        if kind == CandleType.FUNDING_RATE:
            change = (candles["close"] / candles["open"] - 1.0) / 10.0
            rate = change.clip(-0.00075, 0.00075).round(8)
            return pd.DataFrame({"date": candles["date"], "funding_rate": rate})
        return pd.DataFrame()


class RpcSink:
    """Where a producer's DataProvider sends its RPC messages (the API server's place)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def send_msg(self, msg: dict[str, Any]) -> None:
        if msg["type"] == RPCMessageType.ANALYZED_DF:
            self.messages.append(msg)

    def take(self) -> list[dict[str, Any]]:
        taken, self.messages = self.messages, []
        return taken


def assert_same_frame(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """``assert_frame_equal(check_exact=True)``, block by block first.

    Why: the harness compares some 2,000 frames of 230 columns, and pandas' assertion
    walks them column by column (a sixth of the harness's time). Frames alike in axes,
    names, dtypes and every value (NaN where NaN) pass at once; any other frame gets
    pandas' own assertion and its message.
    """
    if (
        type(actual.index) is type(expected.index)
        and type(actual.columns) is type(expected.columns)
        and actual.index.names == expected.index.names
        and actual.columns.names == expected.columns.names
        and list(actual.columns) == list(expected.columns)
        and list(actual.dtypes) == list(expected.dtypes)
        and actual.equals(expected)
    ):
        return
    pd.testing.assert_frame_equal(actual, expected, check_exact=True)


def user_data_with(tmp_path: Path, strategy_file: Path = PARITY_STRATEGY) -> Path:
    user_data = tmp_path / "user_data"
    (user_data / "strategies").mkdir(parents=True)
    shutil.copy(strategy_file, user_data / "strategies" / strategy_file.name)
    return user_data


def parity_config(
    user_data: Path, strategy: str, pairs: list[str], producers: list[str] | None = None
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "strategy": strategy,
        "user_data_dir": user_data,
        "timeframe": BASE_TIMEFRAME,
        "stake_currency": "BTC",
        "stake_amount": 0.01,
        "max_open_trades": -1,
        "dry_run": True,
        "runmode": RunMode.DRY_RUN,
        "candle_type_def": CandleType.SPOT,
        "trading_mode": "spot",
        "exchange": {"name": "binance", "pair_whitelist": list(pairs)},
        "pairlists": [{"method": "StaticPairList"}],
        "entry_pricing": {},
        "exit_pricing": {},
    }
    if producers:
        config["external_message_consumer"] = {
            "enabled": True,
            "producers": [producer_entry(name) for name in producers],
        }
        config["fleet"] = {"follow": []}
    return config


@dataclass
class Bot:
    """A strategy and its DataProvider."""

    strategy: Any
    dp: DataProvider
    pairs: list[str]
    rpc: RpcSink | None = None
    emc: ExternalMessageConsumer | None = None
    trades: dict[str, Trade] = field(default_factory=dict)

    def analyze(self) -> None:
        self.strategy.analyze(self.pairs)

    def frame(self, pair: str) -> pd.DataFrame:
        return self.dp.get_analyzed_dataframe(pair, BASE_TIMEFRAME)[0]


def start_bot(
    config: dict[str, Any], market: RecordedMarket, pairs: list[str], *, producer: bool = False
) -> Bot:
    strategy = StrategyResolver.load_strategy(copy.deepcopy(config))
    rpc = RpcSink() if producer else None
    dp = DataProvider(strategy.config, market, rpc=rpc)
    strategy.dp = dp
    emc = None
    if "external_message_consumer" in config:
        # Messages are handed to it below; with no producer to reach, its thread ends.
        quiet = {"external_message_consumer": {"enabled": True, "producers": []}}
        emc = ExternalMessageConsumer(quiet, dp)
    return Bot(strategy, dp, pairs, rpc, emc)


def stop_bot(bot: Bot) -> None:
    if bot.emc is not None:
        thread, loop = bot.emc._thread, bot.emc._loop
        if thread is not None:
            thread.join(timeout=5)
        if loop is not None and thread is not None and not thread.is_alive():
            loop.close()
            bot.emc._thread = bot.emc._loop = None


def deliver(consumer: Bot, producer_name: str, messages: list[dict[str, Any]]) -> None:
    """Producer messages through the websocket's serialiser into freqtrade's handling."""
    assert consumer.emc is not None
    for message in messages:
        consumer.emc.handle_producer_message(producer_entry(producer_name), wire(message))


def initial_messages(
    producer: Bot, candle_type: CandleType = CandleType.SPOT
) -> list[dict[str, Any]]:
    """What a producer answers a consumer that connects: whitelist, then full frames."""
    messages: list[dict[str, Any]] = [{"type": RPCMessageType.WHITELIST, "data": producer.pairs}]
    for pair in producer.pairs:
        frame, analysed = producer.dp.get_analyzed_dataframe(pair, BASE_TIMEFRAME)
        messages.append(
            {
                "type": RPCMessageType.ANALYZED_DF,
                "data": {
                    "key": (pair, BASE_TIMEFRAME, candle_type),
                    "df": frame.tail(1500),
                    "la": analysed,
                },
            }
        )
    return messages


def open_trade(pair: str, opened: datetime, rate: float, bot: str, stake: float = 0.01) -> Trade:
    """A filled long trade of ``bot`` on ``pair`` in freqtrade's database."""
    trade = Trade(
        pair=pair,
        open_date=opened.replace(tzinfo=None),
        open_rate=rate,
        amount=stake / rate,
        stake_amount=stake,
        fee_open=0.001,
        fee_close=0.001,
        exchange="binance",
        is_open=True,
        leverage=1.0,
        enter_tag="parity",
        timeframe=5,
    )
    order = Order(
        ft_order_side="buy",
        ft_pair=pair,
        ft_is_open=False,
        ft_amount=trade.amount,
        ft_price=rate,
        order_id=f"{bot}-{pair}-{opened.timestamp()}",
        status="closed",
        symbol=pair,
        order_type="limit",
        side="buy",
        price=rate,
        average=rate,
        amount=trade.amount,
        filled=trade.amount,
        remaining=0,
        cost=stake,
        order_date=opened.replace(tzinfo=None),
        order_filled_date=opened.replace(tzinfo=None),
    )
    trade.orders.append(order)
    Trade.session.add(trade)
    Trade.commit()
    return trade


def callback_calls(
    pair: str, trade: Trade, now: datetime, rate: float
) -> list[tuple[str, dict[str, Any]]]:
    """Every data-reading callback with the arguments freqtrade passes it."""
    profit = trade.calc_profit_ratio(rate)
    common = {"pair": pair, "current_time": now}
    return [
        ("custom_exit", {**common, "trade": trade, "current_rate": rate, "current_profit": profit}),
        (
            "custom_stoploss",
            {
                **common,
                "trade": trade,
                "current_rate": rate,
                "current_profit": profit,
                "after_fill": False,
            },
        ),
        (
            "custom_roi",
            {
                **common,
                "trade": trade,
                "trade_duration": int((now - trade.open_date_utc).total_seconds() // 60),
                "entry_tag": trade.enter_tag,
                "side": "long",
            },
        ),
        (
            "adjust_trade_position",
            {
                "trade": trade,
                "current_time": now,
                "current_rate": rate,
                "current_profit": profit,
                "min_stake": 0.0001,
                "max_stake": 1.0,
                "current_entry_rate": rate,
                "current_exit_rate": rate,
                "current_entry_profit": profit,
                "current_exit_profit": profit,
            },
        ),
        (
            "custom_stake_amount",
            {
                **common,
                "current_rate": rate,
                "proposed_stake": 0.01,
                "min_stake": 0.0001,
                "max_stake": 1.0,
                "leverage": 1.0,
                "entry_tag": "parity",
                "side": "long",
            },
        ),
        *[
            (
                "custom_entry_price",
                {
                    **common,
                    "trade": None,
                    "proposed_rate": rate * 1.001,
                    "entry_tag": tag,
                    "side": "long",
                },
            )
            for tag in ("rsi_dip", "bb_bounce", None)
        ],
        (
            "custom_exit_price",
            {
                **common,
                "trade": trade,
                "proposed_rate": rate * 1.001,
                "current_profit": profit,
                "exit_tag": None,
            },
        ),
        (
            "confirm_trade_entry",
            {
                **common,
                "order_type": "limit",
                "amount": 1.0,
                "rate": rate,
                "time_in_force": "GTC",
                "entry_tag": "parity",
                "side": "long",
            },
        ),
        *[
            (
                "confirm_trade_exit",
                {
                    **common,
                    "trade": trade,
                    "order_type": "limit",
                    "amount": trade.amount,
                    "rate": rate * 0.99,
                    "time_in_force": "GTC",
                    "exit_reason": reason,
                },
            )
            for reason in ("exit_signal", "ema_cross_down", "force_exit", "roi")
        ],
        (
            "leverage",
            {
                **common,
                "current_rate": rate,
                "proposed_leverage": 1.0,
                "max_leverage": 5.0,
                "entry_tag": "parity",
                "side": "long",
            },
        ),
    ]


def run_order_filled(strategy: Any, trade: Trade, now: datetime) -> dict[str, Any]:
    """``order_filled`` for the trade's entry order; what it wrote to custom data."""
    strategy.order_filled(pair=trade.pair, trade=trade, order=trade.orders[0], current_time=now)
    return {item.cd_key: item.value for item in trade.get_all_custom_data()}


def futures_parity_config(
    user_data: Path, strategy: str, pairs: list[str], producers: list[str] | None = None
) -> dict[str, Any]:
    """``parity_config`` for USDT-settled swaps in isolated margin."""
    config = parity_config(user_data, strategy, pairs, producers)
    config.update(
        stake_currency="USDT",
        stake_amount=100.0,
        trading_mode="futures",
        margin_mode="isolated",
        candle_type_def=CandleType.FUTURES,
    )
    return config


def open_futures_trade(
    pair: str, opened: datetime, rate: float, bot: str, *, short: bool, leverage: float
) -> Trade:
    """A filled isolated-margin trade of ``bot`` on the swap ``pair``, long or short."""
    stake = 100.0
    amount = stake * leverage / rate
    side = "sell" if short else "buy"
    trade = Trade(
        pair=pair,
        open_date=opened.replace(tzinfo=None),
        open_rate=rate,
        amount=amount,
        stake_amount=stake,
        fee_open=0.0005,
        fee_close=0.0005,
        exchange="binance",
        is_open=True,
        is_short=short,
        leverage=leverage,
        trading_mode=TradingMode.FUTURES,
        interest_rate=0.0,
        funding_fees=0.0,
        enter_tag="rsi_spike" if short else "rsi_dip",
        timeframe=5,
    )
    order = Order(
        ft_order_side=side,
        ft_pair=pair,
        ft_is_open=False,
        ft_amount=amount,
        ft_price=rate,
        order_id=f"{bot}-{pair}-{side}-{opened.timestamp()}",
        status="closed",
        symbol=pair,
        order_type="limit",
        side=side,
        price=rate,
        average=rate,
        amount=amount,
        filled=amount,
        remaining=0,
        cost=amount * rate,
        order_date=opened.replace(tzinfo=None),
        order_filled_date=opened.replace(tzinfo=None),
    )
    trade.orders.append(order)
    Trade.session.add(trade)
    Trade.commit()
    return trade


def step_time(market: RecordedMarket) -> datetime:
    """A moment just after the newest candle closed (when bots analyse it)."""
    return (market.now + pd.Timedelta(seconds=1)).to_pydatetime()


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
