"""What a futures bot's requests are and cost beyond a spot bot's, for the plan's estimate.

Why apart: a bot with ``trading_mode: futures`` on Binance asks a different API (USD-M,
``/fapi``, its own 2,400 weight a minute and its own weights: 499 candles a refresh weigh
2 there), takes no candles from websocket streams (freqtrade turns them off for Binance
futures), and, measured on the simulator, adds per open trade what freqtrade reads for
dry-run funding fees every 30 minutes (and at each exit): one request of 1h mark price
candles and one of funding rates; in cross margin also the premium index of every market
(``fetch_funding_rates``) per open trade for its liquidation price at the same times.
Live bots read their funding fees from the account instead (counted with the private
traffic, not here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

FUNDING_UPDATE_MINUTES = 30
"""freqtrade updates funding fees and liquidation prices at minute 1 and 31 of each hour."""


class _Weights(Protocol):
    def weight(self, path: str, params: Mapping[str, str]) -> int: ...


@dataclass(frozen=True)
class ApiPaths:
    """The paths a bot's candles, prices and markets come from, and its candle limit."""

    klines: str
    depth: str
    ticker: str
    markets: str
    candle_limit: str


SPOT_PATHS = ApiPaths(
    "/api/v3/klines", "/api/v3/depth", "/api/v3/ticker/24hr", "/api/v3/exchangeInfo", "1000"
)
FUTURES_PATHS = ApiPaths(
    "/fapi/v1/klines", "/fapi/v1/depth", "/fapi/v1/ticker/24hr", "/fapi/v1/exchangeInfo", "499"
)
MARK_KLINES = "/fapi/v1/markPriceKlines"
FUNDING_RATE = "/fapi/v1/fundingRate"
PREMIUM_INDEX = "/fapi/v1/premiumIndex"


def is_futures(config: Mapping[str, Any]) -> bool:
    return str(config.get("trading_mode") or "spot") == "futures"


def api_paths(config: Mapping[str, Any]) -> ApiPaths:
    return FUTURES_PATHS if is_futures(config) else SPOT_PATHS


def funding_weight(config: Mapping[str, Any], trades: int, profile: _Weights) -> float:
    """A futures bot's funding-fee and liquidation reads a minute for ``trades`` open
    trades (0 for spot and live bots)."""
    if not is_futures(config) or trades <= 0 or not config.get("dry_run", True):
        return 0.0
    mark = profile.weight(
        MARK_KLINES, {"symbol": "BTCUSDT", "interval": "1h", "limit": FUTURES_PATHS.candle_limit}
    )
    rates = profile.weight(FUNDING_RATE, {"symbol": "BTCUSDT", "limit": "1000"})
    per_trade = mark + rates
    if str(config.get("margin_mode") or "") == "cross":
        per_trade += profile.weight(PREMIUM_INDEX, {})
    return trades * per_trade / FUNDING_UPDATE_MINUTES


__all__ = [
    "FUTURES_PATHS",
    "SPOT_PATHS",
    "ApiPaths",
    "api_paths",
    "funding_weight",
    "is_futures",
]
