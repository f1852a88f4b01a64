"""What ``freqfleet backtest`` does inside a real freqtrade ``Backtesting`` (the bundled
candles, markets from the simulator replaying them)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from freqtrade.exceptions import DependencyException

from freqfleet import compat
from freqfleet.backtest.commands import offline_markets
from freqfleet.backtest.engine import BacktestRequest, FleetBacktester
from tests.kit.backtest_configs import FREQTRADE_TEMPLATES, fleet_config, write_config

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """A backtester with candles and indicators loaded, and its first Backtesting."""
    folder = tmp_path_factory.mktemp("backtest")
    strategies = folder / "user_data" / "strategies"
    strategies.mkdir(parents=True)
    shutil.copy(FREQTRADE_TEMPLATES / "sample_strategy.py", strategies / "sample_strategy.py")
    config = write_config(folder, fleet_config("SampleStrategy", stake_amount=0.3))
    request = BacktestRequest(
        config, timerange="20180115-20180116", userdir=Path(strategies.parent)
    )
    with (
        offline_markets(None) as markets,
        FleetBacktester(request, exchange_override=markets) as backtester,
    ):
        backtesting, _ = backtester._load()
        yield backtester, backtesting


def test_the_first_strategy_is_the_one_run(loaded):
    backtester, _ = loaded
    backtesting = backtester._backtesting({}, ["ETH/BTC"])
    assert backtesting.strategy is backtesting.strategylist[0]
    assert backtesting.strategy.get_strategy_name() == "SampleStrategy"


def test_every_run_trades_the_first_loads_candles(loaded):
    backtester, first = loaded
    backtesting = backtester._backtesting({}, ["ETH/BTC"])
    compat.prepare_run(backtesting, first.timerange, 7, first.price_pair_prec)
    assert backtesting.timerange is first.timerange and backtesting.required_startup == 7
    assert backtesting.price_pair_prec is first.price_pair_prec


def test_entries_the_wallet_cannot_fund_are_counted(loaded):
    backtester, _ = loaded
    poor = backtester._backtesting({"dry_run_wallet": 0.1}, ["ETH/BTC"])  # stake 0.3
    own = poor.wallets.get_trade_stake_amount
    with compat.counting_stake_refusals(poor) as refused:
        for _ in range(2):
            with pytest.raises(DependencyException):
                poor.wallets.get_trade_stake_amount("ETH/BTC", 4)
    assert refused == [2]
    assert "get_trade_stake_amount" not in vars(poor.wallets)
    assert poor.wallets.get_trade_stake_amount == own


def test_a_late_consumer_enters_one_candle_later(loaded):
    backtester, first = loaded
    pair = next(iter(backtester._analysed))
    metadata = {"pair": pair}
    on_time = first.strategy.advise_entry(backtester._analysed[pair].copy(), metadata)
    with compat.entries_one_candle_late(first):
        late = first.strategy.advise_entry(backtester._analysed[pair].copy(), metadata)
    assert on_time["enter_long"].sum() > 0
    shifted = late["enter_long"].iloc[1:].fillna(0).tolist()
    assert shifted == on_time["enter_long"].iloc[:-1].fillna(0).tolist()
    assert "advise_entry" not in vars(first.strategy)
