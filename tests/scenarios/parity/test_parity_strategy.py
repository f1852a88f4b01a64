"""BigParity, the demanding strategy of the parity tests: its shape, frame and signals.

The strategy (``parity_data/big_parity.py``) loads through freqtrade's StrategyResolver
from a temporary ``user_data/strategies``. Its candles come from a small stand-in for the
DataProvider serving the bundled 5m candles and their 15m/1h/4h/1d aggregates, as a bot
would see them at one moment: 500 base candles, at most ten daily ones.
"""

from __future__ import annotations

import copy
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from freqtrade.enums import RunMode
from freqtrade.resolvers import StrategyResolver

from freqfleet.datasets import dataset_dir
from tests.scenarios.parity.parity_support import assert_same_frame

STRATEGY_FILE = Path(__file__).parent / "parity_data" / "big_parity.py"
PAIRS = ["ADA/BTC", "ETH/BTC", "XMR/BTC"]
NOW = pd.Timestamp("2018-01-22 12:00", tz="UTC")
MINUTES = {"5m": 5, "15m": 15, "1h": 60, "4h": 240, "1d": 1440}
INFORMATIVE_DATES = ["date_15m", "date_1h", "date_4h", "date_1d", "btc_date_5m"]


class CandleFeed:
    """The DataProvider calls the strategy makes: candles closed by ``now``, markets."""

    def __init__(self, now: pd.Timestamp, base_candles: int = 500, daily_candles: int = 10):
        self.now = now
        self.limits = {"5m": base_candles, "1d": daily_candles}
        self.analysed: dict[str, pd.DataFrame] = {}
        self._candles: dict[tuple[str, str], pd.DataFrame] = {}

    def _all(self, pair: str, timeframe: str) -> pd.DataFrame:
        key = (pair, timeframe)
        if key not in self._candles:
            name = f"{pair.replace('/', '_')}-5m.feather"
            frame = pd.read_feather(dataset_dir() / name)
            if timeframe != "5m":
                rule = f"{MINUTES[timeframe]}min"
                frame = (
                    frame.set_index("date")
                    .resample(rule, label="left", closed="left")
                    .agg(
                        {
                            "open": "first",
                            "high": "max",
                            "low": "min",
                            "close": "last",
                            "volume": "sum",
                        }
                    )
                    .dropna()
                    .reset_index()
                )
            self._candles[key] = frame
        return self._candles[key]

    def get_pair_dataframe(
        self, pair: str, timeframe: str | None = None, candle_type: str = ""
    ) -> pd.DataFrame:
        timeframe = timeframe or "5m"
        frame = self._all(pair, timeframe)
        closed = frame["date"] + pd.Timedelta(minutes=MINUTES[timeframe]) <= self.now
        limit = self.limits.get(timeframe, 1000)
        return frame[closed].iloc[-limit:].reset_index(drop=True)

    def market(self, pair: str) -> dict[str, Any]:
        base, quote = pair.split("/")
        return {"symbol": pair, "base": base, "quote": quote}

    def get_analyzed_dataframe(self, pair: str, timeframe: str) -> tuple[pd.DataFrame, datetime]:
        return self.analysed[pair], self.now.to_pydatetime()


def bot_config(user_data: Path, strategy: str) -> dict[str, Any]:
    return {
        "strategy": strategy,
        "user_data_dir": user_data,
        "timeframe": "5m",
        "stake_currency": "BTC",
        "stake_amount": 0.01,
        "max_open_trades": 3,
        "dry_run": True,
        "runmode": RunMode.DRY_RUN,
        "candle_type_def": "spot",
        "exchange": {"name": "binance", "pair_whitelist": list(PAIRS)},
        "pairlists": [{"method": "StaticPairList"}],
        "entry_pricing": {},
        "exit_pricing": {},
    }


@pytest.fixture(scope="module")
def strategies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    user_data = tmp_path_factory.mktemp("parity") / "user_data"
    (user_data / "strategies").mkdir(parents=True)
    shutil.copy(STRATEGY_FILE, user_data / "strategies" / STRATEGY_FILE.name)
    loaded = {}
    for name in ("BigParity", "BigParityFleet"):
        strategy = StrategyResolver.load_strategy(copy.deepcopy(bot_config(user_data, name)))
        strategy.dp = CandleFeed(NOW)
        loaded[name] = strategy
    return loaded


@pytest.fixture(scope="module")
def frames(strategies: dict[str, Any]) -> dict[str, pd.DataFrame]:
    strategy = strategies["BigParity"]
    return {
        pair: strategy.analyze_ticker(strategy.dp.get_pair_dataframe(pair), {"pair": pair})
        for pair in PAIRS
    }


def test_strategy_settings(strategies: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    strategy = strategies["BigParity"]
    assert strategy.INTERFACE_VERSION == 3
    assert (strategy.timeframe, strategy.startup_candle_count) == ("5m", 200)
    assert strategy.position_adjustment_enable
    assert strategy.max_entry_position_adjustment == 2
    assert strategy.use_custom_stoploss and strategy.use_custom_roi and strategy.use_exit_signal
    assert not strategy.can_short
    assert {data.timeframe for data, _ in strategy._ft_informative} == {"15m", "1h", "4h", "1d"}
    assert strategy.informative_pairs() == [("ETH/BTC", "5m")]
    monkeypatch.setitem(strategy.config, "stake_currency", "USDT")
    assert strategy.informative_pairs() == [("BTC/USDT", "5m")]


def test_frame_has_the_columns_and_dtypes_of_a_big_strategy(
    frames: dict[str, pd.DataFrame],
) -> None:
    frame = frames["ADA/BTC"]
    assert 200 <= frame.shape[1] <= 260
    assert len(frame) == 500
    for column in ["date", *INFORMATIVE_DATES]:
        assert frame[column].dtype == "datetime64[ns, UTC]", column
    assert frame["date_1h"].iloc[-1] == NOW - timedelta(hours=1)
    assert frame["date_1d"].iloc[-1] == pd.Timestamp("2018-01-21", tz="UTC")
    dtypes = frame.dtypes.astype(str)
    assert (dtypes == "float64").sum() > 150
    for column in ("is_green", "vol_spike", "bb_squeeze", "above_ema_200", "mkt_ok"):
        assert dtypes[column] == "bool", column
    for column in ("red_streak", "regime_code", "enter_long", "exit_long"):
        assert dtypes[column] == "int64", column
    assert dtypes["hour"] == "int32"
    assert pd.api.types.is_string_dtype(frame["regime"])
    assert set(frame["regime"]) == {"bull", "bear", "range"}
    assert dtypes["vol_state"] == "object"
    assert set(frame["vol_state"]) == {"high", "low", "normal"}
    # Ten daily candles are enough for the 1d informative: nothing is missing at the end.
    assert not frame.iloc[-1].isna().any()


def test_signals_fire_regularly_with_several_tags(frames: dict[str, pd.DataFrame]) -> None:
    enter_tags: set[str] = set()
    exit_tags: set[str] = set()
    for pair, frame in frames.items():
        recent = frame.iloc[-300:]
        assert recent["enter_long"].sum() >= 5, pair
        assert recent["exit_long"].sum() >= 5, pair
        assert set(recent.loc[recent["enter_long"] == 1, "enter_tag"]) - {""}
        enter_tags |= set(recent["enter_tag"]) - {""}
        exit_tags |= set(recent["exit_tag"]) - {""}
    assert len(enter_tags) >= 4
    assert len(exit_tags) >= 3


def test_fleet_class_on_a_producer_is_the_plain_strategy(
    strategies: dict[str, Any], frames: dict[str, pd.DataFrame]
) -> None:
    fleet = strategies["BigParityFleet"]
    assert fleet.fleet_role == "producer"
    pair = "ETH/BTC"
    produced = fleet.analyze_ticker(fleet.dp.get_pair_dataframe(pair), {"pair": pair})
    pd.testing.assert_frame_equal(produced, frames[pair])


def open_trade(pair: str) -> SimpleNamespace:
    return SimpleNamespace(
        pair=pair,
        open_date_utc=NOW.to_pydatetime() - timedelta(hours=1),
        stake_amount=0.01,
        nr_of_successful_entries=1,
        nr_of_successful_exits=0,
        get_custom_data=lambda key, default=None: default,
        calc_profit_ratio=lambda rate: -0.01,
    )


def test_callbacks_read_the_last_candles_unguarded(
    strategies: dict[str, Any], frames: dict[str, pd.DataFrame]
) -> None:
    strategy = strategies["BigParity"]
    pair = "XMR/BTC"
    strategy.dp.analysed[pair] = frames[pair]
    trade = open_trade(pair)
    now = NOW.to_pydatetime()
    rate = float(frames[pair]["close"].iloc[-1])
    common = {"pair": pair, "current_time": now, "side": "long", "entry_tag": "rsi_dip"}

    stake = strategy.custom_stake_amount(
        current_rate=rate,
        proposed_stake=0.01,
        min_stake=0.001,
        max_stake=1.0,
        leverage=1.0,
        **common,
    )
    assert 0.001 <= stake <= 0.01
    price = strategy.custom_entry_price(trade=None, proposed_rate=rate, **common)
    assert rate * 0.995 <= price <= rate
    assert isinstance(
        strategy.confirm_trade_entry(
            order_type="limit", amount=1.0, rate=rate, time_in_force="GTC", **common
        ),
        bool,
    )
    stop = strategy.custom_stoploss(
        pair=pair,
        trade=trade,
        current_time=now,
        current_rate=rate,
        current_profit=0.0,
        after_fill=False,
    )
    assert stop is None or -0.1 <= stop < 0
    strategy.custom_roi(
        pair=pair,
        trade=trade,
        current_time=now,
        trade_duration=60,
        entry_tag="rsi_dip",
        side="long",
    )
    strategy.custom_exit(pair, trade, now, rate, 0.0)
    strategy.adjust_trade_position(
        trade=trade,
        current_time=now,
        current_rate=rate,
        current_profit=0.0,
        min_stake=0.001,
        max_stake=1.0,
        current_entry_rate=rate,
        current_exit_rate=rate,
        current_entry_profit=0.0,
        current_exit_profit=0.0,
    )
    assert strategy.confirm_trade_exit(
        pair=pair,
        trade=trade,
        order_type="limit",
        amount=1.0,
        rate=rate,
        time_in_force="GTC",
        exit_reason="force_exit",
        current_time=now,
    )
    assert strategy.leverage(
        pair=pair,
        current_time=now,
        current_rate=rate,
        proposed_leverage=1.0,
        max_leverage=5.0,
        entry_tag=None,
        side="long",
    ) in (1.0, 2.0)

    # Like the big public strategies, the callbacks do not check that their columns exist.
    strategy.dp.analysed[pair] = frames[pair].drop(columns=["date_1h"])
    with pytest.raises(KeyError):
        strategy.custom_exit(pair, trade, now, rate, 0.01)


def test_date_1h_is_read_as_a_datetime(
    strategies: dict[str, Any], frames: dict[str, pd.DataFrame]
) -> None:
    """``custom_exit`` says ``hour_weak`` only on the candle that brings a new hour candle."""
    strategy = strategies["BigParity"]
    pair = "ADA/BTC"
    trade = open_trade(pair)
    now = NOW.to_pydatetime()
    weak_hour = {"close_1h": 1.0, "ema_20_1h": 2.0, "rsi_14": 50.0}
    reasons = []
    for end in (len(frames[pair]), len(frames[pair]) - 1):  # the 11:55 and 11:50 candles
        frame = frames[pair].iloc[:end].copy()
        for column, value in weak_hour.items():
            frame.loc[frame.index[-1], column] = value
        strategy.dp.analysed[pair] = frame
        reasons.append(strategy.custom_exit(pair, trade, now, 1.0, 0.005))
    assert reasons == ["hour_weak", None]


def test_the_frame_comparison_fails_on_any_difference_pandas_would_report() -> None:
    frame = pd.DataFrame(
        {"close": [1.0, float("nan"), 3.0], "n": [1, 2, 3], "tag": ["a", None, "c"]},
        index=pd.date_range("2026-01-01", periods=3, freq="5min", tz="UTC"),
    )
    assert_same_frame(frame.copy(), frame)
    changed = {
        "a value": frame.assign(close=[1.0, float("nan"), 3.5]),
        "a dtype": frame.assign(n=frame["n"].astype("float64")),
        "the column order": frame[["n", "close", "tag"]],
        "the index": frame.set_axis(frame.index + pd.Timedelta("5min")),
        "a NaN": frame.assign(close=[1.0, 2.0, 3.0]),
    }
    for what, other in changed.items():
        with pytest.raises(AssertionError):
            assert_same_frame(other, frame)
            pytest.fail(f"{what} went unnoticed")
