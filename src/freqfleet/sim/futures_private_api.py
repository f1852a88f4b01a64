"""Binance USD-M futures' signed REST endpoints over a :class:`FuturesAccount`.

Signed as spot's (:mod:`freqfleet.sim.signing`, the same key), weighed on the same meter,
faulted by the same ``/sim/faults`` rules (the fault middleware sees every path):

- orders: ``POST/GET/DELETE /fapi/v1/order``, ``GET /fapi/v1/openOrders``,
  ``/fapi/v1/allOrders``, ``/fapi/v1/userTrades``, ``DELETE /fapi/v1/allOpenOrders``;
- account: ``GET /fapi/v2|v3/account``, ``/fapi/v2|v3/balance``,
  ``/fapi/v2|v3/positionRisk``, ``/fapi/v1/income`` (``FUNDING_FEE``, ``REALIZED_PNL``,
  ``COMMISSION``), ``/fapi/v1/commissionRate``;
- settings: ``POST /fapi/v1/leverage``, ``POST /fapi/v1/marginType``,
  ``GET /fapi/v1/leverageBracket``, ``GET /fapi/v1/positionSide/dual`` (one-way mode
  only), ``GET /fapi/v1/multiAssetsMargin`` (single-asset mode only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from freqfleet.sim import binance_errors as errors
from freqfleet.sim import futures_views as views
from freqfleet.sim.account_queries import select
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_records import CROSSED, ISOLATED
from freqfleet.sim.futures_requests import parse_futures_order
from freqfleet.sim.private_api import Action, SignedRoutes, _order_key
from freqfleet.sim.trade_records import trades_of

if TYPE_CHECKING:
    from freqfleet.sim.routing import Params

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS


class FuturesRoutes:
    """The futures endpoints, registered through the spot account's signed routes."""

    def __init__(self, routes: SignedRoutes, account: FuturesAccount) -> None:
        self.routes = routes
        self.account = account

    def market(self, params: Params) -> int:
        index = self.account.by_symbol.get(params.required("symbol"))
        if index is None:
            raise errors.invalid_symbol()
        return index

    def optional_market(self, params: Params) -> int | None:
        return None if params.text("symbol") is None else self.market(params)

    def add(self, method: str, path: str, endpoint: Any, orders: bool = False) -> None:
        self.routes.add(method, path, endpoint, orders=orders)


def register_futures_orders(f: FuturesRoutes) -> None:
    account = f.account

    def new_order(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.market(params)
        order, kind = parse_futures_order(params, market, account, now_ms)
        return lambda: views.new_order_answer(account, account.place(order, now_ms), kind), 0

    def query_order(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.market(params)
        order_id, client_id = _order_key(params)
        return lambda: views.order_result(
            account, account.order(market, order_id, client_id, now_ms)
        ), 1

    def cancel_order(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.market(params)
        order_id, client_id = _order_key(params)

        def cancel() -> Any:
            try:
                order = account.cancel(market, order_id, client_id, now_ms)
            except BinanceError as error:
                if error.code == -2011:
                    raise BinanceError(-2011, "Unknown order sent.") from None
                raise
            return views.order_result(account, order)

        return cancel, 1

    def cancel_all(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.market(params)

        def cancel() -> Any:
            account.cancel_all(market, now_ms)
            return {"code": 200, "msg": "The operation of cancel all open order is done."}

        return cancel, 1

    def open_orders(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.optional_market(params)

        def answer() -> Any:
            with account.lock:
                account.match(now_ms)
                return [
                    views.order_result(account, o)
                    for o in account.open_orders.values()
                    if market is None or o.market == market
                ]

        return answer, 1 if market is not None else 40

    f.add("POST", "/fapi/v1/order", new_order, orders=True)
    f.add("GET", "/fapi/v1/order", query_order)
    f.add("DELETE", "/fapi/v1/order", cancel_order)
    f.add("DELETE", "/fapi/v1/allOpenOrders", cancel_all)
    f.add("GET", "/fapi/v1/openOrders", open_orders)


def _limit(params: Params, default: int, largest: int) -> int:
    limit = params.integer("limit")
    if limit is None:
        return default
    if not 1 <= limit <= largest:
        raise errors.invalid_data("limit")
    return limit


def _window(params: Params, longest: int) -> tuple[int | None, int | None]:
    start, end = params.integer("startTime"), params.integer("endTime")
    if start is not None and end is not None:
        if start > end:
            raise errors.start_after_end()
        if end - start > longest:
            raise BinanceError(-4166, "Search window is restricted to recent 90 days only.")
    return start, end


def register_futures_history(f: FuturesRoutes) -> None:
    account = f.account

    def all_orders(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.market(params)
        first = params.integer("orderId")
        start, end = _window(params, WEEK_MS)
        limit = _limit(params, 500, 1000)

        def answer() -> Any:
            with account.lock:
                account.match(now_ms)
                mine = [o for o in account.orders.values() if o.market == market]
                chosen = select(mine, lambda o: o.id, lambda o: o.time_ms, first, start, end, limit)
                return [views.order_result(account, o) for o in chosen]

        return answer, 5

    def user_trades(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.market(params)
        order_id = params.integer("orderId")
        first = params.integer("fromId")
        start, end = _window(params, WEEK_MS)
        limit = _limit(params, 500, 1000)

        def answer() -> Any:
            with account.lock:
                account.match(now_ms)
                mine = trades_of(account.trades, market, order_id)
                chosen = select(mine, lambda t: t.id, lambda t: t.time_ms, first, start, end, limit)
                return [views.trade_result(account, t) for t in chosen]

        return answer, 5

    def income(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.optional_market(params)
        kind = params.text("incomeType")
        start, end = _window(params, 200 * DAY_MS)
        page = params.integer("page") or 1
        limit = _limit(params, 100, 1000)

        def answer() -> Any:
            with account.lock:
                account.match(now_ms)
                low = start if start is not None else (end or now_ms) - WEEK_MS
                high = end if end is not None else now_ms
                chosen = [
                    i
                    for i in account.incomes
                    if (market is None or i.symbol == account.markets[market].symbol)
                    and (kind is None or i.kind == kind)
                    and low <= i.time_ms <= high
                ]
                part = chosen[(page - 1) * limit : page * limit]
                return [views.income_result(i) for i in part]

        return answer, 30

    f.add("GET", "/fapi/v1/allOrders", all_orders)
    f.add("GET", "/fapi/v1/userTrades", user_trades)
    f.add("GET", "/fapi/v1/income", income)


def register_futures_account(f: FuturesRoutes) -> None:
    account = f.account

    def reading(build: Any, weight: int) -> Any:
        def endpoint(params: Params, now_ms: int) -> tuple[Action, int]:
            def answer() -> Any:
                with account.lock:
                    account.match(now_ms)
                    return build(now_ms)

            return answer, weight

        return endpoint

    def risk(version: int) -> Any:
        def endpoint(params: Params, now_ms: int) -> tuple[Action, int]:
            market = f.optional_market(params)

            def answer() -> Any:
                with account.lock:
                    account.match(now_ms)
                    markets = [market] if market is not None else sorted(account.markets)
                    chosen = [
                        m
                        for m in markets
                        if market is not None
                        or account.positions.get(m, _NONE).qty
                        or (version == 2 and m in account.settings)
                    ]
                    rows = [views.position_risk(account, m, now_ms) for m in chosen]
                    if version == 3:
                        rows = [{k: r[k] for k in views.V3_RISK_FIELDS} for r in rows]
                    return rows

            return answer, 5

        return endpoint

    for version in (2, 3):
        f.add(
            "GET",
            f"/fapi/v{version}/account",
            reading(lambda now, v=version: views.account_answer(account, now, v), 5),
        )
        f.add(
            "GET",
            f"/fapi/v{version}/balance",
            reading(lambda now: views.balance_answer(account, now), 5),
        )
        f.add("GET", f"/fapi/v{version}/positionRisk", risk(version))

    def commission_rate(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.market(params)
        return lambda: views.commission_rates(account.markets[market].symbol), 20

    f.add("GET", "/fapi/v1/commissionRate", commission_rate)


class _NoPosition:
    qty = 0


_NONE: Any = _NoPosition()


def register_futures_settings(f: FuturesRoutes) -> None:
    account = f.account

    def leverage(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.market(params)
        value = params.integer("leverage")
        if value is None:
            raise errors.mandatory("leverage")

        def change() -> Any:
            chosen = account.set_leverage(market, value, now_ms)
            spec = account.markets[market]
            from freqfleet.sim.futures_margin import max_notional

            return {
                "leverage": chosen,
                "maxNotionalValue": str(max_notional(spec, chosen)),
                "symbol": spec.symbol,
            }

        return change, 1

    def margin_type(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.market(params)
        kind = params.required("marginType").upper()
        if kind == "CROSS":
            kind = CROSSED
        if kind not in (CROSSED, ISOLATED):
            raise errors.invalid_data("marginType")

        def change() -> Any:
            account.set_margin_type(market, kind, now_ms)
            return {"code": 200, "msg": "success"}

        return change, 1

    def brackets(params: Params, now_ms: int) -> tuple[Action, int]:
        market = f.optional_market(params)
        chosen = [market] if market is not None else sorted(account.markets)

        def answer() -> Any:
            rows = [
                {
                    "symbol": account.markets[m].symbol,
                    "notionalCoef": 1.0,
                    "brackets": [b.info() for b in account.markets[m].brackets],
                }
                for m in chosen
            ]
            return rows[0] if market is not None else rows

        return answer, 1

    def constant(body: dict[str, Any], weight: int) -> Any:
        def endpoint(params: Params, now_ms: int) -> tuple[Action, int]:
            return lambda: body, weight

        return endpoint

    f.add("POST", "/fapi/v1/leverage", leverage)
    f.add("POST", "/fapi/v1/marginType", margin_type)
    f.add("GET", "/fapi/v1/leverageBracket", brackets)
    f.add("GET", "/fapi/v1/positionSide/dual", constant({"dualSidePosition": False}, 30))
    f.add("GET", "/fapi/v1/multiAssetsMargin", constant({"multiAssetsMargin": False}, 30))


def install_futures(routes: SignedRoutes, account: FuturesAccount) -> None:
    """Add the futures endpoints beside the spot account's (before the app starts); their
    weight is spent on the futures meter (Binance's fapi host has its own minute)."""
    routes.meter = getattr(routes.app.state, "futures_meter", routes.meter)
    f = FuturesRoutes(routes, account)
    register_futures_orders(f)
    register_futures_history(f)
    register_futures_account(f)
    register_futures_settings(f)
    routes.app.state.futures_account = account


__all__ = ["FuturesRoutes", "install_futures"]
