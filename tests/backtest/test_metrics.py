"""Utilisation and lost entries on the hand-made case of ``tests/backtest/hand_made.py``."""

from __future__ import annotations

import pandas as pd
import pytest

from freqfleet.backtest.commands import offline_markets
from freqfleet.backtest.engine import BacktestRequest, FleetBacktester
from freqfleet.backtest.metrics import time_weighted_mean, utilisation_series
from tests.backtest.hand_made import START, STEP


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
