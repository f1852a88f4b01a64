"""A live futures bot's trades, positions and wallet against the simulator's futures account.

What "reconciles" means for a bot trading USD-M perpetuals live on the simulator:

- every account order that filled or is still open belongs to one of the bot's trades (the
  exchange's own ``LIQUIDATION`` orders aside, listed apart): no orphan, none twice;
- each bot order's filled amount is the account order's executed quantity;
- each symbol's position on the account is what the bot's open trades of the pair hold
  (shorts negative); a pair without open trades has no position;
- each trade's fees are the commissions of its orders' fills (the entry's as freqtrade's
  fee rate times the entry's value: its ``fee_open_cost`` in futures is rate x margin); a
  closed trade's profit is
  its orders' realised PnL less those commissions plus the funding fees the account booked
  for the pair while it was open, and its ``funding_fees`` are those fees;
- the bot's USDT wallet is the account's: ``free`` the available balance, ``total`` the
  wallet balance (freqtrade strips the unrealised PnL it read a request after the balance:
  up to what a 0.1 % move of the mark changes in between).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

TOLERANCE = Decimal("1e-6")  # freqtrade keeps floats; the account exact units of 1e-8
OPEN = ("NEW", "PARTIALLY_FILLED")
MARK_MOVE = Decimal("0.001")  # how far the mark may move between two of the bot's requests


@dataclass
class FuturesReconciliation:
    differences: list[str] = field(default_factory=list)
    liquidations: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences


def _near(a: Any, b: Any) -> bool:
    return abs(Decimal(str(a)) - Decimal(str(b))) <= TOLERANCE


def _symbol(pair: str) -> str:
    return pair.split(":")[0].replace("/", "")


def reconcile_futures(
    futures: dict[str, Any],
    trades: list[dict[str, Any]],
    wallet: dict[str, Any] | None,
    wallet_ms: int | None = None,
) -> FuturesReconciliation:
    """``futures``: ``GET /sim/account``'s ``futures``; ``trades``: the bot's trades as its
    REST API shows them (``/api/v1/trades``); ``wallet``: its USDT ``free`` and ``total``,
    last refreshed after ``wallet_ms`` (a funding paid since then, at 00:00, 08:00 or 16:00
    UTC, leaves the wallet uncompared: noted in ``skipped``)."""
    result = FuturesReconciliation()
    if wallet is not None and wallet_ms is not None:
        late = [
            i
            for i in futures["income"]
            if i["incomeType"] == "FUNDING_FEE" and i["time"] >= wallet_ms
        ]
        if late:
            result.skipped.append(f"wallet: {len(late)} funding fees after the bot read it")
            wallet = None
    orders = {str(o["orderId"]): o for o in futures["orders"]}
    recorded = Counter(str(o["order_id"]) for t in trades for o in t["orders"])
    result.differences += [f"order {i} in {n} trades" for i, n in recorded.items() if n > 1]
    for order in orders.values():
        if order["type"] == "LIQUIDATION":
            result.liquidations.append(f"{order['symbol']} {order['orderId']}")
        elif str(order["orderId"]) not in recorded and (
            Decimal(order["executedQty"]) > 0 or order["status"] in OPEN
        ):
            result.differences.append(f"orphan {order['symbol']} {order['orderId']}")
    for trade in trades:
        _check_trade(result, trade, orders, futures)
    _check_positions(result, futures, trades)
    if wallet is not None:
        sums = futures["wallet"]
        # freqtrade strips the positions' unrealised PnL (read a request later than the
        # balance) from the margin balance: the mark may have moved in between.
        moved = sum(abs(Decimal(p["notional"])) for p in futures["positions"]) * MARK_MOVE
        difference = abs(Decimal(str(wallet["total"])) - Decimal(sums["totalWalletBalance"]))
        if difference > TOLERANCE + moved:
            result.differences.append(
                f"wallet total: bot {wallet['total']}, account {sums['totalWalletBalance']}"
            )
        if not _near(wallet["free"], sums["availableBalance"]):
            result.differences.append(
                f"wallet free: bot {wallet['free']}, account {sums['availableBalance']}"
            )
    return result


def _check_trade(
    result: FuturesReconciliation,
    trade: dict[str, Any],
    orders: dict[str, dict[str, Any]],
    futures: dict[str, Any],
) -> None:
    mine = [orders.get(str(o["order_id"])) for o in trade["orders"]]
    for bot_order, order in zip(trade["orders"], mine, strict=True):
        if order is None:
            result.differences.append(f"trade {trade['trade_id']}: unknown order")
        elif not _near(bot_order["filled"] or 0, order["executedQty"]):
            result.differences.append(
                f"order {order['orderId']}: bot filled {bot_order['filled']}, "
                f"account {order['executedQty']}"
            )
    ids = {o["orderId"] for o in mine if o is not None}
    fills = [t for t in futures["trades"] if t["orderId"] in ids]
    fees = sum((Decimal(t["commission"]) for t in fills), Decimal(0))
    entry_side = "sell" if trade["is_short"] else "buy"
    entry_ids = {int(o["order_id"]) for o in trade["orders"] if o["ft_order_side"] == entry_side}
    entry_fees = sum(
        (Decimal(t["commission"]) for t in fills if t["orderId"] in entry_ids), Decimal(0)
    )
    # freqtrade keeps the entry's fee rate; its fee_open_cost is that rate times the
    # margin (stake), not the fee paid, so the entry is compared by rate x notional.
    entry_value = sum(
        Decimal(str(o["filled"] or 0)) * Decimal(str(o["safe_price"]))
        for o in trade["orders"]
        if o["ft_order_side"] == entry_side
    )
    bot_entry = Decimal(str(trade["fee_open"])) * entry_value
    if not _near(bot_entry, entry_fees):
        result.differences.append(
            f"trade {trade['trade_id']}: entry fees bot {bot_entry}, account {entry_fees}"
        )
    if not trade["is_open"] and not _near(trade.get("fee_close_cost") or 0, fees - entry_fees):
        result.differences.append(
            f"trade {trade['trade_id']}: exit fees bot {trade.get('fee_close_cost')}, "
            f"account {fees - entry_fees}"
        )
    if trade["is_open"]:
        return
    symbol = _symbol(trade["pair"])
    funding = sum(
        (
            Decimal(i["income"])
            for i in futures["income"]
            if i["incomeType"] == "FUNDING_FEE"
            and i["symbol"] == symbol
            and trade["open_timestamp"] <= i["time"] <= trade["close_timestamp"]
        ),
        Decimal(0),
    )
    if not _near(trade.get("funding_fees") or 0, funding):
        result.differences.append(
            f"trade {trade['trade_id']}: funding bot {trade.get('funding_fees')}, account {funding}"
        )
    realized = sum((Decimal(t["realizedPnl"]) for t in fills), Decimal(0))
    profit = realized - fees + funding
    if not _near(trade["profit_abs"], profit):
        result.differences.append(
            f"trade {trade['trade_id']}: profit bot {trade['profit_abs']}, account {profit}"
        )


def _check_positions(
    result: FuturesReconciliation, futures: dict[str, Any], trades: list[dict[str, Any]]
) -> None:
    held: dict[str, Decimal] = {}
    for trade in trades:
        if trade["is_open"]:
            sign = -1 if trade["is_short"] else 1
            symbol = _symbol(trade["pair"])
            held[symbol] = held.get(symbol, Decimal(0)) + sign * Decimal(str(trade["amount"]))
    positions = {p["symbol"]: Decimal(p["positionAmt"]) for p in futures["positions"]}
    for symbol in set(held) | set(positions):
        if not _near(held.get(symbol, 0), positions.get(symbol, 0)):
            result.differences.append(
                f"{symbol}: bot holds {held.get(symbol, 0)}, account {positions.get(symbol, 0)}"
            )


__all__ = ["FuturesReconciliation", "reconcile_futures"]
