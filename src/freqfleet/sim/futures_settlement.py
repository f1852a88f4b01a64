"""Liquidation and funding of a futures account on the market's time.

Why on whole seconds of market time: the account is matched whenever a bot asks and once a
second in the background; checking the mark price at each whole second since the last
check, and paying funding at the funding instants themselves, makes a run's liquidations
and funding fees the same whatever the moments the account was matched at.

- **Liquidation**: an isolated position whose margin balance (isolated margin + unrealised
  PnL) is at or below its maintenance margin at the mark price, or every cross position
  once the cross margin balance (cross wallet + all cross unrealised PnL) is at or below
  their maintenance margins, is closed at the mark price by a ``LIQUIDATION`` order with
  client id ``autoclose-<time>`` (Binance's), taker commission; its open orders are
  cancelled first. The loss is booked in full (no insurance fund).
- **Funding**: at each instant of :func:`freqfleet.sim.funding.funding_times`, each open
  position receives ``-sign(qty) x notional at mark x rate`` (longs pay when the rate is
  positive), booked as ``FUNDING_FEE`` income; an isolated position's margin takes it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.account import CANCELED, FILLED
from freqfleet.sim.funding import funding_rate, funding_times
from freqfleet.sim.futures_records import FUNDING_FEE, LIQUIDATION, FuturesOrder
from freqfleet.sim.matching import BUY, SELL, Fill

if TYPE_CHECKING:
    from freqfleet.sim.futures_account import FuturesAccount

SECOND_MS = 1_000


def settle(account: FuturesAccount, now_ms: int) -> None:
    """Apply funding and liquidations from ``account.settled_ms`` up to ``now_ms``'s second.

    A stretch (up to the next base candle or funding instant) in which no mark price the
    candles allow could liquidate anything, even with every market at its worst at once,
    is skipped whole; only the others are read second by second."""
    end = now_ms // SECOND_MS * SECOND_MS
    base_ms = account.exchange.model.base_ms
    t = account.settled_ms
    while t < end and any(p.qty for p in account.positions.values()):
        stop = min(end, (t // base_ms + 1) * base_ms)
        instants = funding_times(t, stop, account.exchange.funding_interval_ms)
        stop = instants[0] if instants else stop
        if _may_liquidate(account, t, stop):
            while t < stop and any(p.qty for p in account.positions.values()):
                t += SECOND_MS
                liquidate_due(account, t, funding=t == stop and bool(instants))
            t = stop
        else:
            t = stop
            if instants:
                liquidate_due(account, t, funding=True)
    account.settled_ms = max(account.settled_ms, end)


def _may_liquidate(account: FuturesAccount, start_ms: int, stop_ms: int) -> bool:
    """Whether a mark price within the base candles of ``(start_ms, stop_ms]`` could
    liquidate a position (each market at its worst for the positions held)."""
    store, base_ms = account.exchange.store, account.exchange.model.base_ms
    first, last = start_ms // base_ms, (stop_ms - 1) // base_ms
    marks: dict[int, int] = {}
    for market, pos in account.positions.items():
        if pos.qty:
            rows = store.closed(market, base_ms, first, last - first + 1)
            at_stop = account.mark(market, stop_ms)
            if pos.qty > 0:
                marks[market] = min(int(rows.low.min()), at_stop)
            else:
                marks[market] = max(int(rows.high.max()), at_stop)
    return bool(_due(account, marks))


def _due(account: FuturesAccount, marks: dict[int, int]) -> list[int]:
    """The markets whose positions are liquidated at the mark prices ``marks``."""
    due: list[int] = []
    cross: list[int] = []
    upnl: dict[int, int] = {}
    maint: dict[int, int] = {}
    for market, mark in sorted(marks.items()):
        spec, pos = account.markets[market], account.positions[market]
        upnl[market] = fm.unrealized(spec, pos.qty, pos.entry_value, mark)
        maint[market] = fm.maintenance_margin(spec, fm.notional(spec, mark, pos.qty))
        if not account.setting(market).isolated:
            cross.append(market)
        elif pos.isolated_margin + upnl[market] <= maint[market]:
            due.append(market)
    if cross:
        balance = account.cross_wallet() + sum(upnl[m] for m in cross)
        if balance <= sum(maint[m] for m in cross):
            due.extend(cross)
    return due


def pay_funding(account: FuturesAccount, at_ms: int) -> None:
    for market, pos in sorted(account.positions.items()):
        if not pos.qty:
            continue
        spec = account.markets[market]
        value = fm.notional(spec, account.mark(market, at_ms), pos.qty)
        fee = fm.funding_fee(value, funding_rate(account.seed, market, at_ms))
        income = -fee if pos.qty > 0 else fee
        if not income:
            continue
        account.wallet += income
        if account.setting(market).isolated:
            pos.isolated_margin = max(0, pos.isolated_margin + income)
        account.book_income(spec.symbol, FUNDING_FEE, income, at_ms)


def liquidate_due(account: FuturesAccount, at_ms: int, funding: bool = False) -> list[int]:
    """Pay funding first when ``at_ms`` is a funding instant (``funding``), then liquidate
    what is due at ``at_ms``'s mark prices; the markets liquidated."""
    if funding:
        pay_funding(account, at_ms)
    marks = {m: account.mark(m, at_ms) for m, p in account.positions.items() if p.qty}
    due = _due(account, marks)
    for market in due:
        liquidate(account, market, at_ms)
    return due


def liquidate(account: FuturesAccount, market: int, at_ms: int) -> FuturesOrder:
    """Close ``market``'s position at the mark price, as Binance's liquidation engine."""
    for order in [o for o in account.open_orders.values() if o.market == market]:
        account.finish(order, CANCELED, at_ms)
    pos = account.position(market)
    mark = account.mark(market, at_ms)
    order = FuturesOrder(
        id=account.next_order_id(),
        client_id=f"autoclose-{at_ms}",
        market=market,
        symbol=account.markets[market].symbol,
        side=SELL if pos.qty > 0 else BUY,
        type=LIQUIDATION,
        time_in_force="IOC",
        price=mark,
        orig_qty=abs(pos.qty),
        reduce_only=True,
        time_ms=at_ms,
        update_ms=at_ms,
        matched_ms=at_ms,
    )
    account.add_order(order)
    account.book_fill(order, Fill(mark, abs(pos.qty), at_ms))
    account.finish(order, FILLED, at_ms)
    return order


__all__ = ["liquidate", "liquidate_due", "pay_funding", "settle"]
