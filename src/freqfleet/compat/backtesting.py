"""What ``freqfleet backtest`` does inside freqtrade's ``Backtesting``.

Each run gets its own ``Backtesting`` (its own wallet and slot count) sharing candles and
indicators computed once: freqfleet picks the strategy itself (``_set_strategy``), hands
every run the time range, start-up candles and tick sizes of the first load, counts the
entries the wallet could not fund (freqtrade swallows that refusal) and, for the delayed
run, shifts entry signals by one candle. The wraps last one run (``patches.patched``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from freqfleet.compat import patches

SIGNAL_COLUMNS = ("enter_long", "enter_short", "enter_tag")


def use_first_strategy(backtesting: Any) -> None:
    """Make ``backtesting`` run its (first) strategy, as freqtrade does per strategy."""
    backtesting._set_strategy(backtesting.strategylist[0])


FundingData = tuple[dict[str, Any], int]
"""Per pair the combined funding and mark rates, and the funding timeframe in seconds."""


def prepare_run(
    backtesting: Any,
    timerange: Any,
    required_startup: int,
    tick_sizes: Any,
    funding: FundingData | None = None,
) -> None:
    """Give a run the time range, start-up candles and tick sizes of the first load, so
    that every run trades the same candles and rounds prices the same way; on futures the
    first load's funding and mark rates too (freqtrade loads them with the candles only)."""
    backtesting.timerange = timerange
    backtesting.required_startup = required_startup
    backtesting.price_pair_prec = tick_sizes
    if funding is not None:
        backtesting.futures_data, backtesting.funding_fee_timeframe_secs = funding


def funding_data(backtesting: Any) -> FundingData | None:
    """What a futures run loaded to book funding fees (None on spot)."""
    if not getattr(backtesting, "futures_data", None):
        return None
    return dict(backtesting.futures_data), int(backtesting.funding_fee_timeframe_secs)


@contextlib.contextmanager
def counting_stake_refusals(backtesting: Any) -> Iterator[list[int]]:
    """Count entries the wallet could not fund (freqtrade swallows that refusal)."""
    from freqtrade.exceptions import DependencyException

    refused = [0]
    wallets = backtesting.wallets
    original = wallets.get_trade_stake_amount

    def get_trade_stake_amount(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        except DependencyException:
            refused[0] += 1
            raise

    with patches.patched(wallets, "get_trade_stake_amount", get_trade_stake_amount):
        yield refused


@contextlib.contextmanager
def entries_one_candle_late(backtesting: Any) -> Iterator[None]:
    """Shift the strategy's entry signals and tags by one candle (a late consumer)."""
    strategy = backtesting.strategy
    original = strategy.advise_entry

    def advise_entry(dataframe: Any, metadata: dict) -> Any:
        dataframe = original(dataframe, metadata)
        for column in SIGNAL_COLUMNS:
            if column in dataframe.columns:
                dataframe[column] = dataframe[column].shift(1)
        return dataframe

    with patches.patched(strategy, "advise_entry", advise_entry):
        yield


__all__ = [
    "SIGNAL_COLUMNS",
    "FundingData",
    "counting_stake_refusals",
    "entries_one_candle_late",
    "funding_data",
    "prepare_run",
    "use_first_strategy",
]
