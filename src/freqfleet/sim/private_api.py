"""Binance spot's signed REST endpoints over an :class:`Account`, and the simulator's own
account and fault endpoints.

Signed (``X-MBX-APIKEY`` + HMAC ``signature``, :mod:`freqfleet.sim.signing`), with
Binance's weights:

- ``POST /api/v3/order`` (1; counts towards the ORDERS limits), ``GET /api/v3/order`` (4),
  ``DELETE /api/v3/order`` (1): MARKET and LIMIT (GTC, IOC, FOK), ``quoteOrderQty``,
  ``newClientOrderId``, ``origClientOrderId``, ``newOrderRespType`` ACK/RESULT/FULL;
- ``GET /api/v3/account`` (20; ``omitZeroBalances``), ``GET /api/v3/openOrders`` (6, 80
  without ``symbol``), ``GET /api/v3/allOrders`` (20), ``GET /api/v3/myTrades`` (20, 5
  with ``orderId``);
- ``GET /sapi/v1/capital/config/getall`` (10): the currencies ccxt loads with the markets
  once it has a key (:mod:`freqfleet.sim.currencies`).

Unsigned, the simulator's own (not counted): ``GET /sim/account`` (balances, orders,
trades), ``POST /sim/account/balance`` (``{"asset", "delta"}``: change a free balance
behind the bot's back), ``GET/POST/DELETE /sim/faults`` (:mod:`freqfleet.sim.faults`).

Every signed request first matches resting orders up to now, so a bot always reads an
account as of the moment it asks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from freqfleet.sim import binance_errors as errors
from freqfleet.sim.account import Account
from freqfleet.sim.account_queries import register_queries
from freqfleet.sim.account_views import (
    account_snapshot,
    cancel_answer,
    new_order_answer,
    order_result,
)
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.faults import FaultMiddleware, Faults, parse_fault
from freqfleet.sim.order_limits import OrderLimits, too_many_orders
from freqfleet.sim.order_requests import parse_new_order
from freqfleet.sim.request_stats import sender
from freqfleet.sim.routing import JSON, Params
from freqfleet.sim.signing import API_KEY_HEADER, Credentials, authenticate
from freqfleet.sim.units import parse_units, units_text

logger = logging.getLogger(__name__)

Action = Callable[[], Any]
"""What a signed endpoint does once its parameters are all read and checked."""
Endpoint = Callable[[Params, int], tuple[Action, int]]
"""Reads the parameters; returns the action and the request's weight."""


class SignedRoutes:
    """Registers signed endpoints on ``app`` with the app's stats and weight meter."""

    def __init__(
        self, app: FastAPI, credentials: Credentials, account: Account, limits: OrderLimits
    ) -> None:
        self.app = app
        self.credentials = credentials
        self.account = account
        self.limits = limits
        self.exchange = app.state.exchange
        self.stats = app.state.stats
        self.meter = app.state.meter

    def market(self, params: Params) -> int:
        index = self.exchange.by_symbol.get(params.required("symbol"))
        if index is None:
            raise errors.invalid_symbol()
        return int(index)

    def add(self, method: str, path: str, endpoint: Endpoint, orders: bool = False) -> None:
        """``orders``: a new order, counted towards the ORDERS limits."""
        name = path if method == "GET" else f"{method} {path}"

        async def handle(request: Request) -> Response:
            now_ms = self.exchange.clock()
            bot = sender(request)
            headers: dict[str, str] = {}
            try:
                body = (await request.body()).decode("utf-8", "replace")
                query = request.scope["query_string"].decode("latin-1")
                pairs = authenticate(
                    self.credentials, request.headers.get(API_KEY_HEADER), query, body, now_ms
                )
                params = Params(QueryParams(pairs))
                params.text("timestamp")
                params.text("recvWindow")
                action, weight = endpoint(params, now_ms)
                params.check_all_read()
                used = self.meter.spend(weight, now_ms)
                headers["X-MBX-USED-WEIGHT-1M"] = str(used)
                if orders:
                    try:
                        self.limits.spend(now_ms)
                    finally:
                        headers.update(self.limits.headers(now_ms))
                answer = action()
                self.stats.count(name, weight, bot)
                return Response(orjson.dumps(answer), media_type=JSON, headers=headers)
            except BinanceError as error:
                return self._error(name, error, now_ms, bot, headers)
            except Exception:
                logger.exception("Failed to answer %s", name)
                unknown = BinanceError(
                    -1000, "An unknown error occurred while processing the request."
                )
                return self._error(name, unknown, now_ms, bot, headers)

        self.app.add_route(path, handle, methods=[method])

    def _error(
        self, name: str, error: BinanceError, now_ms: int, bot: str, headers: dict[str, str]
    ) -> Response:
        self.stats.count_error(name, error.code, bot)
        headers.setdefault("X-MBX-USED-WEIGHT-1M", str(self.meter.used(now_ms)))
        if error.code == -1015:
            headers["Retry-After"] = str(self.limits.retry_after(now_ms))
        elif error.status == 429:
            headers["Retry-After"] = str(60 - (now_ms // 1000) % 60)
        body = orjson.dumps({"code": error.code, "msg": error.msg})
        return Response(body, status_code=error.status, media_type=JSON, headers=headers)


def _order_key(params: Params) -> tuple[int | None, str | None]:
    order_id = params.integer("orderId")
    client_id = params.text("origClientOrderId")
    if order_id is None and client_id is None:
        raise BinanceError(
            -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    return order_id, client_id


def register_orders(routes: SignedRoutes) -> None:
    account = routes.account

    def new_order(params: Params, now_ms: int) -> tuple[Action, int]:
        market = routes.market(params)
        order, kind = parse_new_order(params, market, routes.exchange, now_ms)
        return lambda: new_order_answer(account, account.place(order, now_ms), kind), 1

    def query_order(params: Params, now_ms: int) -> tuple[Action, int]:
        market = routes.market(params)
        order_id, client_id = _order_key(params)
        return lambda: order_result(account, account.order(market, order_id, client_id, now_ms)), 4

    def cancel_order(params: Params, now_ms: int) -> tuple[Action, int]:
        market = routes.market(params)
        order_id, client_id = _order_key(params)
        cancel_id = params.text("newClientOrderId")

        def cancel() -> Any:
            order = account.cancel(market, order_id, client_id, now_ms)
            return cancel_answer(account, order, cancel_id or account.new_client_id())

        return cancel, 1

    routes.add("POST", "/api/v3/order", new_order, orders=True)
    routes.add("GET", "/api/v3/order", query_order)
    routes.add("DELETE", "/api/v3/order", cancel_order)


def register_sim_routes(app: FastAPI, account: Account, faults: Faults) -> None:
    """The simulator's own, unsigned and uncounted: account and faults for tests."""

    def answer(body: Any, status: int = 200) -> Response:
        return Response(orjson.dumps(body), status_code=status, media_type=JSON)

    async def sim_account(request: Request) -> Response:
        now_ms = app.state.exchange.clock()
        account.match(now_ms)
        body = account_snapshot(account)
        futures = getattr(app.state, "futures_account", None)
        if futures is not None:
            from freqfleet.sim.futures_views import futures_snapshot

            futures.match(now_ms)
            body["futures"] = futures_snapshot(futures, now_ms)
        return answer(body)

    async def adjust_balance(request: Request) -> Response:
        try:
            spec = orjson.loads(await request.body())
            asset, delta = spec["asset"], parse_units(spec["delta"])
            if not isinstance(asset, str) or delta is None:
                raise ValueError('send {"asset": "USDT", "delta": "-9500"}')
            account.match(app.state.exchange.clock())
            balance = account.adjust(asset, delta)
        except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as error:
            return answer({"error": str(error)}, 400)
        free, locked = units_text(balance.free), units_text(balance.locked)
        logger.info("Balance of %s changed by %s: free %s", asset, units_text(delta), free)
        return answer({"asset": asset, "free": free, "locked": locked})

    async def add_fault(request: Request) -> Response:
        try:
            fault = parse_fault(orjson.loads(await request.body()))
        except (ValueError, orjson.JSONDecodeError) as error:
            return answer({"error": f"fault: {error}"}, 400)
        faults.add(fault)
        logger.info("Fault rule added: %s", fault)
        return answer({"faults": faults.snapshot()})

    async def list_faults(request: Request) -> Response:
        return answer({"faults": faults.snapshot()})

    async def clear_faults(request: Request) -> Response:
        return answer({"cleared": faults.clear()})

    app.add_route("/sim/account", sim_account, methods=["GET"])
    app.add_route("/sim/account/balance", adjust_balance, methods=["POST"])
    app.add_route("/sim/faults", add_fault, methods=["POST"])
    app.add_route("/sim/faults", list_faults, methods=["GET"])
    app.add_route("/sim/faults", clear_faults, methods=["DELETE"])


def install_account(
    app: FastAPI, account: Account, credentials: Credentials, limits: OrderLimits
) -> Faults:
    """Add the account's endpoints and the fault injection to ``app`` (before it starts)."""
    routes = SignedRoutes(app, credentials, account, limits)
    register_orders(routes)
    register_queries(routes)
    faults = Faults()
    register_sim_routes(app, account, faults)
    message = too_many_orders(limits.per_10s, "10 SECOND").msg
    app.add_middleware(FaultMiddleware, faults=faults, rate_limit_msg=message)
    app.state.account = account
    app.state.faults = faults
    return faults


__all__ = ["SignedRoutes", "install_account"]
