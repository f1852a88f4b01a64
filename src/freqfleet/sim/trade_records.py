"""What a fill writes in the books, the same on the spot and the futures account.

Why shared: both accounts move an order on by a fill and record the trade in Binance's
shape (``myTrades`` / ``userTrades``); only the money differs (spot: a commission asset,
futures: realised PnL in USDT). Keeping the common part here keeps the two answers alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from freqfleet.sim.matching import Fill


class FilledOrder(Protocol):
    """What a fill reads and moves on in an order, spot or futures."""

    id: int
    market: int
    symbol: str
    side: str
    executed: int
    cum_quote: int
    update_ms: int
    trades: list[int]


@dataclass(frozen=True)
class TradeRecord:
    """What every trade records: price in ticks, quantity in steps, ``quote`` in units."""

    id: int
    order_id: int
    market: int
    symbol: str
    side: str
    price: int
    qty: int
    quote: int
    time_ms: int
    maker: bool


R = TypeVar("R", bound=TradeRecord)


def record_fill(
    record: type[R], order: FilledOrder, fill: Fill, value: int, trade_id: int, **money: object
) -> R:
    """Move ``order`` on by ``fill`` (worth ``value`` units) and write it as trade
    ``trade_id`` of kind ``record``, with the account's own ``money`` fields."""
    order.executed += fill.qty
    order.cum_quote += value
    order.update_ms = fill.time_ms
    order.trades.append(trade_id)
    return record(
        id=trade_id,
        order_id=order.id,
        market=order.market,
        symbol=order.symbol,
        side=order.side,
        price=fill.price,
        qty=fill.qty,
        quote=value,
        time_ms=fill.time_ms,
        maker=fill.maker,
        **money,
    )


def trades_of(trades: Iterable[R], market: int, order_id: int | None) -> list[R]:
    """The trades on ``market`` (of order ``order_id`` when given), as both accounts'
    trade lists (``myTrades``, ``userTrades``) select them."""
    return [
        t for t in trades if t.market == market and (order_id is None or t.order_id == order_id)
    ]


__all__ = ["FilledOrder", "TradeRecord", "record_fill", "trades_of"]
