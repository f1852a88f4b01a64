"""What the simulator says about each market: names, precisions and trading limits.

Why: freqtrade derives price/amount precision and its minimum stake from Binance's symbol
filters (``PRICE_FILTER`` tick size, ``LOT_SIZE`` step size, ``NOTIONAL`` minimum), so the
simulator states them exactly as Binance does, and stores every price as an integer number
of ticks so that candles, tickers and order books always sit on the tick grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Binance's minimum order value per quote asset (``NOTIONAL.minNotional``).
MIN_NOTIONAL = {"USDT": 5.0, "USDC": 5.0, "FDUSD": 5.0, "BTC": 0.0001, "ETH": 0.001, "BNB": 0.01}


@dataclass(frozen=True)
class SimMarket:
    """One spot market: ``price_decimals``/``amount_decimals`` give tick and step (10^-d)."""

    base: str
    quote: str
    price_decimals: int
    amount_decimals: int

    @property
    def symbol(self) -> str:
        """Binance's market id, e.g. ``BTCUSDT``."""
        return self.base + self.quote

    @property
    def pair(self) -> str:
        """freqtrade's (and ccxt's) name, e.g. ``BTC/USDT``."""
        return f"{self.base}/{self.quote}"

    @property
    def tick(self) -> float:
        return 10.0**-self.price_decimals

    @property
    def step(self) -> float:
        return 10.0**-self.amount_decimals

    @property
    def min_notional(self) -> float:
        return MIN_NOTIONAL.get(self.quote, 1.0)

    def price_text(self, ticks: int) -> str:
        """A price in ticks as Binance writes it (fixed decimals, as a string)."""
        return _fixed(ticks, self.price_decimals)

    def amount_text(self, steps: int) -> str:
        return _fixed(steps, self.amount_decimals)

    def exchange_info(self) -> dict[str, Any]:
        """The ``symbols[]`` entry of ``GET /api/v3/exchangeInfo``."""
        tick = _fixed(1, self.price_decimals, pad=8)
        step = _fixed(1, self.amount_decimals, pad=8)
        return {
            "symbol": self.symbol,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": [
                "LIMIT",
                "LIMIT_MAKER",
                "MARKET",
                "STOP_LOSS",
                "STOP_LOSS_LIMIT",
                "TAKE_PROFIT",
                "TAKE_PROFIT_LIMIT",
            ],
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "amendAllowed": True,
            "pegInstructionsAllowed": False,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": tick,
                    "maxPrice": "1000000.00000000",
                    "tickSize": tick,
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": step,
                    "maxQty": "9000000000.00000000",
                    "stepSize": step,
                },
                {"filterType": "ICEBERG_PARTS", "limit": 10},
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "minQty": "0.00000000",
                    "maxQty": "9000000000.00000000",
                    "stepSize": "0.00000000",
                },
                {
                    "filterType": "TRAILING_DELTA",
                    "minTrailingAboveDelta": 10,
                    "maxTrailingAboveDelta": 2000,
                    "minTrailingBelowDelta": 10,
                    "maxTrailingBelowDelta": 2000,
                },
                {
                    "filterType": "NOTIONAL",
                    "minNotional": f"{self.min_notional:.8f}",
                    "applyMinToMarket": True,
                    "maxNotional": "9000000.00000000",
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
                {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }


def _fixed(units: int, decimals: int, pad: int | None = None) -> str:
    """``units * 10^-decimals`` written exactly, with ``pad`` (or ``decimals``) decimals."""
    digits = decimals if pad is None else max(pad, decimals)
    sign = "-" if units < 0 else ""
    units = abs(int(units)) * 10 ** (digits - decimals)
    if digits == 0:
        return f"{sign}{units}"
    whole, frac = divmod(units, 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


def decimals_for_tick(tick: float) -> int:
    """Number of decimals of a power-of-ten tick (0.01 -> 2, 1 -> 0), clamped to 0..8."""
    decimals = 0
    while decimals < 8 and tick < 0.99 * 10.0**-decimals:
        decimals += 1
    return decimals


__all__ = ["MIN_NOTIONAL", "SimMarket", "decimals_for_tick"]
