"""Exact amounts: every balance and fill of the simulated account in asset units of 1e-8.

Why integers: a live bot's wallet must add up to the cent after hundreds of fills, and
freqtrade reconciles its own arithmetic with what the exchange reports, so the simulator
never rounds a balance through a float. Binance writes every asset amount with 8 decimals;
so does the simulator.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

ASSET_DECIMALS = 8
UNIT = 10**ASSET_DECIMALS
"""Units per whole asset."""

_DECIMAL = re.compile(r"^-?[0-9]{1,20}(\.[0-9]{1,20})?\Z")


def units_text(units: int) -> str:
    """``units`` as Binance writes an asset amount: ``"12.34000000"``."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), UNIT)
    return f"{sign}{whole}.{frac:0{ASSET_DECIMALS}d}"


def parse_units(value: object) -> int | None:
    """A decimal number (text, int or Decimal) as units; None when it is not one or has
    more than 8 decimals."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        return None
    if isinstance(value, str) and not _DECIMAL.match(value):
        return None
    try:
        exact = Decimal(value) * UNIT
    except InvalidOperation:
        return None
    if not exact.is_finite() or exact != exact.to_integral_value():
        return None
    return int(exact)


def scale(units: int, decimals: int) -> int:
    """An amount of ``decimals`` decimals (steps, ticks) as asset units."""
    return units * 10 ** (ASSET_DECIMALS - decimals)


def quote_units(price_ticks: int, qty_steps: int, price_decimals: int, amount_decimals: int) -> int:
    """Price x quantity in quote units, truncated to 1e-8 (exact whenever the market's
    decimals add up to 8 or fewer, as on every synthetic market)."""
    shift = ASSET_DECIMALS - price_decimals - amount_decimals
    product = price_ticks * qty_steps
    return product * 10**shift if shift >= 0 else product // 10**-shift


__all__ = ["ASSET_DECIMALS", "UNIT", "parse_units", "quote_units", "scale", "units_text"]
