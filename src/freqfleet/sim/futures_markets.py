"""The simulator's USDT-margined perpetuals: one per USDT-quoted spot market.

Why this simple: a perpetual here trades at its spot market's price (same candles, same
order book), so futures market i is spot market i under Binance's futures names
(``BTCUSDT``, ccxt's ``BTC/USDT:USDT``), contract size 1, settled in USDT. What only
futures have is stated here: the ``/fapi/v1/exchangeInfo`` entry and the leverage brackets
(maximum leverage and maintenance margin by position notional) that margin and
liquidation read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from freqfleet.sim.markets import SimMarket

SETTLE = "USDT"
MIN_NOTIONAL = Decimal(5)
"""Binance USD-M's minimum order notional (``MIN_NOTIONAL.notional``) in USDT."""

LISTED_MS = 1_569_398_400_000
"""``onboardDate`` of every perpetual (Binance's BTCUSDT listing, 2019-09-25)."""
PERPETUAL_DELIVERY_MS = 4_133_404_800_000
"""The ``deliveryDate`` Binance gives every perpetual (2100-12-25)."""

# Binance's BTCUSDT ladder: (initial leverage, maintenance margin ratio, notional cap USDT).
_LADDER: tuple[tuple[int, str, int], ...] = (
    (125, "0.004", 50_000),
    (100, "0.005", 250_000),
    (50, "0.01", 3_000_000),
    (20, "0.025", 15_000_000),
    (10, "0.05", 30_000_000),
    (5, "0.1", 80_000_000),
    (4, "0.125", 100_000_000),
    (3, "0.15", 200_000_000),
    (2, "0.25", 300_000_000),
    (1, "0.5", 500_000_000),
)
# Tiers: (notional divisor, maximum leverage). Majors get the whole ladder; large caps a
# tenth of its notionals from 75x down; every other market a hundredth from 50x down.
_MAJORS = frozenset({"BTC", "ETH"})
_LARGE = frozenset({"BNB", "SOL", "XRP", "DOGE", "ADA", "TRX", "LTC", "LINK", "AVAX", "DOT"})
_TIERS = {"major": (1, 125), "large": (10, 75), "small": (100, 50)}


@dataclass(frozen=True)
class LeverageBracket:
    """One row of Binance's ``leverageBracket``: notionals in whole USDT; ``cum`` is the
    maintenance amount that makes maintenance margin continuous across brackets."""

    bracket: int
    initial_leverage: int
    notional_floor: int
    notional_cap: int
    maint_margin_ratio: Decimal
    cum: Decimal

    def info(self) -> dict[str, Any]:
        """The bracket as ``GET /fapi/v1/leverageBracket`` lists it."""
        return {
            "bracket": self.bracket,
            "initialLeverage": self.initial_leverage,
            "notionalCap": self.notional_cap,
            "notionalFloor": self.notional_floor,
            "maintMarginRatio": float(self.maint_margin_ratio),
            "cum": float(self.cum),
        }


def brackets_for(base: str) -> tuple[LeverageBracket, ...]:
    """The leverage brackets of ``base``'s perpetual (its tier's share of the ladder)."""
    tier = "major" if base in _MAJORS else "large" if base in _LARGE else "small"
    divisor, max_leverage = _TIERS[tier]
    rows = [(lev, Decimal(mmr), cap // divisor) for lev, mmr, cap in _LADDER]
    # The first kept bracket starts at the highest rung a tier allows (75x sits between
    # 100x and 50x: it keeps the 50x rung's ratio with 75x as its leverage).
    kept = [row for row in rows if row[0] <= max_leverage]
    if kept[0][0] < max_leverage:
        kept[0] = (max_leverage, kept[0][1], kept[0][2])
    brackets: list[LeverageBracket] = []
    floor, cum, previous_ratio = 0, Decimal(0), Decimal(0)
    for number, (leverage, ratio, cap) in enumerate(kept, start=1):
        cum += floor * (ratio - previous_ratio)
        brackets.append(LeverageBracket(number, leverage, floor, cap, ratio, cum))
        floor, previous_ratio = cap, ratio
    return tuple(brackets)


@dataclass(frozen=True)
class FuturesMarket:
    """The perpetual of spot market ``spot`` (``index`` in :class:`SimExchange`)."""

    spot: SimMarket
    index: int
    brackets: tuple[LeverageBracket, ...]

    @property
    def symbol(self) -> str:
        return self.spot.symbol

    @property
    def pair(self) -> str:
        """ccxt's and freqtrade's name, e.g. ``BTC/USDT:USDT``."""
        return f"{self.spot.pair}:{self.settle}"

    @property
    def base(self) -> str:
        return self.spot.base

    @property
    def quote(self) -> str:
        return self.spot.quote

    @property
    def settle(self) -> str:
        return SETTLE

    @property
    def price_decimals(self) -> int:
        return self.spot.price_decimals

    @property
    def amount_decimals(self) -> int:
        return self.spot.amount_decimals

    @property
    def tick(self) -> Decimal:
        return Decimal(1).scaleb(-self.price_decimals)

    @property
    def step(self) -> Decimal:
        return Decimal(1).scaleb(-self.amount_decimals)

    @property
    def min_notional(self) -> Decimal:
        return MIN_NOTIONAL

    @property
    def max_leverage(self) -> int:
        return self.brackets[0].initial_leverage

    def bracket_for(self, notional: Decimal) -> LeverageBracket:
        """The bracket a position of ``notional`` USDT falls in (floor <= notional < cap);
        beyond the last cap, the last bracket."""
        size = abs(notional)
        for bracket in self.brackets:
            if size < bracket.notional_cap:
                return bracket
        return self.brackets[-1]

    def exchange_info(self) -> dict[str, Any]:
        """The ``symbols[]`` entry of ``GET /fapi/v1/exchangeInfo``."""
        tick = format(self.tick, "f")
        step = format(self.step, "f")
        return {
            "symbol": self.symbol,
            "pair": self.symbol,
            "contractType": "PERPETUAL",
            "deliveryDate": PERPETUAL_DELIVERY_MS,
            "onboardDate": LISTED_MS,
            "status": "TRADING",
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": self.base,
            "quoteAsset": self.quote,
            "marginAsset": self.settle,
            "pricePrecision": self.price_decimals,
            "quantityPrecision": self.amount_decimals,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "underlyingSubType": [],
            "settlePlan": 0,
            "triggerProtect": "0.0500",
            "liquidationFee": "0.012500",
            "marketTakeBound": "0.05",
            "maxMoveOrderLimit": 10000,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": tick,
                    "maxPrice": "1000000",
                    "tickSize": tick,
                },
                {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000000", "stepSize": step},
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "minQty": step,
                    "maxQty": "1000000",
                    "stepSize": step,
                },
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                {"filterType": "MIN_NOTIONAL", "notional": str(self.min_notional)},
                {
                    "filterType": "PERCENT_PRICE",
                    "multiplierUp": "1.0500",
                    "multiplierDown": "0.9500",
                    "multiplierDecimal": "4",
                },
            ],
            "orderTypes": [
                "LIMIT",
                "MARKET",
                "STOP",
                "STOP_MARKET",
                "TAKE_PROFIT",
                "TAKE_PROFIT_MARKET",
                "TRAILING_STOP_MARKET",
            ],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
            "permissionSets": ["GRID", "COPY"],
        }


def futures_markets(markets: list[SimMarket]) -> list[FuturesMarket]:
    """The perpetuals of ``markets``: one per USDT-quoted market, in the same order."""
    return [
        FuturesMarket(spot=market, index=index, brackets=brackets_for(market.base))
        for index, market in enumerate(markets)
        if market.quote == SETTLE
    ]


__all__ = [
    "MIN_NOTIONAL",
    "SETTLE",
    "FuturesMarket",
    "LeverageBracket",
    "brackets_for",
    "futures_markets",
]
