"""A live futures bot's trades, positions and wallet against the simulator's futures account.

What "reconciles" means for a bot trading USD-M perpetuals live on the simulator:

- every account order that filled or is still open belongs to one of the bot's trades (the
  exchange's own ``LIQUIDATION`` orders aside, listed apart): no orphan, none twice;
- each bot order's filled amount is the account order's executed quantity;
- each symbol's position on the account is what the bot's open trades of the pair hold
  (shorts negative); a pair without open trades has no position;
- each trade's fee rates are what freqtrade's own rule makes of the account's fills (below),
  its ``fee_close_cost`` the commissions of its exit's fills; a closed trade's profit is its
  orders' realised PnL less the fees freqtrade books by that rule plus the funding fees the
  account booked for the pair while it was open, and its ``funding_fees`` are those fees;
- the bot's USDT wallet is the account's: ``free`` the available balance, ``total`` the
  wallet balance (freqtrade strips the unrealised PnL it read a request after the balance:
  up to what a 0.1 % move of the mark changes in between).

freqtrade's fee rule (freqtrade 2026.9, ``FreqtradeBot.fee_detection_from_trades``): a
Binance futures order carries no fee, so freqtrade reads the order's trades
(``userTrades``) and takes as the side's fee *rate* the unweighted mean of each trade's
``commission / quoteQty`` (rounded to 8 decimals, ``Exchange.calculate_fee_rate``), for
the first order of each side only (``Trade.update_fee`` acts once per side). The trade's
fees are then that rate times the side's value (``fee_open`` in the open value, ``fee_close``
in the close value, so in ``profit_abs``), and ``fee_open_cost`` becomes rate x margin
(``Trade.recalc_trade_from_orders``). When an order fills partly as a taker (0.05 %) and
partly as a maker (0.02 %) in unequal parts, that mean is not what the account charged:
an entry of 120 USDT filled for 67.33 USDT at once and for 52.67 USDT in two resting
fills is booked at (0.05 + 0.02 + 0.02) / 3 = 0.03 %, 0.0360 USDT, where the account
charged 0.0442 USDT. The account is right (Binance charges each fill its own rate); the
reconciliation checks that freqtrade applied its rule to the account's fills exactly and
lists each such gap in ``fee_gaps`` (booked, charged), so that it is stated, not hidden.
The wallet, which freqtrade reads from the account, is not affected.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

TOLERANCE = Decimal("1e-6")  # freqtrade keeps floats; the account exact units of 1e-8
UNIT = Decimal("1e-8")  # the account's smallest USDT amount (a fill's commission rounds up)
OPEN = ("NEW", "PARTIALLY_FILLED")
MARK_MOVE = Decimal("0.001")  # how far the mark may move between two of the bot's requests


@dataclass(frozen=True)
class SideFees:
    """One side (entry or exit) of a trade's fees: ``rates`` of the fills of the side's
    first filled order as freqtrade computes them (``commission / quoteQty``, 8 decimals),
    ``value`` the side's filled value (the bot's ``filled`` x price), ``charged`` the
    account's commissions of all the side's fills (``fills`` of them)."""

    trade_id: int
    side: str
    rates: tuple[Decimal, ...]
    value: Decimal
    charged: Decimal
    fills: int

    @property
    def rate(self) -> Decimal:
        """freqtrade's rate: the unweighted mean of ``rates``."""
        return sum(self.rates, Decimal(0)) / len(self.rates) if self.rates else Decimal(0)

    @property
    def booked(self) -> Decimal:
        """The fees freqtrade books for the side: its rate x the side's value."""
        return self.rate * self.value

    @property
    def gap(self) -> Decimal:
        """What the account charged beyond what freqtrade books."""
        return self.charged - self.booked

    @property
    def apart(self) -> bool:
        """Whether the gap is more than rounding (each fill's commission rounds up)."""
        return abs(self.gap) > TOLERANCE + self.fills * UNIT

    def __str__(self) -> str:
        rates = ", ".join(f"{r:f}" for r in self.rates)
        return (
            f"trade {self.trade_id} {self.side}: freqtrade books {self.rate:.8f} (the mean "
            f"of its fills' rates {rates}) x {self.value:f} = {self.booked:.8f} USDT, the "
            f"account charged {self.charged:f} USDT (the bot's profit {self.gap:+.8f} USDT "
            "against the account's)"
        )


@dataclass
class FuturesReconciliation:
    differences: list[str] = field(default_factory=list)
    liquidations: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    fee_gaps: list[SideFees] = field(default_factory=list)
    """Sides whose fees freqtrade books, by its rule, apart from what the account charged."""

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


def side_fees(trade: dict[str, Any], fills: list[dict[str, Any]], entry: bool) -> SideFees:
    """The entry's (``entry``) or the exit's fees of ``trade`` (the bot's) on the account's
    ``fills`` (``userTrades`` of the trade's orders)."""
    entry_side = "sell" if trade["is_short"] else "buy"
    orders = [o for o in trade["orders"] if (o["ft_order_side"] == entry_side) == entry]
    ids = [str(o["order_id"]) for o in orders]
    mine = [t for t in fills if str(t["orderId"]) in ids]
    filled = [i for i in ids if any(str(t["orderId"]) == i for t in mine)]
    first = [t for t in mine if filled and str(t["orderId"]) == filled[0]]
    rates = tuple(
        (Decimal(t["commission"]) / Decimal(t["quoteQty"])).quantize(UNIT)
        for t in first
        if Decimal(t["quoteQty"])
    )
    value = sum(
        (Decimal(str(o["filled"] or 0)) * Decimal(str(o["safe_price"] or 0)) for o in orders),
        Decimal(0),
    )
    charged = sum((Decimal(t["commission"]) for t in mine), Decimal(0))
    return SideFees(
        trade["trade_id"], "entry" if entry else "exit", rates, value, charged, len(mine)
    )


def _check_fees(
    result: FuturesReconciliation, trade: dict[str, Any], fees: SideFees, bot_rate: Any
) -> None:
    """freqtrade's rate for the side is its rule on the account's fills; a gap between
    what that books and what the account charged is listed, not a difference."""
    if not fees.rates:
        return
    bot = Decimal(str(bot_rate)) * fees.value
    if not _near(bot, fees.booked):
        result.differences.append(
            f"trade {trade['trade_id']}: {fees.side} fees bot {bot}, freqtrade's rule on the "
            f"account's fills {fees.booked}, charged {fees.charged}"
        )
    elif fees.apart:
        result.fee_gaps.append(fees)


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
    entry, exit_ = side_fees(trade, fills, entry=True), side_fees(trade, fills, entry=False)
    # freqtrade's fee_open_cost is its rate times the margin (stake), not the fee paid: the
    # entry is compared by rate x notional; its fee_close_cost is the exit's commissions.
    _check_fees(result, trade, entry, trade["fee_open"])
    if trade["is_open"]:
        return
    _check_fees(result, trade, exit_, trade["fee_close"])
    if not _near(trade.get("fee_close_cost") or 0, exit_.charged):
        result.differences.append(
            f"trade {trade['trade_id']}: exit fees bot {trade.get('fee_close_cost')}, "
            f"account {exit_.charged}"
        )
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
    profit = realized - entry.booked - exit_.booked + funding
    if not _near(trade["profit_abs"], profit):
        charged = realized - entry.charged - exit_.charged + funding
        result.differences.append(
            f"trade {trade['trade_id']}: profit bot {trade['profit_abs']}, by freqtrade's "
            f"fees on the account's fills {profit} (by the account's commissions {charged})"
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


__all__ = ["FuturesReconciliation", "SideFees", "reconcile_futures", "side_fees"]
