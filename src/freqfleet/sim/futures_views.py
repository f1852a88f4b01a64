"""The futures account as Binance USD-M's JSON answers write it.

Why exact strings: ccxt parses amounts with its string arithmetic and freqtrade reconciles
its wallet and trades with what the exchange reports; the simulator writes the exact
integers it books (USDT with 8 decimals, prices and quantities on the market's grid).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.futures_account import MAKER_BPS, TAKER_BPS, FuturesAccount
from freqfleet.sim.futures_records import SETTLE, FuturesOrder, FuturesTrade, Income
from freqfleet.sim.matching import BUY
from freqfleet.sim.units import UNIT, units_text


def _price(account: FuturesAccount, market: int, ticks: int) -> str:
    return account.markets[market].spot.price_text(ticks)


def _qty(account: FuturesAccount, market: int, steps: int) -> str:
    return account.markets[market].spot.amount_text(steps)


def _decimal(value: Decimal) -> str:
    return format(value.quantize(Decimal(1).scaleb(-8)), "f")


def order_result(account: FuturesAccount, order: FuturesOrder) -> dict[str, Any]:
    """``GET /fapi/v1/order`` (and each order of ``openOrders``/``allOrders``)."""
    spec = account.markets[order.market]
    average = Decimal(0)
    if order.executed:
        base = Decimal(order.executed).scaleb(-spec.amount_decimals)
        average = Decimal(order.cum_quote) / UNIT / base
    return {
        "orderId": order.id,
        "symbol": order.symbol,
        "status": order.status,
        "clientOrderId": order.client_id,
        "price": _price(account, order.market, order.price),
        "avgPrice": _decimal(average),
        "origQty": _qty(account, order.market, order.orig_qty),
        "executedQty": _qty(account, order.market, order.executed),
        "cumQuote": units_text(order.cum_quote),
        "timeInForce": order.time_in_force,
        "type": order.type,
        "reduceOnly": order.reduce_only,
        "closePosition": False,
        "side": order.side,
        "positionSide": "BOTH",
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "origType": order.type,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "goodTillDate": 0,
        "time": order.time_ms,
        "updateTime": order.update_ms,
    }


def new_order_answer(account: FuturesAccount, order: FuturesOrder, kind: str) -> dict[str, Any]:
    """``POST /fapi/v1/order`` with ``newOrderRespType`` ACK or RESULT."""
    answer = order_result(account, order)
    answer.pop("time")
    answer["cumQty"] = answer["executedQty"]
    if kind == "ACK":
        for name in ("avgPrice", "cumQuote"):
            answer[name] = "0" if name == "avgPrice" else "0.00000000"
    return answer


def trade_result(account: FuturesAccount, trade: FuturesTrade) -> dict[str, Any]:
    """``GET /fapi/v1/userTrades``."""
    return {
        "buyer": trade.side == BUY,
        "commission": units_text(trade.commission),
        "commissionAsset": SETTLE,
        "id": trade.id,
        "maker": trade.maker,
        "orderId": trade.order_id,
        "price": _price(account, trade.market, trade.price),
        "qty": _qty(account, trade.market, trade.qty),
        "quoteQty": units_text(trade.quote),
        "realizedPnl": units_text(trade.realized_pnl),
        "side": trade.side,
        "positionSide": "BOTH",
        "symbol": trade.symbol,
        "time": trade.time_ms,
    }


def income_result(income: Income) -> dict[str, Any]:
    """``GET /fapi/v1/income``."""
    return {
        "symbol": income.symbol,
        "incomeType": income.kind,
        "income": units_text(income.amount),
        "asset": SETTLE,
        "info": income.kind,
        "time": income.time_ms,
        "tranId": income.id,
        "tradeId": "" if income.trade_id is None else str(income.trade_id),
    }


def position_risk(account: FuturesAccount, market: int, now_ms: int) -> dict[str, Any]:
    """One entry of ``GET /fapi/v2/positionRisk`` (v3 leaves out some fields)."""
    spec = account.markets[market]
    pos = account.position(market)
    setting = account.setting(market)
    mark = account.mark(market, now_ms)
    value = fm.notional(spec, mark, pos.qty)
    upnl = account.unrealized(market, now_ms)
    if setting.isolated:
        wallet, others_maint, others_upnl = pos.isolated_margin, 0, 0
    else:
        cross = [m for m, p in account.positions.items() if p.qty and m != market]
        cross = [m for m in cross if not account.setting(m).isolated]
        wallet = account.cross_wallet()
        others_maint = sum(account.maint_margin(m, now_ms) for m in cross)
        others_upnl = sum(account.unrealized(m, now_ms) for m in cross)
    liquidation = fm.liquidation_price(
        spec, pos.qty, pos.entry_value, wallet, others_maint, others_upnl
    )
    entry = fm.entry_price(spec, pos.qty, pos.entry_value)
    margin = account.position_margin(market, now_ms)
    return {
        "symbol": spec.symbol,
        "positionSide": "BOTH",
        "positionAmt": _qty(account, market, pos.qty),
        "entryPrice": _decimal(entry),
        "breakEvenPrice": _decimal(entry),
        "markPrice": _price(account, market, mark),
        "unRealizedProfit": units_text(upnl),
        "liquidationPrice": _decimal(liquidation),
        "leverage": str(setting.leverage),
        "maxNotionalValue": str(fm.max_notional(spec, setting.leverage)),
        "marginType": "isolated" if setting.isolated else "cross",
        "isolatedMargin": units_text(pos.isolated_margin + upnl if setting.isolated else 0),
        "isAutoAddMargin": "false",
        "notional": units_text(value if pos.qty >= 0 else -value),
        "isolatedWallet": units_text(pos.isolated_margin),
        "initialMargin": units_text(margin + account.order_margin(market)),
        "maintMargin": units_text(account.maint_margin(market, now_ms)),
        "positionInitialMargin": units_text(margin),
        "openOrderInitialMargin": units_text(account.order_margin(market)),
        "adl": 0,
        "bidNotional": "0",
        "askNotional": "0",
        "marginAsset": SETTLE,
        "updateTime": pos.update_ms,
    }


V3_RISK_FIELDS = (
    "symbol",
    "positionSide",
    "positionAmt",
    "entryPrice",
    "breakEvenPrice",
    "markPrice",
    "unRealizedProfit",
    "liquidationPrice",
    "isolatedMargin",
    "notional",
    "marginAsset",
    "isolatedWallet",
    "initialMargin",
    "maintMargin",
    "positionInitialMargin",
    "openOrderInitialMargin",
    "adl",
    "bidNotional",
    "askNotional",
    "updateTime",
)


def totals(account: FuturesAccount, now_ms: int) -> dict[str, int]:
    """The wallet's sums in units, as ``/fapi/v3/account`` names them."""
    markets = sorted({*account.positions, *(o.market for o in account.open_orders.values())})
    position_im = sum(account.position_margin(m, now_ms) for m in markets)
    order_im = sum(account.order_margin(m) for m in markets)
    upnl = sum(account.unrealized(m, now_ms) for m in markets)
    cross_upnl = sum(
        account.unrealized(m, now_ms) for m in markets if not account.setting(m).isolated
    )
    return {
        "totalInitialMargin": position_im + order_im,
        "totalMaintMargin": sum(account.maint_margin(m, now_ms) for m in markets),
        "totalWalletBalance": account.wallet,
        "totalUnrealizedProfit": upnl,
        "totalMarginBalance": account.wallet + upnl,
        "totalPositionInitialMargin": position_im,
        "totalOpenOrderInitialMargin": order_im,
        "totalCrossWalletBalance": account.cross_wallet(),
        "totalCrossUnPnl": cross_upnl,
        "availableBalance": account.available(now_ms),
        "maxWithdrawAmount": account.available(now_ms),
    }


def account_answer(account: FuturesAccount, now_ms: int, version: int) -> dict[str, Any]:
    """``GET /fapi/v2/account`` and ``/fapi/v3/account``: one asset (USDT), positions."""
    sums = totals(account, now_ms)
    asset: dict[str, int] = {
        "walletBalance": sums["totalWalletBalance"],
        "unrealizedProfit": sums["totalUnrealizedProfit"],
        "marginBalance": sums["totalMarginBalance"],
        "maintMargin": sums["totalMaintMargin"],
        "initialMargin": sums["totalInitialMargin"],
        "positionInitialMargin": sums["totalPositionInitialMargin"],
        "openOrderInitialMargin": sums["totalOpenOrderInitialMargin"],
        "crossWalletBalance": sums["totalCrossWalletBalance"],
        "crossUnPnl": sums["totalCrossUnPnl"],
        "availableBalance": sums["availableBalance"],
        "maxWithdrawAmount": sums["maxWithdrawAmount"],
    }
    answer: dict[str, Any] = {k: units_text(v) for k, v in sums.items()}
    answer["assets"] = [
        {
            "asset": SETTLE,
            **{k: units_text(v) for k, v in asset.items()},
            "marginAvailable": True,
            "updateTime": now_ms,
        }
    ]
    positions = []
    for market in sorted(account.positions):
        if not account.positions[market].qty:
            continue
        risk = position_risk(account, market, now_ms)
        entry = {
            k: risk[k]
            for k in (
                "symbol",
                "positionSide",
                "positionAmt",
                "isolatedMargin",
                "notional",
                "isolatedWallet",
                "initialMargin",
                "maintMargin",
                "updateTime",
            )
        }
        entry["unrealizedProfit"] = risk["unRealizedProfit"]
        if version == 2:
            entry.update(
                leverage=risk["leverage"],
                isolated=risk["marginType"] == "isolated",
                entryPrice=risk["entryPrice"],
                breakEvenPrice=risk["breakEvenPrice"],
                maxNotional=risk["maxNotionalValue"],
                positionInitialMargin=risk["positionInitialMargin"],
                openOrderInitialMargin=risk["openOrderInitialMargin"],
                bidNotional="0",
                askNotional="0",
            )
        positions.append(entry)
    answer["positions"] = positions
    if version == 2:
        answer.update(
            feeTier=0,
            canTrade=True,
            canDeposit=True,
            canWithdraw=True,
            updateTime=0,
            multiAssetsMargin=False,
            tradeGroupId=-1,
        )
    return answer


def balance_answer(account: FuturesAccount, now_ms: int) -> list[dict[str, Any]]:
    """``GET /fapi/v2/balance`` and ``/fapi/v3/balance``."""
    sums = totals(account, now_ms)
    return [
        {
            "accountAlias": "SgsR",
            "asset": SETTLE,
            "balance": units_text(sums["totalWalletBalance"]),
            "crossWalletBalance": units_text(sums["totalCrossWalletBalance"]),
            "crossUnPnl": units_text(sums["totalCrossUnPnl"]),
            "availableBalance": units_text(sums["availableBalance"]),
            "maxWithdrawAmount": units_text(sums["maxWithdrawAmount"]),
            "marginAvailable": True,
            "updateTime": now_ms,
        }
    ]


def commission_rates(symbol: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "makerCommissionRate": str(MAKER_BPS / 10_000),
        "takerCommissionRate": str(TAKER_BPS / 10_000),
    }


def futures_snapshot(account: FuturesAccount, now_ms: int) -> dict[str, Any]:
    """What ``GET /sim/account`` shows of the futures side."""
    with account.lock:
        sums = totals(account, now_ms)
        return {
            "wallet": {k: units_text(v) for k, v in sums.items()},
            "settings": {
                account.markets[m].symbol: {"leverage": s.leverage, "marginType": s.margin_type}
                for m, s in sorted(account.settings.items())
            },
            "positions": [
                position_risk(account, m, now_ms)
                for m in sorted(account.positions)
                if account.positions[m].qty
            ],
            "orders": [order_result(account, o) for o in account.orders.values()],
            "trades": [trade_result(account, t) for t in account.trades],
            "income": [income_result(i) for i in account.incomes],
        }


__all__ = [
    "V3_RISK_FIELDS",
    "account_answer",
    "balance_answer",
    "commission_rates",
    "futures_snapshot",
    "income_result",
    "new_order_answer",
    "order_result",
    "position_risk",
    "totals",
    "trade_result",
]
