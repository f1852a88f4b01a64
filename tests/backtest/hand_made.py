"""A hand-made backtest case: 2 pairs, 1 slot, overlapping signals (metrics, report tests).

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
from freqtrade.data.history import get_datahandler
from freqtrade.enums import CandleType

from tests.kit.backtest_configs import fleet_config, write_config

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


def write_hand_made(folder: Path) -> tuple[Path, Path, Path]:
    """The case on disk under ``folder``: its config file, data folder and user_data."""
    datadir = folder / "data"
    handler = get_datahandler(datadir, "feather")
    datadir.mkdir()
    for pair in ("ETH/BTC", "LTC/BTC"):
        handler.ohlcv_store(pair, "5m", flat_candles(), CandleType.SPOT)
    userdir = folder / "user_data"
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
    return write_config(folder, config), datadir, userdir
