"""Utilisation and lost entries on a hand-made case: 2 pairs, 1 slot, overlapping signals.

The candles are flat (price 0.0125, no fee), so every trade's profit is zero and only the
timing matters. Signals (candle numbers; freqtrade acts on the next candle's open):

    ETH/BTC  enter @100, exit @110   -> trade from candle 101 to 111
    LTC/BTC  enter @102              -> the only slot is taken: one entry lost
    LTC/BTC  enter @150, exit @160   -> trade from candle 151 to 161

Fleet: wallet 0.1 BTC, 1 slot, stake 0.05 BTC: two trades of 10 candles each at 50 % of
the wallet, so the time-weighted utilisation over the 300 candles (299 intervals) is
0.5 * 20 / 299, at most 50 %, and 1 entry is lost (no slot).
Split (2 producers): each wallet is 0.05 BTC; with freqtrade's default
tradable_balance_ratio (0.99) it cannot fund a 0.05 BTC stake, so all 3 signals are lost
(no stake) and no trade opens, whichever producer each pair belongs to.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from freqtrade.data.history import get_datahandler
from freqtrade.enums import CandleType

from freqfleet.backtest.commands import offline_markets
from freqfleet.backtest.engine import BacktestRequest, FleetBacktester
from freqfleet.backtest.metrics import time_weighted_mean, utilisation_series
from tests.backtest.conftest import fleet_config, write_config

START = pd.Timestamp("2018-01-10 00:00", tz="UTC")
CANDLES = 300
STEP = pd.Timedelta(minutes=5)

STRATEGY = f'''
import pandas as pd
from freqtrade.strategy import IStrategy

START = pd.Timestamp("{START.isoformat()}")
STEP = pd.Timedelta(minutes=5)
SIGNALS = {{
    "ETH/BTC": {{"enter": [100], "exit": [110]}},
    "LTC/BTC": {{"enter": [102, 150], "exit": [160]}},
}}


class HandMade(IStrategy):
    timeframe = "5m"
    startup_candle_count = 0
    minimal_roi = {{"0": 100}}
    stoploss = -0.99

    def populate_indicators(self, dataframe, metadata):
        return dataframe

    def _at(self, dataframe, metadata, kind):
        dates = [START + n * STEP for n in SIGNALS[metadata["pair"]][kind]]
        return dataframe["date"].isin(dates)

    def populate_entry_trend(self, dataframe, metadata):
        dataframe.loc[self._at(dataframe, metadata, "enter"), "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe, metadata):
        dataframe.loc[self._at(dataframe, metadata, "exit"), "exit_long"] = 1
        return dataframe
'''


def flat_candles() -> pd.DataFrame:
    dates = pd.date_range(START, periods=CANDLES, freq=STEP)
    return pd.DataFrame(
        {
            "date": dates,
            "open": 0.0125,
            "high": 0.0125,
            "low": 0.0125,
            "close": 0.0125,
            "volume": 1000.5,
        }
    )


@pytest.fixture
def hand_made(tmp_path: Path) -> tuple[Path, Path, Path]:
    datadir = tmp_path / "data"
    handler = get_datahandler(datadir, "feather")
    datadir.mkdir()
    for pair in ("ETH/BTC", "LTC/BTC"):
        handler.ohlcv_store(pair, "5m", flat_candles(), CandleType.SPOT)
    userdir = tmp_path / "user_data"
    (userdir / "strategies").mkdir(parents=True)
    (userdir / "strategies" / "hand_made.py").write_text(STRATEGY)
    config = fleet_config(
        "HandMade",
        max_open_trades=1,
        stake_amount=0.05,
        dry_run_wallet=0.1,
        fee=0.0,
        startup_candle_count=0,
    )
    config["exchange"]["pair_whitelist"] = ["ETH/BTC", "LTC/BTC"]
    return write_config(tmp_path, config), datadir, userdir


def test_utilisation_and_lost_entries_on_a_hand_made_case(hand_made) -> None:
    config_path, datadir, userdir = hand_made
    request = BacktestRequest(config_path, datadir=datadir, userdir=userdir)
    with (
        offline_markets(datadir) as exchange,
        FleetBacktester(request, exchange_override=exchange) as backtester,
    ):
        comparison = backtester.run()

    fleet_trades = comparison.fleet.trades.sort_values("open_date")
    assert list(fleet_trades["pair"]) == ["ETH/BTC", "LTC/BTC"]
    assert list(fleet_trades["open_date"]) == [START + 101 * STEP, START + 151 * STEP]
    assert list(fleet_trades["close_date"]) == [START + 111 * STEP, START + 161 * STEP]
    assert comparison.fleet.rejected_no_slot == 1
    assert comparison.fleet.rejected_no_stake == 0

    fleet, split = comparison.figures
    assert fleet.lost_entries == 1
    assert fleet.utilisation_mean == pytest.approx(100 * 0.5 * 20 / 299)
    assert fleet.utilisation_max == pytest.approx(50.0)
    assert fleet.profit_abs == pytest.approx(0.0)

    assert split.trades == 0
    assert split.lost_entries == 3
    assert sum(run.rejected_no_stake for run in comparison.splits) == 3
    assert split.utilisation_mean == 0.0


def test_time_weighted_mean_of_a_step_function() -> None:
    index = pd.to_datetime(["2020-01-01 00:00", "2020-01-01 01:00", "2020-01-01 04:00"], utc=True)
    # 1.0 for one hour, then 0.0 for three hours: mean 0.25
    assert time_weighted_mean(pd.Series([1.0, 0.0, 0.0], index=index)) == pytest.approx(0.25)


def test_utilisation_adds_overlapping_trades() -> None:
    start = pd.Timestamp("2020-01-01 00:00", tz="UTC")
    hour = pd.Timedelta(hours=1)
    trades = pd.DataFrame(
        {
            "open_date": [start + hour, start + 2 * hour],
            "close_date": [start + 3 * hour, start + 4 * hour],
            "stake_amount": [10.0, 30.0],
        }
    )
    series = utilisation_series(trades, wallet=100.0, start=start, end=start + 4 * hour)
    assert list(series.to_numpy()) == pytest.approx([0.0, 0.1, 0.4, 0.3, 0.0])
    # 0.1 for 1 h + 0.4 for 1 h + 0.3 for 1 h over 4 h
    assert time_weighted_mean(series) == pytest.approx(0.8 / 4)
