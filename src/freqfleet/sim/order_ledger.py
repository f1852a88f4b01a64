"""The orders of one simulated account: ids, client ids, lookups, cancelling, and what the
account's orders took from the book.

Why shared: Binance answers order lookups and cancels the same way on spot and on USD-M
futures (by order id or by client order id within a symbol; -2011 for a cancel of an order
that is not open, -2013 for a lookup of an unknown one), and a second's book is taken from
once by every order of the account, whatever the market type. The spot and futures accounts
differ in what an order holds and what a fill books; those stay theirs.
"""

from __future__ import annotations

import random
import string
import threading
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.matching import BUY, FillModel

if TYPE_CHECKING:
    from freqfleet.sim.exchange import SimExchange

CANCELED = "CANCELED"
_CLIENT_ID_ALPHABET = string.ascii_letters + string.digits


class LedgerOrder(Protocol):
    """What the ledger reads of an order."""

    market: int
    side: str

    @property
    def is_open(self) -> bool: ...


OrderT = TypeVar("OrderT", bound=LedgerOrder)


class OrderLedger(Generic[OrderT]):
    """Orders by id and by (market, client id); every public method takes the lock and the
    time it acts at, and matches the account up to that time first."""

    def __init__(
        self, exchange: SimExchange, model: FillModel | None, first_id: int | None
    ) -> None:
        self.exchange = exchange
        self.model = model or FillModel()
        self.orders: dict[int, OrderT] = {}
        self.open_orders: dict[int, OrderT] = {}
        """The orders still open, by id, oldest first."""
        start = exchange.clock() if first_id is None else first_id
        self.first_id = start
        """The first order and trade id: the clock at the account's creation, so that ids
        stay unique across simulator restarts on a saved account."""
        self._next_order = start
        self._client_ids: dict[tuple[int, str], int] = {}
        self._taken: dict[int, tuple[int, dict[int, int]]] = {}
        self._random = random.Random(start)
        self.lock = threading.RLock()

    # -- what each account defines ----------------------------------------------------------
    def match(self, now_ms: int) -> int:
        """Fill what the price path filled up to ``now_ms``; the number of fills."""
        raise NotImplementedError

    def finish(self, order: OrderT, status: str, now_ms: int) -> None:
        """Close ``order`` with ``status``, releasing what it held."""
        raise NotImplementedError

    # -- lookups and cancels ----------------------------------------------------------------
    def cancel(
        self, market: int, order_id: int | None, client_id: str | None, now_ms: int
    ) -> OrderT:
        with self.lock:
            self.match(now_ms)
            order = self._find(market, order_id, client_id)
            if order is None or not order.is_open:
                raise BinanceError(-2011, "Unknown order sent.")
            self.finish(order, CANCELED, now_ms)
            return order

    def order(
        self, market: int, order_id: int | None, client_id: str | None, now_ms: int
    ) -> OrderT:
        with self.lock:
            self.match(now_ms)
            order = self._find(market, order_id, client_id)
            if order is None:
                raise BinanceError(-2013, "Order does not exist.")
            return order

    def _find(self, market: int, order_id: int | None, client_id: str | None) -> OrderT | None:
        if order_id is not None:
            order = self.orders.get(order_id)
        else:
            known = self._client_ids.get((market, client_id or ""))
            order = None if known is None else self.orders[known]
        return order if order is not None and order.market == market else None

    def new_client_id(self) -> str:
        """Binance's style of generated client order ids: 22 letters and digits."""
        return "".join(self._random.choice(_CLIENT_ID_ALPHABET) for _ in range(22))

    # -- taking from the book -----------------------------------------------------------------
    def _levels(self, order: OrderT, now_ms: int) -> tuple[list[tuple[int, int]], dict[int, int]]:
        """The book side ``order`` takes from, and what was taken from it this second."""
        bids, asks = self.exchange.book(order.market, now_ms, self.model.book_levels)
        second = now_ms // 1000
        seen = self._taken.get(order.market)
        if seen is None or seen[0] != second:
            seen = self._taken[order.market] = (second, {})
        return (asks if order.side == BUY else bids), seen[1]


__all__ = ["CANCELED", "LedgerOrder", "OrderLedger"]
