"""The simulated exchange account: balances, orders and trades, matched on the price path.

Why one lock around everything: a bot's requests, the simulator's own endpoints and the
matcher that runs every second all change the same balances and orders; with one lock
every request sees the account as of one moment, and matching order stays deterministic.

Balances are exact integers of asset units (1e-8), free and locked: a resting buy locks
its quote (limit price x quantity), a resting sell its base. Orders follow Binance's
statuses (NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED). The rules for fills are
:mod:`freqfleet.sim.matching`'s; this module applies them and keeps the books.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.markets import SimMarket
from freqfleet.sim.matching import BUY, Fill, FillModel, match_resting, take
from freqfleet.sim.order_ledger import CANCELED, OrderLedger
from freqfleet.sim.trade_records import TradeRecord, record_fill
from freqfleet.sim.units import quote_units, scale

NEW = "NEW"
PARTIALLY_FILLED = "PARTIALLY_FILLED"
FILLED = "FILLED"
EXPIRED = "EXPIRED"
OPEN_STATUSES = frozenset({NEW, PARTIALLY_FILLED})


@dataclass
class Balance:
    free: int = 0
    locked: int = 0


@dataclass(frozen=True)
class NewOrder:
    """A checked order request: quantity in steps, quote amount in units, price in ticks."""

    market: int
    side: str
    type: str
    time_in_force: str | None = None
    qty: int | None = None
    quote_qty: int | None = None
    price: int | None = None
    client_id: str | None = None


@dataclass
class Order:
    id: int
    client_id: str
    market: int
    symbol: str
    side: str
    type: str
    time_in_force: str
    price: int
    orig_qty: int
    orig_quote_qty: int
    time_ms: int
    status: str = NEW
    executed: int = 0
    cum_quote: int = 0
    update_ms: int = 0
    locked: int = 0
    matched_ms: int = 0
    trades: list[int] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class Trade(TradeRecord):
    commission: int
    commission_asset: str


class Account(OrderLedger[Order]):
    """One account on ``exchange``'s markets; every method takes the time it acts at."""

    def __init__(
        self,
        exchange: SimExchange,
        balances: dict[str, int],
        model: FillModel | None = None,
        first_id: int | None = None,
    ) -> None:
        super().__init__(exchange, model, first_id)
        self.balances: dict[str, Balance] = {a: Balance(free=u) for a, u in balances.items()}
        self.trades: list[Trade] = []
        self._next_trade = self._first_trade = self.first_id

    # -- placing and cancelling -------------------------------------------------------------
    def place(self, new: NewOrder, now_ms: int) -> Order:
        """A new order, matched at once as far as it can be; BinanceError when refused."""
        with self.lock:
            self.match(now_ms)
            spec = self.exchange.markets[new.market]
            client_id = new.client_id or self.new_client_id()
            known = self._client_ids.get((new.market, client_id))
            if known is not None and self.orders[known].is_open:
                raise BinanceError(-2010, "Duplicate order sent.")
            order = Order(
                id=self._next_order,
                client_id=client_id,
                market=new.market,
                symbol=spec.symbol,
                side=new.side,
                type=new.type,
                time_in_force=new.time_in_force or "GTC",
                price=new.price or 0,
                orig_qty=new.qty or 0,
                orig_quote_qty=new.quote_qty or 0,
                time_ms=now_ms,
                update_ms=now_ms,
                matched_ms=now_ms,
            )
            if new.type == "MARKET":
                self._market(order, spec, now_ms)
            else:
                self._limit(order, spec, now_ms)
            self._next_order += 1
            self.orders[order.id] = order
            if order.is_open:
                self.open_orders[order.id] = order
            self._client_ids[(new.market, client_id)] = order.id
            return order

    # -- taking from the book -----------------------------------------------------------------
    def _market(self, order: Order, spec: SimMarket, now_ms: int) -> None:
        levels, taken = self._levels(order, now_ms)
        cost = self._cost(spec)
        if order.orig_qty:
            if order.side != BUY:
                self._require(spec.base, scale(order.orig_qty, spec.amount_decimals))
            fills = take(levels, order.side, now_ms, qty=order.orig_qty, taken=taken)
        else:
            fills = take(
                levels, order.side, now_ms, budget=order.orig_quote_qty, cost=cost, taken=taken
            )
        if order.side == BUY:
            self._require(spec.quote, sum(cost(f.price, f.qty) for f in fills))
        else:
            self._require(spec.base, scale(sum(f.qty for f in fills), spec.amount_decimals))
        for fill in fills:
            self._fill(order, spec, fill, taken)
        if not order.orig_qty:
            order.orig_qty = order.executed
        done = order.executed == order.orig_qty and order.executed > 0
        self.finish(order, FILLED if done else EXPIRED, now_ms)

    def _limit(self, order: Order, spec: SimMarket, now_ms: int) -> None:
        if order.side == BUY:
            order.locked = self._cost(spec)(order.price, order.orig_qty)
            asset = spec.quote
        else:
            order.locked = scale(order.orig_qty, spec.amount_decimals)
            asset = spec.base
        self._require(asset, order.locked)
        balance = self.balances[asset]
        balance.free -= order.locked
        balance.locked += order.locked
        levels, taken = self._levels(order, now_ms)
        fills = take(levels, order.side, now_ms, qty=order.orig_qty, limit=order.price, taken=taken)
        if order.time_in_force == "FOK" and sum(f.qty for f in fills) < order.orig_qty:
            fills = []
        for fill in fills:
            self._fill(order, spec, fill, taken)
        if order.executed == order.orig_qty:
            self.finish(order, FILLED, now_ms)
        elif order.time_in_force in ("IOC", "FOK"):
            self.finish(order, EXPIRED, now_ms)
        elif order.executed:
            order.status = PARTIALLY_FILLED

    def _require(self, asset: str, units: int) -> None:
        if self.balances.get(asset, Balance()).free < units:
            raise BinanceError(-2010, "Account has insufficient balance for requested action.")

    @staticmethod
    def _cost(spec: SimMarket) -> _Cost:
        return _Cost(spec.price_decimals, spec.amount_decimals)

    # -- fills --------------------------------------------------------------------------------
    def _fill(self, order: Order, spec: SimMarket, fill: Fill, taken: dict[int, int]) -> None:
        """Book one fill: balances, commission, the order's totals, a trade."""
        base = self.balances.setdefault(spec.base, Balance())
        quote = self.balances.setdefault(spec.quote, Balance())
        qty_units = scale(fill.qty, spec.amount_decimals)
        value = self._cost(spec)(fill.price, fill.qty)
        if order.side == BUY:
            if order.type == "LIMIT":
                release = min(order.locked, self._cost(spec)(order.price, fill.qty))
                order.locked -= release
                quote.locked -= release
                quote.free += release - value
            else:
                quote.free -= value
            commission = self.model.commission(qty_units)
            base.free += qty_units - commission
            commission_asset = spec.base
        else:
            if order.type == "LIMIT":
                order.locked -= qty_units
                base.locked -= qty_units
            else:
                base.free -= qty_units
            commission = self.model.commission(value)
            quote.free += value - commission
            commission_asset = spec.quote
        if not fill.maker:
            taken[fill.price] = taken.get(fill.price, 0) + fill.qty
        money = {"commission": commission, "commission_asset": commission_asset}
        trade = record_fill(Trade, order, fill, value, self._next_trade, **money)
        self._next_trade += 1
        self.trades.append(trade)

    def finish(self, order: Order, status: str, now_ms: int) -> None:
        """Close ``order`` with ``status``, releasing what it still locks."""
        if order.locked:
            spec = self.exchange.markets[order.market]
            asset = spec.quote if order.side == BUY else spec.base
            balance = self.balances[asset]
            balance.locked -= order.locked
            balance.free += order.locked
            order.locked = 0
        order.status = status
        order.update_ms = max(order.update_ms, now_ms)
        self.open_orders.pop(order.id, None)

    # -- resting orders on the price path -------------------------------------------------------
    def match(self, now_ms: int) -> int:
        """Fill resting orders on the price path up to ``now_ms``; the number of fills."""
        count = 0
        with self.lock:
            store = self.exchange.store
            base_ms = self.exchange.model.base_ms
            for order in list(self.open_orders.values()):
                fills, reached = match_resting(
                    order.side,
                    order.price,
                    order.orig_qty - order.executed,
                    order.matched_ms,
                    now_ms,
                    functools.partial(store.closed, order.market, base_ms, count=1),
                    base_ms,
                    self.model,
                )
                order.matched_ms = max(order.matched_ms, reached)
                spec = self.exchange.markets[order.market]
                for fill in fills:
                    self._fill(order, spec, fill, {})
                if order.executed == order.orig_qty:
                    self.finish(order, FILLED, order.update_ms)
                elif fills:
                    order.status = PARTIALLY_FILLED
                count += len(fills)
        return count

    # -- reading ------------------------------------------------------------------------------
    def trade(self, trade_id: int) -> Trade:
        """The trade numbered ``trade_id`` (trades are numbered in the order they happen)."""
        return self.trades[trade_id - self._first_trade]

    def balance_units(self) -> dict[str, tuple[int, int]]:
        """Free and locked units per asset."""
        with self.lock:
            return {a: (b.free, b.locked) for a, b in self.balances.items()}

    # -- balances behind the bot's back -------------------------------------------------------
    def adjust(self, asset: str, delta: int) -> Balance:
        """Add ``delta`` units to ``asset``'s free balance (never below zero free)."""
        with self.lock:
            balance = self.balances.setdefault(asset, Balance())
            if balance.free + delta < 0:
                raise ValueError(
                    f"{asset}: free balance would go below zero (its locked part stays locked)"
                )
            balance.free += delta
            return Balance(balance.free, balance.locked)


@dataclass(frozen=True)
class _Cost:
    """Price (ticks) x quantity (steps) in quote units on one market."""

    price_decimals: int
    amount_decimals: int

    def __call__(self, price: int, qty: int) -> int:
        return quote_units(price, qty, self.price_decimals, self.amount_decimals)


__all__ = [
    "CANCELED",
    "EXPIRED",
    "FILLED",
    "NEW",
    "OPEN_STATUSES",
    "PARTIALLY_FILLED",
    "Account",
    "Balance",
    "NewOrder",
    "Order",
    "Trade",
]
