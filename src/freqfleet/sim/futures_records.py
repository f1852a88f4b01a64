"""What a USD-M futures account keeps: positions, orders, trades and income records.

Why plain records: the account (:mod:`freqfleet.sim.futures_account`) changes them under its
lock, the views (:mod:`freqfleet.sim.futures_views`) write them as Binance's JSON; amounts
are exact integers (USDT units of 1e-8, quantities in steps, prices in ticks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from freqfleet.sim.account import OPEN_STATUSES
from freqfleet.sim.trade_records import TradeRecord

CROSSED = "CROSSED"
ISOLATED = "ISOLATED"
LIQUIDATION = "LIQUIDATION"
FUNDING_FEE = "FUNDING_FEE"
REALIZED_PNL = "REALIZED_PNL"
COMMISSION = "COMMISSION"
SETTLE = "USDT"


@dataclass
class Position:
    """One symbol's one-way position: ``qty`` signed steps (long > 0), ``entry_value`` what
    the open quantity cost (units), ``isolated_margin`` its isolated wallet (units)."""

    qty: int = 0
    entry_value: int = 0
    isolated_margin: int = 0
    update_ms: int = 0


@dataclass
class SymbolSettings:
    leverage: int
    margin_type: str = CROSSED

    @property
    def isolated(self) -> bool:
        return self.margin_type == ISOLATED


@dataclass(frozen=True)
class NewFuturesOrder:
    """A checked order request: quantity in steps, price in ticks."""

    market: int
    side: str
    type: str
    qty: int
    time_in_force: str = "GTC"
    price: int = 0
    reduce_only: bool = False
    client_id: str | None = None


@dataclass
class FuturesOrder:
    id: int
    client_id: str
    market: int
    symbol: str
    side: str
    type: str
    time_in_force: str
    price: int
    orig_qty: int
    reduce_only: bool
    time_ms: int
    status: str = "NEW"
    executed: int = 0
    cum_quote: int = 0
    update_ms: int = 0
    matched_ms: int = 0
    trades: list[int] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> int:
        return self.orig_qty - self.executed


@dataclass(frozen=True)
class FuturesTrade(TradeRecord):
    commission: int
    realized_pnl: int


@dataclass(frozen=True)
class Income:
    """One line of ``GET /fapi/v1/income``: ``amount`` units (signed) of USDT."""

    id: int
    symbol: str
    kind: str
    amount: int
    time_ms: int
    trade_id: int | None = None


__all__ = [
    "COMMISSION",
    "CROSSED",
    "FUNDING_FEE",
    "ISOLATED",
    "LIQUIDATION",
    "REALIZED_PNL",
    "SETTLE",
    "FuturesOrder",
    "FuturesTrade",
    "Income",
    "NewFuturesOrder",
    "Position",
    "SymbolSettings",
]
