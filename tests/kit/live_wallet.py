"""A live bot's wallet against the simulator's account: orders, orphans, duplicates, balances.

What "reconciles" means here, for a bot trading live on the simulator:

- every exchange order that moved money (any fill) or still can (open) is recorded in one
  of the bot's trades (its order id in freqtrade's ``orders`` table): no orphan;
- no exchange order is recorded twice, and no decision sent two orders: every order the
  consumer sent carries its own journalled client id, and none of those ids names two
  exchange orders;
- per asset, the bot's wallet (freqtrade's ``Wallets``, what it trades on) equals the
  account's free and locked balances, and each base asset's balance is what the bot's
  trades hold plus the dust freqtrade leaves after fees (it rounds a trade's amount after
  the commission down to the market's step: less than one step per trade).

An exchange order cancelled or expired without a fill belongs to no trade when freqtrade
deleted its trade (an entry that never filled): it moved no money and is no orphan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

OPEN = ("NEW", "PARTIALLY_FILLED")


@dataclass(frozen=True)
class DbOrder:
    """One order of freqtrade's database: its exchange id, pair, side, fill and trade."""

    order_id: str
    pair: str
    side: str
    status: str | None
    filled: float
    trade_id: int
    trade_open: bool
    trade_amount: float


@dataclass
class Reconciliation:
    placed: int = 0
    filled: int = 0
    cancelled: int = 0
    duplicates: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    fill_differences: list[str] = field(default_factory=list)
    balance_differences: dict[str, str] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (
            self.duplicates or self.orphans or self.fill_differences or self.balance_differences
        )

    def summary(self) -> str:
        return (
            f"orders placed {self.placed}, filled {self.filled}, cancelled {self.cancelled}; "
            f"duplicates {len(self.duplicates)}, orphans {len(self.orphans)}, fill differences "
            f"{len(self.fill_differences)}, balance differences {len(self.balance_differences)}"
            + ("" if self.clean else f": {self.__dict__}")
        )


def pair_of(symbol: str, quotes: tuple[str, ...] = ("USDT", "BTC", "ETH", "BNB")) -> str:
    for quote in quotes:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return f"{symbol[: -len(quote)]}/{quote}"
    raise ValueError(f"unknown quote in {symbol}")


def db_orders_in_process() -> list[DbOrder]:
    """The orders of the freqtrade database this process has open (an in-process bot)."""
    from freqtrade.persistence import Trade

    out = []
    for trade in Trade.get_trades_proxy():
        for order in trade.orders:
            if order.ft_order_side == "stoploss":
                continue
            out.append(
                DbOrder(
                    order_id=str(order.order_id),
                    pair=trade.pair,
                    side=order.ft_order_side,
                    status=order.status,
                    filled=float(order.filled or 0.0),
                    trade_id=trade.id,
                    trade_open=trade.is_open,
                    trade_amount=float(trade.amount),
                )
            )
    return out


def db_orders_from_rows(rows: list[tuple]) -> list[DbOrder]:
    """From ``SELECT o.order_id, t.pair, o.ft_order_side, o.status, o.filled, t.id,
    t.is_open, t.amount FROM orders o JOIN trades t ON o.ft_trade_id = t.id``."""
    return [
        DbOrder(str(r[0]), r[1], r[2], r[3], float(r[4] or 0.0), r[5], bool(r[6]), float(r[7]))
        for r in rows
        if r[2] != "stoploss"
    ]


DB_ORDERS_SQL = (
    "SELECT o.order_id, t.pair, o.ft_order_side, o.status, o.filled, t.id, t.is_open, "
    "t.amount FROM orders o JOIN trades t ON o.ft_trade_id = t.id"
)


def reconcile(
    account: dict[str, Any],
    db_orders: list[DbOrder],
    wallet: dict[str, tuple[float, float]] | None,
    *,
    start: dict[str, Decimal] | None = None,
    steps: dict[str, Decimal] | None = None,
    client_prefix: str = "ff",
) -> Reconciliation:
    """Compare the account (``GET /sim/account``) with the bot's orders and wallet.

    ``wallet``: asset -> (free, used) as the bot's ``Wallets`` holds them (None: not
    compared). ``steps``: pair -> amount step, for the dust bound of base assets.
    """
    result = Reconciliation()
    recorded = Counter(o.order_id for o in db_orders)
    result.duplicates += [f"order {i} recorded {n} times" for i, n in recorded.items() if n > 1]
    by_id = {o.order_id: o for o in db_orders}
    client_ids = Counter(
        o["clientOrderId"]
        for o in account["orders"]
        if o["clientOrderId"].startswith(client_prefix)
    )
    result.duplicates += [f"client id {c} on {n} orders" for c, n in client_ids.items() if n > 1]
    for order in account["orders"]:
        result.placed += 1
        executed = Decimal(order["executedQty"])
        if order["status"] == "FILLED":
            result.filled += 1
        elif order["status"] in ("CANCELED", "EXPIRED"):
            result.cancelled += 1
        mine = by_id.get(str(order["id"]))
        if mine is None:
            if executed > 0 or order["status"] in OPEN:
                result.orphans.append(
                    f"{order['symbol']} {order['side']} {order['id']} {order['status']} "
                    f"executed {order['executedQty']}"
                )
            continue
        if abs(Decimal(str(mine.filled)) - executed) > Decimal("1e-12") and mine.status != "open":
            result.fill_differences.append(
                f"order {order['id']}: exchange {executed}, bot {mine.filled} ({mine.status})"
            )
    balances = {
        asset: (Decimal(b["free"]), Decimal(b["locked"]))
        for asset, b in account["balances"].items()
    }
    if wallet is not None:
        for asset in set(balances) | set(wallet):
            free, locked = balances.get(asset, (Decimal(0), Decimal(0)))
            bot_free, bot_used = wallet.get(asset, (0.0, 0.0))
            if abs(Decimal(str(bot_free)) - free) > Decimal("1e-8") or abs(
                Decimal(str(bot_used)) - locked
            ) > Decimal("1e-8"):
                result.balance_differences[asset] = (
                    f"exchange free {free} locked {locked}, bot free {bot_free} used {bot_used}"
                )
    if steps is not None:
        _check_base_assets(result, balances, db_orders, start or {}, steps)
    return result


def _check_base_assets(
    result: Reconciliation,
    balances: dict[str, tuple[Decimal, Decimal]],
    db_orders: list[DbOrder],
    start: dict[str, Decimal],
    steps: dict[str, Decimal],
) -> None:
    """Each base asset holds what the bot's open trades hold, plus dust under one step per
    trade of the pair."""
    trades: dict[str, dict[int, DbOrder]] = {}
    for order in db_orders:
        trades.setdefault(order.pair, {})[order.trade_id] = order
    for pair, step in steps.items():
        base = pair.split("/")[0]
        free, locked = balances.get(base, (Decimal(0), Decimal(0)))
        held = free + locked - start.get(base, Decimal(0))
        of_pair = trades.get(pair, {})
        in_trades = sum(
            (Decimal(str(o.trade_amount)) for o in of_pair.values() if o.trade_open), Decimal(0)
        )
        dust = held - in_trades
        if dust < -Decimal("1e-12") or dust > step * len(of_pair) + Decimal("1e-12"):
            result.balance_differences[base] = (
                f"{pair}: account holds {held}, open trades {in_trades}, "
                f"{len(of_pair)} trade(s) (dust allowed {step * len(of_pair)})"
            )


__all__ = [
    "DB_ORDERS_SQL",
    "DbOrder",
    "Reconciliation",
    "db_orders_from_rows",
    "db_orders_in_process",
    "pair_of",
    "reconcile",
]
