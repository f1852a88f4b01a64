"""The fleet backtest on futures: perpetuals made from the bundled recording, markets from
the simulator's perpetuals, shorts and funding fees in the shared-wallet and split-wallet
runs, and the fleet run equal to freqtrade's own futures backtesting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from freqtrade.data.btanalysis import load_backtest_data

from freqfleet.backtest.commands import offline_markets
from freqfleet.backtest.engine import BacktestRequest, FleetBacktester
from freqfleet.backtest.futures_data import write_futures_dataset
from freqfleet.cli import main
from freqfleet.datasets import dataset_dir
from freqfleet.fleet.partition import partition
from tests.kit.backtest_configs import fleet_config, trade_keys, write_config

SOURCES = ["ETH/BTC", "LTC/BTC", "XMR/BTC", "ADA/BTC"]
PAIRS = ["ETH/USDT:USDT", "LTC/USDT:USDT", "XMR/USDT:USDT", "ADA/USDT:USDT"]
TIMERANGE = "20180112-20180115"
ORDER_BOOK = {"price_side": "same", "use_order_book": True, "order_book_top": 1}


def futures_fleet_config(**changes: Any) -> dict[str, Any]:
    config = fleet_config(
        "FleetFuturesSampleStrategy",
        stake_currency="USDT",
        dry_run_wallet=1000,
        trading_mode="futures",
        margin_mode="isolated",
        # Binance's futures tickers have no bid or ask: freqtrade prices on the book.
        entry_pricing=dict(ORDER_BOOK),
        exit_pricing=dict(ORDER_BOOK),
        **changes,
    )
    config["exchange"]["pair_whitelist"] = list(PAIRS)
    return config


@pytest.fixture(scope="module")
def futures_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("futures-data")
    assert write_futures_dataset(dataset_dir(), target, SOURCES) == PAIRS
    return target


@pytest.fixture(scope="module")
def futures_markets(futures_data: Path) -> Iterator[dict[str, Any]]:
    with offline_markets(futures_data, "futures") as exchange:
        yield exchange


@pytest.mark.timeout(900)
def test_futures_fleet_and_split_runs_short_and_pay_funding(
    tmp_path: Path, futures_data: Path, futures_markets: dict[str, Any]
) -> None:
    config_path = write_config(tmp_path, futures_fleet_config())
    request = BacktestRequest(config_path, datadir=futures_data, timerange=TIMERANGE)
    with FleetBacktester(request, exchange_override=futures_markets) as backtester:
        comparison = backtester.run()

    runs = [comparison.fleet, *comparison.splits]
    for run in runs:
        trades = run.trades
        assert trades["is_short"].sum() > 0 and (~trades["is_short"]).sum() > 0, run.name
        assert (trades["funding_fees"] != 0).sum() > 0, run.name  # booked on some trades
        assert set(trades["leverage"]) == {2.0, 3.0}, run.name  # the sample's per tag
        assert set(trades["pair"]) <= set(run.pairs), run.name
    # The split runs cover every pair once, as `freqfleet plan` splits them.
    shares = {name: share for name, share in partition(PAIRS, ["producer-1", "producer-2"]).items()}
    assert {run.name: run.pairs for run in comparison.splits} == shares
    for run in comparison.splits:
        assert run.wallet == pytest.approx(500) and run.max_open_trades == 2
    fleet, split = comparison.figures
    assert fleet.trades == len(comparison.fleet.trades)
    assert split.trades == sum(len(run.trades) for run in comparison.splits)
    assert split.profit_abs == pytest.approx(
        sum(run.trades["profit_abs"].sum() for run in comparison.splits)
    )
    # Funding is part of every trade's profit, as freqtrade books it.
    theirs = freqtrade_backtesting(config_path, futures_data, tmp_path / "out", futures_markets)
    assert trade_keys(comparison.fleet.trades) == trade_keys(theirs)
    assert sorted(comparison.fleet.trades["funding_fees"].round(10)) == sorted(
        theirs["funding_fees"].round(10)
    )


def freqtrade_backtesting(
    config_path: Path, datadir: Path, out: Path, exchange: dict[str, Any]
) -> pd.DataFrame:
    """The real `freqtrade backtesting` command on the same config, data and markets."""
    config = json.loads("\n".join(config_path.read_text().splitlines()[1:]))
    config["exchange"].update(exchange)
    config.pop("fleet")
    plain = config_path.with_name("freqtrade-config.json")
    plain.write_text(json.dumps(config))
    out.mkdir()
    strategies = out.parent / "strategies"
    strategies.mkdir()
    (strategies / "sample.py").write_text(
        "from freqfleet.strategy import samples\n\n\n"
        "class FleetFuturesSampleStrategy(samples.FleetFuturesSampleStrategy):\n    pass\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    command = [sys.executable, "-m", "freqtrade", "backtesting", "-c", str(plain)]
    command += ["--datadir", str(datadir), "--timerange", TIMERANGE, "--export", "trades"]
    command += ["--backtest-directory", str(out), "--cache", "none"]
    command += ["--strategy-path", str(strategies), "--userdir", str(out.parent / "user_data")]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "freqtrade",
            "create-userdir",
            "--userdir",
            str(out.parent / "user_data"),
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    subprocess.run(command, check=True, capture_output=True, env=env, timeout=600)
    return load_backtest_data(out)


@pytest.mark.timeout(600)
def test_backtest_command_on_futures_makes_its_data_from_the_bundled_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_path = write_config(tmp_path, futures_fleet_config())
    assert main(["backtest", "-c", str(config_path), "--timerange", "20180113-20180114"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Fleet vs split wallets: FleetFuturesSampleStrategy, 4 pairs, 5m, 2018-01-13" in out


def test_backtest_command_on_futures_names_pairs_it_has_no_recording_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = futures_fleet_config()
    config["exchange"]["pair_whitelist"] = ["ETH/USDT:USDT", "SOL/USDT:USDT"]
    config_path = write_config(tmp_path, config)
    assert main(["backtest", "-c", str(config_path)]) == 2
    error = capsys.readouterr().err
    assert "exchange.pair_whitelist: SOL/USDT:USDT not in the bundled recording" in error
