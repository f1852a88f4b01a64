"""freqfleet.gateway: the fleet's shared market-data gateway (``freqfleet gateway``): one
cache, one request-weight budget and one back-off for every bot of a fleet.

What other parts of freqfleet (and tests, benchmarks) use:

- exchange profiles: ``BINANCE_SPOT`` and ``BINANCE_FUTURES`` (``weight(path, params)``,
  ``limit_per_minute``), ``ExchangeProfile``, ``profile_for(exchange_name, trading_mode)``,
  and Binance's weight rules by symbol count, depth or candle count (``binance_*_weight``,
  the simulator charges the same) (:mod:`.profile`);
- pointing bots' public market-data URLs at a gateway: ``route_public``, ``upstream_of``,
  ``exchange_profile``, ``config_problems`` (:mod:`.routing`);
- the defaults ``fleet.gateway`` and the command share, and ``STATS_PATH`` (:mod:`.settings`);
- ``running_gateway(upstream, **options)``: a gateway subprocess (:mod:`.launcher`).
"""

from freqfleet.gateway.launcher import RunningGateway, gateway_command, running_gateway
from freqfleet.gateway.profile import (
    BINANCE_FUTURES,
    BINANCE_SPOT,
    PROFILES,
    ExchangeProfile,
    KlineQuery,
    binance_depth_weight,
    binance_futures_depth_weight,
    binance_futures_klines_weight,
    binance_one_or_many_weight,
    binance_ticker_24hr_weight,
    profile_for,
)
from freqfleet.gateway.routing import config_problems, exchange_profile, route_public, upstream_of
from freqfleet.gateway.settings import (
    DEFAULT_HOST,
    DEFAULT_LIVE_TTL,
    DEFAULT_PORT,
    DEFAULT_SHARE,
    STATS_PATH,
    budget_per_minute,
)

__all__ = [
    "BINANCE_FUTURES",
    "BINANCE_SPOT",
    "DEFAULT_HOST",
    "DEFAULT_LIVE_TTL",
    "DEFAULT_PORT",
    "DEFAULT_SHARE",
    "PROFILES",
    "STATS_PATH",
    "ExchangeProfile",
    "KlineQuery",
    "RunningGateway",
    "binance_depth_weight",
    "binance_futures_depth_weight",
    "binance_futures_klines_weight",
    "binance_one_or_many_weight",
    "binance_ticker_24hr_weight",
    "budget_per_minute",
    "config_problems",
    "exchange_profile",
    "gateway_command",
    "profile_for",
    "route_public",
    "running_gateway",
    "upstream_of",
]
