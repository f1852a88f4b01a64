"""The fleet backtest against freqtrade's own backtesting, on the bundled real candles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from freqtrade.data.btanalysis import load_backtest_data

from freqfleet.backtest.engine import BUNDLED_DATA, BacktestRequest, FleetBacktester, split_settings
from freqfleet.fleet.partition import partition
from tests.kit.backtest_configs import BUNDLED_PAIRS, fleet_config, trade_keys, write_config

TIMERANGE = "20180112-20180120"


def freqtrade_backtesting(
    config_path: Path, userdir: Path, out: Path, exchange: dict
) -> pd.DataFrame:
    """Run the real `freqtrade backtesting` command and load its trade list."""
    config = json.loads("\n".join(config_path.read_text().splitlines()[1:]))
    config["exchange"].update(exchange)
    plain = config_path.with_name("freqtrade-config.json")
    plain.write_text(json.dumps(config))
    out.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "freqtrade",
            "backtesting",
            "-c",
            str(plain),
            "--userdir",
            str(userdir),
            "--datadir",
            str(BUNDLED_DATA),
            "--timerange",
            TIMERANGE,
            "--export",
            "trades",
            "--backtest-directory",
            str(out),
            "--cache",
            "none",
        ],
        check=True,
        capture_output=True,
        env=env,
        timeout=300,
    )
    return load_backtest_data(out)


@pytest.mark.timeout(600)
def test_fleet_run_equals_freqtrade_backtesting(
    tmp_path: Path, sample_userdir: Path, bundled_markets
) -> None:
    config_path = write_config(tmp_path, fleet_config("SampleStrategy"))
    request = BacktestRequest(config_path, timerange=TIMERANGE, userdir=sample_userdir)
    with FleetBacktester(request, exchange_override=bundled_markets) as backtester:
        comparison = backtester.run()
    theirs = freqtrade_backtesting(
        config_path, sample_userdir, tmp_path / "results", bundled_markets
    )
    assert len(comparison.fleet.trades) > 10
    assert trade_keys(comparison.fleet.trades) == trade_keys(theirs)

    # The split runs cover every fleet pair exactly once, as `freqfleet plan` splits them.
    split_pairs = [pair for run in comparison.splits for pair in run.pairs]
    assert sorted(split_pairs) == sorted(BUNDLED_PAIRS)
    assert len(split_pairs) == len(set(split_pairs))
    shares = partition(BUNDLED_PAIRS, ["producer-1", "producer-2"])
    assert {run.name: run.pairs for run in comparison.splits} == {
        k: v for k, v in shares.items() if v
    }
    for run in comparison.splits:
        assert run.wallet == pytest.approx(0.2)
        assert run.max_open_trades == 2
        assert set(run.trades["pair"]) <= set(run.pairs)

    # The figures add the split runs together.
    fleet, split = comparison.figures
    assert fleet.trades == len(comparison.fleet.trades)
    assert split.trades == sum(len(run.trades) for run in comparison.splits)
    assert split.profit_abs == pytest.approx(
        sum(run.trades["profit_abs"].sum() for run in comparison.splits)
    )
    assert split.starting_balance == pytest.approx(0.4)


def test_split_settings_share_wallet_and_slots() -> None:
    config = {"dry_run_wallet": 900, "max_open_trades": 7}
    assert split_settings(config, 3) == {"dry_run_wallet": 300, "max_open_trades": 2}
    assert split_settings({"dry_run_wallet": 100, "max_open_trades": 2}, 3)["max_open_trades"] == 1
    assert (
        split_settings({"dry_run_wallet": 100, "max_open_trades": -1}, 3)["max_open_trades"] == -1
    )


def test_backtester_leaves_freqtrade_as_it_found_it(
    tmp_path: Path, sample_userdir: Path, bundled_markets
) -> None:
    from freqtrade.persistence import PairLocks, Trade

    config_path = write_config(tmp_path, fleet_config("SampleStrategy"))
    request = BacktestRequest(config_path, timerange="20180115-20180116", userdir=sample_userdir)
    with FleetBacktester(request, exchange_override=bundled_markets) as backtester:
        backtester.run()
        assert Trade.use_db is False  # freqtrade's backtesting mode while it runs
    assert Trade.use_db is True
    assert PairLocks.use_db is True
