"""USD-M futures margin arithmetic, as pure functions over exact amounts.

Why apart from the account: margin, maintenance, unrealised PnL and the liquidation price
are Binance's published formulas; as functions of integers (USDT units of 1e-8, quantities
in steps, prices in ticks) and Decimals they are unit-testable one by one, and the account
only books what they compute.

- initial margin: notional / leverage (rounded up to 1e-8);
- maintenance margin: ``notional * maint_margin_ratio - cum`` of the notional's bracket;
- unrealised PnL: (mark - entry) x quantity for a long, (entry - mark) x quantity for a short;
- liquidation price (one-way mode, Binance's formula)::

      LP = (WB - TMM1 + UPNL1 + cum - side * qty * EP) / (qty * MMR - side * qty)

  WB the position's isolated margin (isolated) or the cross wallet (cross), TMM1 and UPNL1
  the other cross positions' maintenance margin and unrealised PnL (0 when isolated),
  side 1 for a long, -1 for a short.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from freqfleet.sim.units import UNIT, quote_units

if TYPE_CHECKING:
    from freqfleet.sim.futures_markets import FuturesMarket, LeverageBracket


def notional(market: FuturesMarket, price_ticks: int, qty_steps: int) -> int:
    """|price x quantity| in USDT units."""
    return quote_units(price_ticks, abs(qty_steps), market.price_decimals, market.amount_decimals)


def initial_margin(notional_units: int, leverage: int) -> int:
    """Notional / leverage, rounded up to a unit."""
    return -(-notional_units // leverage)


def bracket(market: FuturesMarket, notional_units: int) -> LeverageBracket:
    return market.bracket_for(Decimal(notional_units) / UNIT)


def maintenance_margin(market: FuturesMarket, notional_units: int) -> int:
    """``notional * maint_margin_ratio - cum`` of the notional's bracket, in units (rounded
    up: the exchange's side of a tie)."""
    if notional_units == 0:
        return 0
    chosen = bracket(market, notional_units)
    exact = Decimal(notional_units) * chosen.maint_margin_ratio - chosen.cum * UNIT
    return max(0, int(exact.to_integral_value(rounding=ROUND_CEILING)))


def unrealized(market: FuturesMarket, qty: int, entry_value: int, mark_ticks: int) -> int:
    """Unrealised PnL in units of ``qty`` steps (signed) that cost ``entry_value``."""
    value = notional(market, mark_ticks, qty)
    return value - entry_value if qty > 0 else entry_value - value


def max_notional(market: FuturesMarket, leverage: int) -> int:
    """The largest position notional (whole USDT) ``leverage`` allows: the cap of the
    highest bracket whose initial leverage still reaches it."""
    caps = [b.notional_cap for b in market.brackets if b.initial_leverage >= leverage]
    return max(caps) if caps else 0


def entry_price(market: FuturesMarket, qty: int, entry_value: int) -> Decimal:
    """The average entry price of a position (Decimal, up to 8 decimals past the tick)."""
    if qty == 0:
        return Decimal(0)
    base = Decimal(abs(qty)).scaleb(-market.amount_decimals)
    return (Decimal(entry_value) / UNIT / base).quantize(Decimal(1).scaleb(-8), ROUND_HALF_UP)


def liquidation_price(
    market: FuturesMarket,
    qty: int,
    entry_value: int,
    wallet: int,
    others_maint: int = 0,
    others_unrealized: int = 0,
) -> Decimal:
    """Binance's one-way liquidation price of a position (0 when there is none or it
    cannot be liquidated); ``wallet``: isolated margin, or the cross wallet balance. The
    bracket is the one of the position's notional at that price (found by trying the
    entry's bracket, then the price's, as the formula is per bracket)."""
    if qty == 0:
        return Decimal(0)
    side = 1 if qty > 0 else -1
    base = Decimal(abs(qty)).scaleb(-market.amount_decimals)
    funds = Decimal(wallet - others_maint + others_unrealized) / UNIT
    chosen = bracket(market, entry_value)
    price = Decimal(0)
    for _ in range(len(market.brackets)):
        numerator = funds + chosen.cum - side * Decimal(entry_value) / UNIT
        price = numerator / (base * chosen.maint_margin_ratio - side * base)
        if price <= 0:
            return Decimal(0)
        there = market.bracket_for(price * base)
        if there == chosen:
            break
        chosen = there
    return price.quantize(Decimal(1).scaleb(-8), ROUND_HALF_UP)


def funding_fee(notional_units: int, rate: Decimal) -> int:
    """``notional x rate`` in units (half up): what a long pays when the rate is positive."""
    return int((Decimal(notional_units) * rate).to_integral_value(rounding=ROUND_HALF_UP))


def commission(value_units: int, rate_bps: Decimal) -> int:
    """Commission of a fill worth ``value_units`` at ``rate_bps`` basis points (rounded up)."""
    exact = Decimal(value_units) * rate_bps / 10_000
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


__all__ = [
    "bracket",
    "commission",
    "entry_price",
    "funding_fee",
    "initial_margin",
    "liquidation_price",
    "maintenance_margin",
    "max_notional",
    "notional",
    "unrealized",
]
