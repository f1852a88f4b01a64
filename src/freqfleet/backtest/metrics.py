"""Figures that compare one shared wallet with split wallets.

Why these: a fleet's promise is that capital and slots are shared, so beside profit and
drawdown the report shows how much of the wallet was actually in trades (utilisation) and
how many entry signals were lost because no slot or stake was free. Every figure is
computed from freqtrade's own backtest results (its trade list and counters), the same way
for the fleet run and for the split runs added together.

Definitions:
- *utilisation* at time t: stake of all trades open at t divided by the starting wallet
  (all wallets together for split runs); its *time-weighted mean* runs over the backtested
  period.
- *lost entries*: entry signals freqtrade could not act on for lack of capacity, i.e. it
  rejected them because every ``max_open_trades`` slot was taken (freqtrade's
  ``rejected_signals``) or because the wallet could not fund the stake (freqtrade's
  ``get_trade_stake_amount`` refused). Signals on a pair that already has a trade, or on a
  locked pair, are not entries a larger wallet would have taken, so they do not count.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from freqtrade.data.metrics import calculate_max_drawdown


@dataclass(frozen=True)
class RunFigures:
    """Headline figures of one run (or of split runs added together)."""

    name: str
    starting_balance: float
    trades: int
    profit_abs: float
    profit_pct: float
    max_drawdown_abs: float
    max_drawdown_pct: float
    win_rate: float
    utilisation_mean: float
    utilisation_max: float
    lost_entries: int


def utilisation_series(
    trades: pd.DataFrame, wallet: float, start: pd.Timestamp, end: pd.Timestamp
) -> pd.Series:
    """Share of ``wallet`` in open trades, as a step function indexed by the change times."""
    if wallet <= 0:
        raise ValueError("wallet must be positive")
    changes = [pd.Series([0.0], index=[start])]
    if len(trades):
        opens = pd.Series(trades["stake_amount"].to_numpy(), index=trades["open_date"].to_numpy())
        closes = pd.Series(
            -trades["stake_amount"].to_numpy(), index=trades["close_date"].to_numpy()
        )
        changes += [opens, closes]
    steps = pd.concat(changes).groupby(level=0).sum().sort_index().cumsum()
    steps = steps[(steps.index >= start) & (steps.index <= end)]
    if steps.index[-1] != end:
        steps.loc[end] = steps.iloc[-1]
    return steps / wallet


def time_weighted_mean(series: pd.Series) -> float:
    """Mean of a step function over its index span (each value holds until the next)."""
    if len(series) < 2:
        return float(series.iloc[0]) if len(series) else 0.0
    durations = series.index.to_series().diff().shift(-1).dt.total_seconds().fillna(0.0)
    total = durations.sum()
    return float((series * durations.to_numpy()).sum() / total) if total > 0 else 0.0


def equity_curve(trades: pd.DataFrame, wallet: float, start: pd.Timestamp) -> pd.Series:
    """Wallet value after each closed trade (realised profit), starting at ``wallet``."""
    curve = pd.Series([wallet], index=[start], dtype=float)
    if len(trades):
        closed = trades.sort_values("close_date")
        profits = closed.groupby("close_date")["profit_abs"].sum().cumsum() + wallet
        curve = pd.concat([curve, profits])
    return curve


def run_figures(
    name: str,
    trades: pd.DataFrame,
    wallet: float,
    start: pd.Timestamp,
    end: pd.Timestamp,
    lost_entries: int,
) -> RunFigures:
    """Figures of a run from its trade list (freqtrade's backtest results frame)."""
    profit = float(trades["profit_abs"].sum()) if len(trades) else 0.0
    drawdown_abs = drawdown_rel = 0.0
    if len(trades):
        try:
            drawdown = calculate_max_drawdown(
                trades, value_col="profit_abs", starting_balance=wallet
            )
            drawdown_abs = float(drawdown.drawdown_abs)
            drawdown_rel = float(drawdown.relative_account_drawdown)
        except ValueError:  # freqtrade raises when no trade ever lost
            pass
    utilisation = utilisation_series(trades, wallet, start, end)
    wins = int((trades["profit_abs"] > 0).sum()) if len(trades) else 0
    return RunFigures(
        name=name,
        starting_balance=wallet,
        trades=len(trades),
        profit_abs=profit,
        profit_pct=100.0 * profit / wallet,
        max_drawdown_abs=drawdown_abs,
        max_drawdown_pct=100.0 * drawdown_rel,
        win_rate=100.0 * wins / len(trades) if len(trades) else 0.0,
        utilisation_mean=100.0 * time_weighted_mean(utilisation),
        utilisation_max=100.0 * float(utilisation.max()),
        lost_entries=lost_entries,
    )


__all__ = ["RunFigures", "equity_curve", "run_figures", "time_weighted_mean", "utilisation_series"]
