"""The matching engine's rules, as pure functions over the simulated book and price path.

Why pure: fills must be a function of (market, order, time) only, so that the same seed and
the same orders at the same times give the same fills in every run, whether the simulator
matched every second or only when a bot asked; and so that each rule is unit-testable
without an account or a server.

- **Taking** (market orders, the marketable part of a limit order): walk the book
  (:meth:`SimExchange.book`) level by level, best first, up to the order's size, budget or
  limit price; a large order pays for its size (several fills, an average price worse
  than the best). Liquidity taken from a level is gone from that level until the book is
  redrawn (each second), so a burst of orders cannot take the same level twice.
- **Resting** (the rest of a GTC limit order): the price path is cut into steps of one
  second (the first from the order's time to the next whole second). A buy at P fills in a
  step whose low reaches P or below, a sell at P in a step whose high reaches P or above,
  at P (a maker's fill), for at most :attr:`FillModel.participation` of the volume the
  base candle traded in that step: a large order fills partially, over time. Within a base
  candle the path is the candle in progress as bots see it (:func:`candles._partial`: its
  close moves from open to close, its wicks grow pro rata), so an order fills when the
  candles bots read say it could have.
- **Commission**: :attr:`FillModel.commission_bps` of what the fill gives, in the asset it
  gives (Binance's 0.1 % without BNB), rounded up to 1e-8.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

from freqfleet.sim.candles import _partial
from freqfleet.sim.models.base import BaseCandles

BUY = "BUY"
SELL = "SELL"


@dataclass(frozen=True)
class FillModel:
    """The simulator's assumptions about fills, named in one place."""

    participation: Fraction = Fraction(1, 10)
    """Share of a step's traded volume a resting order can get at its price."""
    step_ms: int = 1_000
    """Length of one matching step of the price path."""
    book_levels: int = 1_000
    """Levels of the book a taking order may walk; what is left then expires."""
    commission_bps: int = 10
    """Commission in basis points of what a fill gives (Binance spot: 0.1 %)."""

    def commission(self, received: int) -> int:
        """Commission in units of the received amount ``received`` (rounded up)."""
        return -(-received * self.commission_bps // 10_000)


@dataclass(frozen=True)
class Fill:
    """One trade of an order: price in ticks, quantity in steps, ``time_ms`` when it
    happened; ``maker``: a resting order's fill."""

    price: int
    qty: int
    time_ms: int
    maker: bool = False


@dataclass(frozen=True)
class Step:
    """A stretch of the price path: the lowest and highest price traded in it (ticks) and
    the volume traded (steps); it ends at ``end_ms``."""

    end_ms: int
    low: int
    high: int
    volume: int


def crosses(side: str, price: int, level: int) -> bool:
    """Whether a taker on ``side`` with limit ``price`` may trade at ``level``."""
    return level <= price if side == BUY else level >= price


def take(
    levels: list[tuple[int, int]],
    side: str,
    time_ms: int,
    *,
    qty: int | None = None,
    budget: int | None = None,
    cost: Callable[[int, int], int] | None = None,
    limit: int | None = None,
    taken: dict[int, int] | None = None,
) -> list[Fill]:
    """Fills walking ``levels`` (asks for a buy, bids for a sell, best first).

    Up to ``qty`` steps, or up to ``budget`` quote units (``cost(price, qty)`` gives the
    quote of a fill); never past ``limit``; ``taken`` holds what earlier orders took from
    each price level of this book (not changed here).
    """
    if (qty is None) == (budget is None):
        raise ValueError("give qty or budget")
    if budget is not None and cost is None:
        raise ValueError("a budget needs cost")
    fills: list[Fill] = []
    left_qty = qty
    left_budget = budget
    used = taken or {}
    for price, size in levels:
        if limit is not None and not crosses(side, limit, price):
            break
        available = size - used.get(price, 0)
        if available <= 0:
            continue
        if left_qty is not None:
            part = min(available, left_qty)
            left_qty -= part
        else:
            assert cost is not None and left_budget is not None
            part = _affordable(price, available, left_budget, cost)
            left_budget -= cost(price, part)
        if part > 0:
            fills.append(Fill(price, part, time_ms))
        if left_qty == 0 or (left_budget is not None and part < available):
            break
    return fills


def _affordable(price: int, available: int, budget: int, cost: Callable[[int, int], int]) -> int:
    """The most steps (at most ``available``) whose cost at ``price`` fits ``budget``."""
    if cost(price, available) <= budget:
        return available
    low, high = 0, available  # cost(low) <= budget < cost(high)
    while high - low > 1:
        middle = (low + high) // 2
        if cost(price, middle) <= budget:
            low = middle
        else:
            high = middle
    return low


def steps(
    row: BaseCandles, open_ms: int, base_ms: int, start_ms: int, end_ms: int, step_ms: int
) -> Iterator[Step]:
    """Steps of base candle ``row`` (opening at ``open_ms``) from ``start_ms`` to
    ``end_ms``, both within the candle and ``end_ms`` a whole multiple of ``step_ms``.

    The path inside the candle is the candle in progress as bots see it: a step's low is
    where the close went in the step, or the candle's new low when one was revealed in it.
    """
    t0 = start_ms
    _, high0, low0, close0, volume0, *_ = _partial(row, 0, (t0 - open_ms) / base_ms)
    while t0 < end_ms:
        t1 = (t0 // step_ms + 1) * step_ms
        _, high1, low1, close1, volume1, *_ = _partial(row, 0, (t1 - open_ms) / base_ms)
        low = min(close0, close1, low1 if low1 < low0 else close1)
        high = max(close0, close1, high1 if high1 > high0 else close1)
        yield Step(t1, low, high, max(0, volume1 - volume0))
        t0, high0, low0, close0, volume0 = t1, high1, low1, close1, volume1


def match_resting(
    side: str,
    price: int,
    remaining: int,
    start_ms: int,
    end_ms: int,
    candle: Callable[[int], BaseCandles],
    base_ms: int,
    model: FillModel,
) -> tuple[list[Fill], int]:
    """Fills of a resting limit order (``remaining`` steps at ``price``) on the path from
    ``start_ms`` to ``end_ms``, and the time up to which the path was read.

    Only whole steps are read (they end on multiples of ``model.step_ms``), so matching a
    stretch at once or in pieces gives the same fills. A step whose low (buy) or high
    (sell) reaches ``price`` fills up to the model's share of the step's volume, at
    ``price``. ``candle(i)`` gives base candle ``i``; candles that never reach the price
    are skipped whole.
    """
    fills: list[Fill] = []
    t = start_ms
    last = end_ms // model.step_ms * model.step_ms
    while remaining > 0 and t < last:
        index = t // base_ms
        open_ms = index * base_ms
        stop = min(open_ms + base_ms, last)
        row = candle(index)
        if not candle_reaches(side, price, row):
            t = stop
            continue
        for step in steps(row, open_ms, base_ms, t, stop, model.step_ms):
            t = step.end_ms
            reached = step.low <= price if side == BUY else step.high >= price
            part = min(remaining, int(step.volume * model.participation)) if reached else 0
            if part > 0:
                fills.append(Fill(price, part, step.end_ms, maker=True))
                remaining -= part
                if remaining == 0:
                    break
    return fills, t


def candle_reaches(side: str, price: int, row: BaseCandles) -> bool:
    """Whether base candle ``row`` ever trades at ``price`` or better for a resting order:
    a cheap test that skips whole candles."""
    return int(row.low[0]) <= price if side == BUY else int(row.high[0]) >= price


__all__ = [
    "BUY",
    "SELL",
    "Fill",
    "FillModel",
    "Step",
    "candle_reaches",
    "crosses",
    "match_resting",
    "steps",
    "take",
]
