"""The state of a USD-M futures account and what it is worth at the mark price.

Why apart from the order handling (:mod:`freqfleet.sim.futures_account`): the wallet,
positions and per-symbol settings, and the margin they take (initial margin of cross
positions at the mark, isolated margins, open orders' margin, maintenance margin,
unrealised PnL, the available balance) are read by the views, the settlement and the
order checks alike; the changes are the account's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.futures_records import (
    FuturesOrder,
    FuturesTrade,
    Income,
    Position,
    SymbolSettings,
)
from freqfleet.sim.matching import BUY, FillModel
from freqfleet.sim.order_ledger import OrderLedger

if TYPE_CHECKING:
    from freqfleet.sim.exchange import SimExchange
    from freqfleet.sim.futures_markets import FuturesMarket

DEFAULT_LEVERAGE = 20
"""Binance's leverage of a symbol never set (capped at the symbol's maximum)."""


class FuturesBook(OrderLedger[FuturesOrder]):
    """Wallet (USDT units), positions, settings, orders, trades and income of one futures
    account on ``markets``; ``seed``: the funding rates'."""

    def __init__(
        self,
        exchange: SimExchange,
        markets: list[FuturesMarket],
        wallet: int,
        seed: int = 0,
        model: FillModel | None = None,
        first_id: int | None = None,
    ) -> None:
        super().__init__(exchange, model, first_id)
        self.markets = {m.index: m for m in markets}
        self.by_symbol = {m.symbol: m.index for m in markets}
        self.seed = seed
        self.wallet = wallet
        self.positions: dict[int, Position] = {}
        self.settings: dict[int, SymbolSettings] = {}
        self.trades: list[FuturesTrade] = []
        self.incomes: list[Income] = []
        self._next_trade = self._first_trade = self.first_id
        self._next_income = self.first_id
        self.settled_ms = self.first_id // 1000 * 1000
        """Liquidation and funding are applied up to this whole second."""

    # -- per symbol ---------------------------------------------------------------------------
    def setting(self, market: int) -> SymbolSettings:
        found = self.settings.get(market)
        if found is None:
            leverage = min(DEFAULT_LEVERAGE, self.markets[market].max_leverage)
            found = self.settings[market] = SymbolSettings(leverage)
        return found

    def position(self, market: int) -> Position:
        return self.positions.setdefault(market, Position())

    def mark(self, market: int, now_ms: int) -> int:
        from freqfleet.sim.funding import mark_price_ticks

        return mark_price_ticks(self.exchange, market, now_ms)

    # -- margin -------------------------------------------------------------------------------
    def cross_wallet(self) -> int:
        return self.wallet - sum(p.isolated_margin for p in self.positions.values())

    def unrealized(self, market: int, now_ms: int) -> int:
        pos = self.positions.get(market)
        if pos is None or pos.qty == 0:
            return 0
        return fm.unrealized(
            self.markets[market], pos.qty, pos.entry_value, self.mark(market, now_ms)
        )

    def position_margin(self, market: int, now_ms: int) -> int:
        """Initial margin of the position at the mark price (its isolated margin when
        isolated)."""
        pos = self.positions.get(market)
        if pos is None or pos.qty == 0:
            return 0
        if self.setting(market).isolated:
            return pos.isolated_margin
        value = fm.notional(self.markets[market], self.mark(market, now_ms), pos.qty)
        return fm.initial_margin(value, self.setting(market).leverage)

    def maint_margin(self, market: int, now_ms: int) -> int:
        pos = self.positions.get(market)
        if pos is None or pos.qty == 0:
            return 0
        spec = self.markets[market]
        return fm.maintenance_margin(spec, fm.notional(spec, self.mark(market, now_ms), pos.qty))

    def order_margin(self, market: int) -> int:
        """Initial margin the open orders of ``market`` hold: the part of each that would
        add to the position."""
        pos = self.positions.get(market, Position())
        spec, leverage = self.markets[market], self.setting(market).leverage
        total = 0
        for order in self.open_orders.values():
            if order.market != market or order.reduce_only:
                continue
            adds = adding(pos.qty, order.side, order.remaining)
            total += fm.initial_margin(fm.notional(spec, order.price, adds), leverage)
        return total

    def available(self, now_ms: int) -> int:
        """Wallet left for new margin: the cross wallet with the cross positions'
        unrealised PnL, less their initial margin and every open order's."""
        free = self.cross_wallet()
        for market in {*self.positions, *(o.market for o in self.open_orders.values())}:
            if not self.setting(market).isolated:
                free += self.unrealized(market, now_ms) - self.position_margin(market, now_ms)
            free -= self.order_margin(market)
        return max(0, free)


def adding(position: int, side: str, qty: int) -> int:
    """The part of ``qty`` steps on ``side`` that adds to (or flips) ``position``."""
    if position == 0 or (position > 0) == (side == BUY):
        return qty
    return max(0, qty - abs(position))


__all__ = ["DEFAULT_LEVERAGE", "FuturesBook", "adding"]
