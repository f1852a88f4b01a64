"""The account as Binance's JSON answers write it, and as ``GET /sim/account`` shows it.

Why exact strings: Binance writes every price, quantity and amount as a decimal string with
8 decimals, and ccxt parses them with its string arithmetic; the simulator writes the exact
integer amounts it books, so a client's sums match the account's to the last unit.
"""

from __future__ import annotations

from typing import Any

from freqfleet.sim.account import Account, Order, Trade
from freqfleet.sim.markets import SimMarket
from freqfleet.sim.matching import BUY
from freqfleet.sim.units import scale, units_text

COMMISSION_RATE = "0.00100000"
ZERO = "0.00000000"


def _spec(account: Account, market: int) -> SimMarket:
    return account.exchange.markets[market]


def order_result(account: Account, order: Order) -> dict[str, Any]:
    """``GET /api/v3/order`` (and an order of ``openOrders``/``allOrders``)."""
    spec = _spec(account, order.market)
    return {
        "symbol": order.symbol,
        "orderId": order.id,
        "orderListId": -1,
        "clientOrderId": order.client_id,
        "price": units_text(scale(order.price, spec.price_decimals)),
        "origQty": units_text(scale(order.orig_qty, spec.amount_decimals)),
        "executedQty": units_text(scale(order.executed, spec.amount_decimals)),
        "cummulativeQuoteQty": units_text(order.cum_quote),
        "status": order.status,
        "timeInForce": order.time_in_force,
        "type": order.type,
        "side": order.side,
        "stopPrice": ZERO,
        "icebergQty": ZERO,
        "time": order.time_ms,
        "updateTime": order.update_ms,
        "isWorking": True,
        "workingTime": order.time_ms,
        "origQuoteOrderQty": units_text(order.orig_quote_qty),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def new_order_answer(account: Account, order: Order, kind: str) -> dict[str, Any]:
    """``POST /api/v3/order`` with ``newOrderRespType`` ``kind`` (ACK, RESULT, FULL)."""
    ack = {
        "symbol": order.symbol,
        "orderId": order.id,
        "orderListId": -1,
        "clientOrderId": order.client_id,
        "transactTime": order.time_ms,
    }
    if kind == "ACK":
        return ack
    result = order_result(account, order)
    for name in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking"):
        result.pop(name)
    answer = {**ack, **result}
    if kind == "FULL":
        spec = _spec(account, order.market)
        answer["fills"] = [
            {
                "price": units_text(scale(trade.price, spec.price_decimals)),
                "qty": units_text(scale(trade.qty, spec.amount_decimals)),
                "commission": units_text(trade.commission),
                "commissionAsset": trade.commission_asset,
                "tradeId": trade.id,
            }
            for trade in (account.trade(i) for i in order.trades)
        ]
    return answer


def cancel_answer(account: Account, order: Order, cancel_id: str) -> dict[str, Any]:
    """``DELETE /api/v3/order``: the order as cancelled, under the cancel's own client id."""
    result = order_result(account, order)
    for name in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking", "workingTime"):
        result.pop(name)
    result["origClientOrderId"] = order.client_id
    result["clientOrderId"] = cancel_id
    result["transactTime"] = order.update_ms
    return result


def trade_result(account: Account, trade: Trade) -> dict[str, Any]:
    """One trade of ``GET /api/v3/myTrades``."""
    spec = _spec(account, trade.market)
    return {
        "symbol": trade.symbol,
        "id": trade.id,
        "orderId": trade.order_id,
        "orderListId": -1,
        "price": units_text(scale(trade.price, spec.price_decimals)),
        "qty": units_text(scale(trade.qty, spec.amount_decimals)),
        "quoteQty": units_text(trade.quote),
        "commission": units_text(trade.commission),
        "commissionAsset": trade.commission_asset,
        "time": trade.time_ms,
        "isBuyer": trade.side == BUY,
        "isMaker": trade.maker,
        "isBestMatch": True,
    }


def account_answer(account: Account, now_ms: int, omit_zero: bool) -> dict[str, Any]:
    """``GET /api/v3/account``: every asset of the account and of the markets."""
    balances = account.balance_units()
    for spec in account.exchange.markets:
        for asset in (spec.base, spec.quote):
            balances.setdefault(asset, (0, 0))
    listed = [
        {"asset": asset, "free": units_text(free), "locked": units_text(locked)}
        for asset, (free, locked) in balances.items()
        if not omit_zero or free or locked
    ]
    return {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": COMMISSION_RATE,
            "taker": COMMISSION_RATE,
            "buyer": ZERO,
            "seller": ZERO,
        },
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": now_ms,
        "accountType": "SPOT",
        "balances": listed,
        "permissions": ["SPOT"],
        "uid": 1,
    }


def account_snapshot(account: Account) -> dict[str, Any]:
    """``GET /sim/account``: balances, every order and every trade, amounts as exact
    decimal strings (8 decimals)."""
    with account.lock:
        orders = [
            {
                "id": order.id,
                "clientOrderId": order.client_id,
                **{
                    k: v
                    for k, v in order_result(account, order).items()
                    if k
                    in (
                        "symbol",
                        "side",
                        "type",
                        "timeInForce",
                        "status",
                        "price",
                        "origQty",
                        "executedQty",
                        "cummulativeQuoteQty",
                        "time",
                        "updateTime",
                    )
                },
            }
            for order in account.orders.values()
        ]
        trades = [trade_result(account, trade) for trade in account.trades]
        balances = {
            asset: {"free": units_text(free), "locked": units_text(locked)}
            for asset, (free, locked) in account.balance_units().items()
        }
    for trade in trades:
        for name in ("orderListId", "isBestMatch"):
            trade.pop(name)
    return {"balances": balances, "orders": orders, "trades": trades}


__all__ = [
    "account_answer",
    "account_snapshot",
    "cancel_answer",
    "new_order_answer",
    "order_result",
    "trade_result",
]
