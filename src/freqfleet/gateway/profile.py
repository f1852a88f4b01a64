"""What the gateway must know about one exchange: public endpoints, weights, limits.

Why a profile: the gateway's cache, coalescing and shared budget are the same for every
exchange; what differs is which REST paths are public market data (and so may pass
through a shared process), what each costs in request weight, the limit per minute, the
header the exchange reports used weight in, and how a candle request reads. Another
exchange is supported by building another :class:`ExchangeProfile`: Binance spot
(``BINANCE_SPOT``) and Binance USD-M futures (``BINANCE_FUTURES``, its own host, weights
and a 2,400 a minute limit).

    BINANCE_SPOT.weight("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "5m"})  # 2
    BINANCE_SPOT.limit_per_minute                                                    # 6000
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Params = Mapping[str, str]
WeightRule = Callable[[Params], int]


@dataclass(frozen=True)
class KlineQuery:
    """A candle request: which series, and the range in the exchange's own semantics.

    ``start_ms``: candles opening at or after it, oldest first, at most ``limit``;
    ``end_ms`` only: the ``limit`` newest opening at or before it; neither: the ``limit``
    newest, the last one being the candle in progress.
    """

    symbol: str
    interval: str
    interval_ms: int
    start_ms: int | None
    end_ms: int | None
    limit: int


@dataclass(frozen=True)
class ExchangeProfile:
    """One exchange's public market-data API as the gateway sees it."""

    name: str
    limit_per_minute: int
    used_weight_header: str
    # Public market-data paths and the weight rule of each; any other path is refused.
    public_weights: Mapping[str, WeightRule]
    # Paths answering candles, read by ``kline_query`` (answered from the candle cache).
    kline_paths: frozenset[str]
    kline_query: Callable[[str, Params], KlineQuery | None]
    # Headers and parameters that mark a request as signed or keyed (never forwarded).
    credential_headers: frozenset[str] = frozenset()
    credential_params: frozenset[str] = frozenset()
    # Seconds a whole answer of a slow-changing public path may be reused (0: never).
    answer_ttl: Mapping[str, float] = field(default_factory=dict)
    # Back-off (seconds) on a 429/418 answer without a Retry-After header.
    default_retry_after: Mapping[int, float] = field(default_factory=dict)
    # The REST base URL the gateway fronts unless a config names another.
    default_upstream: str = ""
    # ccxt ``urls.api`` entries that carry public market data, and each one's path under
    # the REST base: these (and only these) a bot points at the gateway.
    ccxt_public_urls: Mapping[str, str] = field(default_factory=dict)

    def is_public(self, path: str) -> bool:
        return path in self.public_weights

    def weight(self, path: str, params: Params) -> int:
        """Request weight of ``GET path?params``; unknown paths count 1 (never 0)."""
        rule = self.public_weights.get(path)
        if rule is None:
            return 1
        try:
            return max(1, int(rule(params)))
        except (ValueError, TypeError):
            # A malformed parameter: the exchange rejects it, charging the base weight.
            return max(1, int(rule({})))

    def refusal(self, method: str, path: str, params: Params, headers: Params) -> str | None:
        """Why this request must not pass through a shared gateway; None when it may."""
        if method not in ("GET", "HEAD"):
            return f"{method} {path} is not public market data: send it to the exchange directly"
        if not self.is_public(path):
            return f"{path} is not a public market-data endpoint of {self.name}: send it to the exchange directly"
        if any(name in headers for name in self.credential_headers) or any(
            name in params for name in self.credential_params
        ):
            return (
                f"{path} carries credentials: keyed or signed requests go to the exchange directly"
            )
        return None


# -- Binance spot -----------------------------------------------------------------------------

# Intervals cached by open time: whole minutes dividing a day, aligned to the epoch.
# 3d/1w/1M candles open on calendar boundaries and pass through uncached.
BINANCE_INTERVAL_MS: dict[str, int] = {
    "1s": 1_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
}
BINANCE_KLINES_DEFAULT = 500
BINANCE_KLINES_MAX = 1000
_UTC_ZONES = frozenset({"0", "+0", "-0", "0:00", "+0:00", "00:00", "+00:00", "-00:00"})
_KLINE_PARAMS = frozenset({"symbol", "interval", "startTime", "endTime", "limit", "timeZone"})


def _symbol_count(params: Params) -> int | None:
    """Symbols a ticker request names: 1 for ``symbol``, the list length, None for all."""
    if params.get("symbol"):
        return 1
    symbols = params.get("symbols")
    if not symbols:
        return None
    listed = json.loads(symbols)
    if not isinstance(listed, list):
        raise ValueError("symbols is not a list")
    return len(listed)


def _per_symbol(weight: int, most: int) -> WeightRule:
    """Rolling-window tickers: ``weight`` per symbol, capped at ``most``."""

    def rule(params: Params) -> int:
        count = _symbol_count(params)
        return weight if count is None else min(weight * count, most)

    return rule


def _fixed(weight: int) -> WeightRule:
    return lambda params: weight


def _int_param(params: Params, name: str) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if not value.lstrip("-").isdigit() or len(value) > 20:
        raise ValueError(name)
    return int(value)


def binance_kline_query(path: str, params: Params) -> KlineQuery | None:
    """The candle request in ``params``; None when the cache cannot answer it exactly
    (unknown or calendar interval, a time zone, a malformed or out-of-range value: the
    exchange answers those itself, errors included)."""
    return _kline_query(params, BINANCE_KLINES_MAX)


def _kline_query(params: Params, max_limit: int) -> KlineQuery | None:
    if not set(params) <= _KLINE_PARAMS:
        return None
    symbol = params.get("symbol")
    interval = params.get("interval")
    length = BINANCE_INTERVAL_MS.get(interval or "")
    zone = params.get("timeZone")
    if not symbol or length is None or (zone is not None and zone not in _UTC_ZONES):
        return None
    try:
        start = _int_param(params, "startTime")
        end = _int_param(params, "endTime")
        limit = _int_param(params, "limit")
    except ValueError:
        return None
    if limit is None:
        limit = BINANCE_KLINES_DEFAULT
    if not 1 <= limit <= max_limit or (start is not None and start < 0):
        return None
    if start is not None and end is not None and start > end:
        return None
    return KlineQuery(symbol, interval or "", length, start, end, limit)


def binance_depth_weight(limit: int) -> int:
    """Weight of an order book ``limit`` levels deep."""
    if limit <= 100:
        return 5
    if limit <= 500:
        return 25
    return 50 if limit <= 1000 else 250


def binance_ticker_24hr_weight(symbols: int | None) -> int:
    """Weight of the 24-hour ticker for ``symbols`` symbols (None: every symbol)."""
    if symbols is None or symbols > 100:
        return 80
    return 2 if symbols <= 20 else 40


def binance_one_or_many_weight(symbols: int | None) -> int:
    """Price and book tickers: 2 for one symbol, 4 for a list or all of them."""
    return 2 if symbols == 1 else 4


def _depth(params: Params) -> int:
    limit = _int_param(params, "limit")
    return binance_depth_weight(100 if limit is None else limit)


def _ticker_24hr(params: Params) -> int:
    return binance_ticker_24hr_weight(_symbol_count(params))


def _one_or_many(params: Params) -> int:
    return binance_one_or_many_weight(_symbol_count(params))


BINANCE_SPOT = ExchangeProfile(
    name="binance",
    limit_per_minute=6000,
    used_weight_header="x-mbx-used-weight-1m",
    public_weights={
        "/api/v3/ping": _fixed(1),
        "/api/v3/time": _fixed(1),
        "/api/v3/exchangeInfo": _fixed(20),
        "/api/v3/klines": _fixed(2),
        "/api/v3/uiKlines": _fixed(2),
        "/api/v3/depth": _depth,
        "/api/v3/trades": _fixed(25),
        "/api/v3/aggTrades": _fixed(4),
        "/api/v3/avgPrice": _fixed(2),
        "/api/v3/ticker/24hr": _ticker_24hr,
        "/api/v3/ticker/tradingDay": _per_symbol(4, 200),
        "/api/v3/ticker/price": _one_or_many,
        "/api/v3/ticker/bookTicker": _one_or_many,
        "/api/v3/ticker": _per_symbol(4, 200),
    },
    kline_paths=frozenset({"/api/v3/klines", "/api/v3/uiKlines"}),
    kline_query=binance_kline_query,
    credential_headers=frozenset({"x-mbx-apikey"}),
    credential_params=frozenset({"signature", "timestamp", "recvWindow"}),
    # Markets change rarely; every bot loads them at start and once an hour.
    answer_ttl={"/api/v3/exchangeInfo": 60.0},
    # 429: the rest of the minute at most; 418 (IP ban) states its own length in practice.
    default_retry_after={429: 60.0, 418: 120.0},
    default_upstream="https://api.binance.com",
    ccxt_public_urls={"public": "/api/v3"},
)

# -- Binance USD-M futures --------------------------------------------------------------------

BINANCE_FUTURES_KLINES_MAX = 1500


def binance_futures_klines_weight(limit: int) -> int:
    """Weight of a futures candle request (trade, mark or index price) of ``limit`` candles."""
    if limit < 100:
        return 1
    if limit < 500:
        return 2
    return 5 if limit <= 1000 else 10


def binance_futures_depth_weight(limit: int) -> int:
    """Weight of a futures order book ``limit`` levels deep (5 ... 1000)."""
    if limit <= 50:
        return 2
    if limit <= 100:
        return 5
    return 10 if limit <= 500 else 20


def _one_or_all(one: int, every: int) -> WeightRule:
    """Futures tickers: ``one`` for a symbol, ``every`` without (futures take no lists)."""
    return lambda params: one if params.get("symbol") or params.get("pair") else every


def _futures_klines(params: Params) -> int:
    limit = _int_param(params, "limit")
    return binance_futures_klines_weight(BINANCE_KLINES_DEFAULT if limit is None else limit)


def _futures_depth(params: Params) -> int:
    limit = _int_param(params, "limit")
    return binance_futures_depth_weight(500 if limit is None else limit)


def binance_futures_kline_query(path: str, params: Params) -> KlineQuery | None:
    """A futures candle request (up to 1,500 candles) as the cache reads it."""
    return _kline_query(params, BINANCE_FUTURES_KLINES_MAX)


BINANCE_FUTURES = ExchangeProfile(
    name="binance-futures",
    limit_per_minute=2400,
    used_weight_header="x-mbx-used-weight-1m",
    public_weights={
        "/fapi/v1/ping": _fixed(1),
        "/fapi/v1/time": _fixed(1),
        "/fapi/v1/exchangeInfo": _fixed(1),
        "/fapi/v1/klines": _futures_klines,
        "/fapi/v1/markPriceKlines": _futures_klines,
        "/fapi/v1/indexPriceKlines": _futures_klines,
        "/fapi/v1/premiumIndexKlines": _futures_klines,
        "/fapi/v1/continuousKlines": _futures_klines,
        "/fapi/v1/depth": _futures_depth,
        "/fapi/v1/trades": _fixed(5),
        "/fapi/v1/aggTrades": _fixed(20),
        "/fapi/v1/premiumIndex": _one_or_all(1, 10),
        # Binance's own: a separate 500 a 5 minutes per IP; counted as weight 1 here.
        "/fapi/v1/fundingRate": _fixed(1),
        "/fapi/v1/fundingInfo": _fixed(1),
        "/fapi/v1/openInterest": _fixed(1),
        "/fapi/v1/ticker/24hr": _one_or_all(1, 40),
        "/fapi/v1/ticker/price": _one_or_all(1, 2),
        "/fapi/v2/ticker/price": _one_or_all(1, 2),
        "/fapi/v1/ticker/bookTicker": _one_or_all(2, 5),
    },
    kline_paths=frozenset({"/fapi/v1/klines", "/fapi/v1/markPriceKlines"}),
    kline_query=binance_futures_kline_query,
    credential_headers=frozenset({"x-mbx-apikey"}),
    credential_params=frozenset({"signature", "timestamp", "recvWindow"}),
    answer_ttl={"/fapi/v1/exchangeInfo": 60.0},
    default_retry_after={429: 60.0, 418: 120.0},
    default_upstream="https://fapi.binance.com",
    ccxt_public_urls={
        "fapiPublic": "/fapi/v1",
        "fapiPublicV2": "/fapi/v2",
        "fapiPublicV3": "/fapi/v3",
    },
)

# Profiles by freqtrade's exchange name (``exchange.name`` in a bot's config); a futures
# bot's (``trading_mode: futures``) is the name's ``-futures`` profile.
PROFILES: dict[str, ExchangeProfile] = {
    "binance": BINANCE_SPOT,
    "binance-futures": BINANCE_FUTURES,
}


def profile_for(exchange: str, trading_mode: str = "spot") -> ExchangeProfile | None:
    name = exchange.lower()
    if trading_mode == "futures" and not name.endswith("-futures"):
        name += "-futures"
    return PROFILES.get(name)


__all__ = [
    "BINANCE_FUTURES",
    "BINANCE_FUTURES_KLINES_MAX",
    "BINANCE_SPOT",
    "PROFILES",
    "ExchangeProfile",
    "KlineQuery",
    "binance_depth_weight",
    "binance_futures_depth_weight",
    "binance_futures_kline_query",
    "binance_futures_klines_weight",
    "binance_kline_query",
    "binance_one_or_many_weight",
    "binance_ticker_24hr_weight",
    "profile_for",
]
