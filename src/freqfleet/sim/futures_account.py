"""The simulated USD-M futures account: a USDT wallet, one-way positions, orders and fills.

Why its own wallet: Binance keeps the USD-M futures wallet apart from the spot wallet, and
a futures bot sees only it. Positions are one-way (``positionSide`` BOTH): a buy adds to a
long or reduces a short, and a fill larger than the short flips it. Fills come from the
same book and price path as spot market ``index`` (the rules of
:mod:`freqfleet.sim.matching`); commission is 0.02 % (maker) / 0.05 % (taker) of the
fill's value, in USDT. Cross positions share the wallet; an isolated position has its own
margin (part of the wallet), taken from the available balance as it opens. Liquidation
and funding run on the market's time (:mod:`freqfleet.sim.futures_settlement`) each time
the account is matched, so they do not depend on when a bot asks.

One lock, as the spot account: a bot's requests, the simulator's endpoints and the
background matcher change the same positions.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.account import CANCELED, EXPIRED, FILLED, PARTIALLY_FILLED, Balance
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.futures_records import (
    COMMISSION,
    REALIZED_PNL,
    SETTLE,
    FuturesOrder,
    FuturesTrade,
    Income,
    NewFuturesOrder,
)
from freqfleet.sim.futures_wallet import DEFAULT_LEVERAGE, FuturesBook, adding
from freqfleet.sim.matching import BUY, Fill, match_resting, take
from freqfleet.sim.trade_records import record_fill

MAKER_BPS = Decimal(2)
TAKER_BPS = Decimal(5)


def margin_insufficient() -> BinanceError:
    return BinanceError(-2019, "Margin is insufficient.")


def too_large_for_leverage() -> BinanceError:
    return BinanceError(-2027, "Exceeded the maximum allowable position at current leverage.")


class FuturesAccount(FuturesBook):
    """The futures side of one account (:class:`FuturesBook`'s state) and what changes it;
    every method takes the time it acts at."""

    # -- settings -----------------------------------------------------------------------------
    def set_leverage(self, market: int, leverage: int, now_ms: int) -> int:
        """The leverage of ``market`` from now on; BinanceError as Binance refuses it."""
        with self.lock:
            self.match(now_ms)
            spec = self.markets[market]
            if not 1 <= leverage <= spec.max_leverage:
                raise BinanceError(-4028, f"Leverage {leverage} is not valid")
            pos = self.position(market)
            setting = self.setting(market)
            if pos.qty:
                value = fm.notional(spec, self.mark(market, now_ms), pos.qty)
                if value > fm.max_notional(spec, leverage) * 10**8:
                    raise too_large_for_leverage()
                if setting.isolated:
                    needed = fm.initial_margin(value, leverage) - pos.isolated_margin
                    if needed > 0:
                        if needed > self.available(now_ms):
                            raise margin_insufficient()
                        pos.isolated_margin += needed
            setting.leverage = leverage
            return leverage

    def set_margin_type(self, market: int, margin_type: str, now_ms: int) -> None:
        with self.lock:
            self.match(now_ms)
            setting = self.setting(market)
            if setting.margin_type == margin_type:
                raise BinanceError(-4046, "No need to change margin type.")
            if self.position(market).qty:
                raise BinanceError(-4048, "Margin type cannot be changed if there exists position.")
            if any(o.market == market for o in self.open_orders.values()):
                raise BinanceError(
                    -4047, "Margin type cannot be changed if there exists open orders."
                )
            setting.margin_type = margin_type

    # -- placing and cancelling -------------------------------------------------------------
    def place(self, new: NewFuturesOrder, now_ms: int) -> FuturesOrder:
        """A new order, matched at once as far as it can be; BinanceError when refused."""
        with self.lock:
            self.match(now_ms)
            spec = self.markets[new.market]
            client_id = new.client_id or self.new_client_id()
            known = self._client_ids.get((new.market, client_id))
            if known is not None and self.orders[known].is_open:
                raise BinanceError(-4116, "ClientOrderId is duplicated.")
            pos = self.position(new.market)
            if new.reduce_only and adding(pos.qty, new.side, new.qty) == new.qty:
                raise BinanceError(-2022, "ReduceOnly Order is rejected.")
            order = FuturesOrder(
                id=self._next_order,
                client_id=client_id,
                market=new.market,
                symbol=spec.symbol,
                side=new.side,
                type=new.type,
                time_in_force=new.time_in_force,
                price=new.price,
                orig_qty=new.qty,
                reduce_only=new.reduce_only,
                time_ms=now_ms,
                update_ms=now_ms,
                matched_ms=now_ms,
            )
            levels, taken = self._levels(order, now_ms)
            limit = order.price if order.type == "LIMIT" else None
            qty = min(new.qty, abs(pos.qty)) if new.reduce_only else new.qty
            fills = take(levels, order.side, now_ms, qty=qty, limit=limit, taken=taken)
            if order.time_in_force == "FOK" and sum(f.qty for f in fills) < order.orig_qty:
                fills = []
            self._check_margin(order, fills, now_ms)
            self._next_order += 1
            self.orders[order.id] = order
            self._client_ids[(new.market, client_id)] = order.id
            for fill in fills:
                self.book_fill(order, fill)
                taken[fill.price] = taken.get(fill.price, 0) + fill.qty
            if order.executed == order.orig_qty:
                self.finish(order, FILLED, now_ms)
            elif order.type == "MARKET" or order.time_in_force in ("IOC", "FOK"):
                if order.type == "MARKET" and order.executed:
                    order.orig_qty = order.executed
                    self.finish(order, FILLED, now_ms)
                else:
                    self.finish(order, EXPIRED, now_ms)
            else:
                order.status = PARTIALLY_FILLED if order.executed else order.status
                self.open_orders[order.id] = order
            return order

    def _check_margin(self, order: FuturesOrder, fills: list[Fill], now_ms: int) -> None:
        """-2019 when the order's new margin (its part adding to the position, at its fills'
        and then its limit price) and taker commission exceed the available balance;
        -2027 when the position would outgrow the leverage's bracket."""
        if order.reduce_only:
            return
        spec, setting = self.markets[order.market], self.setting(order.market)
        pos = self.position(order.market)
        filled = sum(f.qty for f in fills)
        value = sum(fm.notional(spec, f.price, f.qty) for f in fills)
        adds = adding(pos.qty, order.side, filled)
        needed = fm.initial_margin(value * adds // filled, setting.leverage) if filled else 0
        needed += fm.commission(value, TAKER_BPS)
        rest = order.orig_qty - filled if order.type == "LIMIT" else 0
        signed = filled if order.side == BUY else -filled
        rest_adds = adding(pos.qty + signed, order.side, rest)
        needed += fm.initial_margin(fm.notional(spec, order.price, rest_adds), setting.leverage)
        if needed > self.available(now_ms):
            raise margin_insufficient()
        after = abs(pos.qty + signed) + rest_adds
        price = order.price or self.mark(order.market, now_ms)
        if fm.notional(spec, price, after) > fm.max_notional(spec, setting.leverage) * 10**8:
            raise too_large_for_leverage()

    def cancel_all(self, market: int, now_ms: int) -> list[FuturesOrder]:
        with self.lock:
            self.match(now_ms)
            orders = [o for o in self.open_orders.values() if o.market == market]
            for order in orders:
                self.finish(order, CANCELED, now_ms)
            return orders

    # -- fills --------------------------------------------------------------------------------
    def book_fill(self, order: FuturesOrder, fill: Fill) -> FuturesTrade:
        """Book one fill: the position, realised PnL, commission, the order's totals."""
        spec, setting = self.markets[order.market], self.setting(order.market)
        pos = self.position(order.market)
        value = fm.notional(spec, fill.price, fill.qty)
        sign = 1 if order.side == BUY else -1
        realized, opening, open_value = 0, fill.qty, value
        if pos.qty and (pos.qty > 0) != (sign > 0):
            closing = min(fill.qty, abs(pos.qty))
            removed = pos.entry_value * closing // abs(pos.qty)
            closed_value = value * closing // fill.qty
            realized = closed_value - removed if pos.qty > 0 else removed - closed_value
            pos.isolated_margin -= pos.isolated_margin * closing // abs(pos.qty)
            pos.entry_value -= removed
            pos.qty += sign * closing
            opening, open_value = fill.qty - closing, value - closed_value
        if opening:
            pos.qty += sign * opening
            pos.entry_value += open_value
            if setting.isolated:
                pos.isolated_margin += fm.initial_margin(open_value, setting.leverage)
        if pos.qty == 0:
            pos.entry_value = pos.isolated_margin = 0
        pos.update_ms = fill.time_ms
        fee = fm.commission(value, MAKER_BPS if fill.maker else TAKER_BPS)
        self.wallet += realized - fee
        trade = record_fill(
            FuturesTrade,
            order,
            fill,
            value,
            self._next_trade,
            commission=fee,
            realized_pnl=realized,
        )
        self._next_trade += 1
        self.trades.append(trade)
        if realized:
            self.book_income(order.symbol, REALIZED_PNL, realized, fill.time_ms, trade.id)
        if fee:
            self.book_income(order.symbol, COMMISSION, -fee, fill.time_ms, trade.id)
        return trade

    def book_income(
        self, symbol: str, kind: str, amount: int, time_ms: int, trade_id: int | None = None
    ) -> None:
        self.incomes.append(Income(self._next_income, symbol, kind, amount, time_ms, trade_id))
        self._next_income += 1

    def finish(self, order: FuturesOrder, status: str, now_ms: int) -> None:
        order.status = status
        order.update_ms = max(order.update_ms, now_ms)
        self.open_orders.pop(order.id, None)

    # -- resting orders, liquidation and funding on the price path -----------------------------
    def match(self, now_ms: int) -> int:
        """Fill resting orders up to ``now_ms``, then liquidate and pay funding up to its
        whole second; the number of fills."""
        from freqfleet.sim.futures_settlement import settle

        count = 0
        with self.lock:
            for order in list(self.open_orders.values()):
                count += self._match_order(order, now_ms)
            settle(self, now_ms)
        return count

    def _match_order(self, order: FuturesOrder, now_ms: int) -> int:
        store, base_ms = self.exchange.store, self.exchange.model.base_ms
        fills, reached = match_resting(
            order.side,
            order.price,
            order.remaining,
            order.matched_ms,
            now_ms,
            functools.partial(store.closed, order.market, base_ms, count=1),
            base_ms,
            self.model,
        )
        order.matched_ms = max(order.matched_ms, reached)
        booked = 0
        for fill in fills:
            if order.reduce_only:
                room = order.remaining - adding(
                    self.position(order.market).qty, order.side, order.remaining
                )
                if room <= 0:
                    self.finish(order, EXPIRED, fill.time_ms)
                    return booked
                fill = Fill(fill.price, min(fill.qty, room), fill.time_ms, fill.maker)
            self.book_fill(order, fill)
            booked += 1
        if order.executed == order.orig_qty:
            self.finish(order, FILLED, order.update_ms)
        elif fills:
            order.status = PARTIALLY_FILLED
        return booked

    def adjust(self, asset: str, delta: int) -> Balance:
        """Add ``delta`` units to the USDT wallet (a transfer behind the bot's back); never
        below what positions and orders hold."""
        with self.lock:
            if asset != SETTLE:
                raise ValueError(f"{asset}: the futures wallet holds only {SETTLE}")
            if delta < 0 and -delta > self.available(self.exchange.clock()):
                raise ValueError(f"{asset}: the available balance would go below zero")
            self.wallet += delta
            held = self.wallet - self.available(self.exchange.clock())
            return Balance(self.wallet - held, held)

    # -- reading ------------------------------------------------------------------------------
    def trade(self, trade_id: int) -> FuturesTrade:
        return self.trades[trade_id - self._first_trade]

    def next_order_id(self) -> int:
        """An id for an order the exchange places itself (a liquidation)."""
        self._next_order += 1
        return self._next_order - 1

    def add_order(self, order: FuturesOrder) -> None:
        self.orders[order.id] = order
        self._client_ids[(order.market, order.client_id)] = order.id


__all__ = [
    "DEFAULT_LEVERAGE",
    "MAKER_BPS",
    "TAKER_BPS",
    "FuturesAccount",
    "margin_insufficient",
    "too_large_for_leverage",
]
