"""Signed reads of the account: balances, open orders, order history, own trades, coins.

Range rules as Binance's: ``allOrders`` and ``myTrades`` give at most ``limit`` (default
500, at most 1,000) entries, oldest first; ``orderId`` / ``fromId`` / ``startTime`` start
from there, otherwise the newest are given; ``startTime`` and ``endTime`` may be at most
24 hours apart (``-1127``); ``myTrades`` with ``startTime`` only gives that day's trades
from then, with ``endTime`` only the day before it; ``fromId`` goes with no time
(``-1128``). The coins (``capital/config/getall``) and the margin pairs (none) are what
ccxt loads with the markets once it has a key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from freqfleet.sim import binance_errors as errors
from freqfleet.sim.account_views import account_answer, order_result, trade_result
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.trade_records import trades_of
from freqfleet.sim.units import units_text

if TYPE_CHECKING:
    from freqfleet.sim.private_api import Action, Endpoint, SignedRoutes
    from freqfleet.sim.routing import Params

DAY_MS = 86_400_000
LIMIT_DEFAULT = 500
LIMIT_MAX = 1000
T = TypeVar("T")


def _limit(params: Params) -> int:
    limit = params.integer("limit")
    if limit is None:
        return LIMIT_DEFAULT
    if not 1 <= limit <= LIMIT_MAX:
        raise errors.invalid_data("limit")
    return limit


def _window(params: Params) -> tuple[int | None, int | None]:
    start = params.integer("startTime")
    end = params.integer("endTime")
    if start is not None and end is not None:
        if start > end:
            raise errors.start_after_end()
        if end - start > DAY_MS:
            raise BinanceError(-1127, "More than 24 hours between startTime and endTime.")
    return start, end


def select(
    items: Sequence[T],
    key: Callable[[T], int],
    time: Callable[[T], int],
    first_id: int | None,
    start: int | None,
    end: int | None,
    limit: int,
) -> list[T]:
    """Binance's paging over ``items`` (oldest first): from ``first_id`` or ``start`` the
    oldest ``limit``, else the newest ``limit``; all within ``start``..``end``."""
    chosen = [
        item
        for item in items
        if (first_id is None or key(item) >= first_id)
        and (start is None or time(item) >= start)
        and (end is None or time(item) <= end)
    ]
    if first_id is not None or start is not None:
        return chosen[:limit]
    return chosen[-limit:]


class AccountQueries:
    """The signed reads, each an endpoint of :class:`SignedRoutes`."""

    def __init__(self, routes: SignedRoutes) -> None:
        self.routes = routes
        self.account = routes.account

    def balances(self, params: Params, now_ms: int) -> tuple[Action, int]:
        omit = params.text("omitZeroBalances")
        if omit not in (None, "true", "false"):
            raise errors.invalid_data("omitZeroBalances")

        def answer() -> Any:
            self.account.match(now_ms)
            return account_answer(self.account, now_ms, omit == "true")

        return answer, 20

    def open_orders(self, params: Params, now_ms: int) -> tuple[Action, int]:
        market = self.routes.market(params) if params.text("symbol") is not None else None
        account = self.account

        def answer() -> Any:
            with account.lock:
                account.match(now_ms)
                return [
                    order_result(account, order)
                    for order in account.open_orders.values()
                    if market is None or order.market == market
                ]

        return answer, 80 if market is None else 6

    def all_orders(self, params: Params, now_ms: int) -> tuple[Action, int]:
        market = self.routes.market(params)
        first_id = params.integer("orderId")
        start, end = _window(params)
        limit = _limit(params)
        account = self.account

        def answer() -> Any:
            with account.lock:
                account.match(now_ms)
                mine = [o for o in account.orders.values() if o.market == market]
                chosen = select(
                    mine, lambda o: o.id, lambda o: o.time_ms, first_id, start, end, limit
                )
                return [order_result(account, order) for order in chosen]

        return answer, 20

    def my_trades(self, params: Params, now_ms: int) -> tuple[Action, int]:
        market = self.routes.market(params)
        order_id = params.integer("orderId")
        from_id = params.integer("fromId")
        start, end = _window(params)
        limit = _limit(params)
        if from_id is not None and (start is not None or end is not None):
            raise BinanceError(-1128, "Combination of optional parameters invalid.")
        if start is not None and end is None:
            end = start + DAY_MS
        elif end is not None and start is None:
            start = end - DAY_MS
        account = self.account

        def answer() -> Any:
            with account.lock:
                account.match(now_ms)
                mine = trades_of(account.trades, market, order_id)
                chosen = select(
                    mine, lambda t: t.id, lambda t: t.time_ms, from_id, start, end, limit
                )
                return [trade_result(account, trade) for trade in chosen]

        return answer, 5 if order_id is not None else 20

    def coins(self, params: Params, now_ms: int) -> tuple[Action, int]:
        def answer() -> Any:
            held = self.account.balance_units()
            assets = dict.fromkeys(held)
            for spec in self.account.exchange.markets:
                assets.update(dict.fromkeys((spec.base, spec.quote)))
            return [coin_info(asset, *held.get(asset, (0, 0))) for asset in assets]

        return answer, 10

    @staticmethod
    def margin_pairs(weight: int) -> Endpoint:
        """No margin trading on the simulator (``isMarginTradingAllowed`` is false for
        every symbol): no pairs. ccxt asks at market loading once it has a key."""

        def endpoint(params: Params, now_ms: int) -> tuple[Action, int]:
            params.text("symbol")
            return list, weight

        return endpoint


def register_queries(routes: SignedRoutes) -> None:
    queries = AccountQueries(routes)
    routes.add("GET", "/api/v3/account", queries.balances)
    routes.add("GET", "/api/v3/openOrders", queries.open_orders)
    routes.add("GET", "/api/v3/allOrders", queries.all_orders)
    routes.add("GET", "/api/v3/myTrades", queries.my_trades)
    routes.add("GET", "/sapi/v1/capital/config/getall", queries.coins)
    routes.add("GET", "/sapi/v1/margin/allPairs", queries.margin_pairs(1))
    routes.add("GET", "/sapi/v1/margin/isolated/allPairs", queries.margin_pairs(10))


def coin_info(asset: str, free: int, locked: int) -> dict[str, Any]:
    """One coin of ``GET /sapi/v1/capital/config/getall``: one network, named as the coin,
    deposits and withdrawals open (nothing is ever moved)."""
    network = {
        "network": asset,
        "coin": asset,
        "name": asset,
        "isDefault": True,
        "depositEnable": True,
        "withdrawEnable": True,
        "withdrawFee": "0",
        "withdrawMin": "0",
        "withdrawMax": "9999999999.99999999",
        "withdrawIntegerMultiple": "0.00000001",
        "depositDust": "0.00000001",
        "minConfirm": 1,
        "unLockConfirm": 0,
        "sameAddress": False,
        "busy": False,
        "resetAddressStatus": False,
        "specialTips": "",
    }
    return {
        "coin": asset,
        "name": asset,
        "free": units_text(free),
        "locked": units_text(locked),
        "freeze": "0",
        "withdrawing": "0",
        "ipoing": "0",
        "ipoable": "0",
        "storage": "0",
        "isLegalMoney": False,
        "trading": True,
        "depositAllEnable": True,
        "withdrawAllEnable": True,
        "networkList": [network],
    }


__all__ = ["AccountQueries", "coin_info", "register_queries", "select"]
