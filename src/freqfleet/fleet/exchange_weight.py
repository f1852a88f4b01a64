"""How much of the exchange's request-weight budget a planned fleet will use, per minute.

Why: every bot of a fleet refreshes its own candles and prices its own open trades, and
they all share one exchange limit (Binance: 6,000 weight a minute per IP). Nothing in a
running fleet knows its total, and a fleet over the limit only finds out from 429 answers
and bans. So ``plan`` estimates it from the configs it writes and warns when it passes
half the limit without a gateway (``fleet.gateway``) in front of the exchange; with one,
it says whether the gateway's budget (``share`` of ``weight_limit``) covers the fleet's
upstream weight, since what does not fit waits and pairs are analysed late.

What one freqtrade bot asks for, per minute, in steady state:

- candles: one kline request per pair and timeframe per candle of that timeframe (the
  whitelist on the bot's timeframe, plus the strategy's informative pairs: its
  ``@informative`` decorators and ``informative_pairs()``; a fleet's consumer downloads
  informative candles only with ``fleet.informative_candles``), unless freqtrade takes the
  closed candles from the exchange's kline streams (``exchange.enable_ws`` on an exchange
  where freqtrade enables them, e.g. Binance spot): then REST asks only for the share
  :data:`KLINE_REST_SHARE_WS` of them, measured on the simulator;
- prices: every loop (``internals.process_throttle_secs``) one exit price per open trade,
  from the order book (``exit_pricing.use_order_book``) or the ticker. Open trades are
  taken at ``max_open_trades`` (all pairs when unlimited), a producer's at the user's
  ``max_open_trades`` (its real number follows the strategy's signals). A producer prices
  from the exchange's ticker streams (``freqfleet.strategy.producer_pricing``): nothing,
  where the exchange has ``watchTickers`` and ``enable_ws`` is on; else one batched ticker
  request per loop for every 20 open trades;
- markets: ``exchangeInfo`` once per ``exchange.markets_refresh_interval`` (60 min).

A futures bot (``trading_mode: futures``) is estimated on Binance's USD-M API, its paths,
weights and limit, with what it reads for funding fees on top
(:mod:`freqfleet.fleet.futures_weight`); a spot bot's estimate does not change.

A fleet's consumer loops every second but reuses an open trade's price for
``fleet.exit_price_secs`` (the plan writes the user's loop): its prices are counted at
that pace, not its loop's (:func:`consumer_weight`).

Entries (a price, a depth-of-market check) and start-up downloads come on top; the
benchmark ``bench/exchange_weight.py`` measures the whole on the simulator.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from freqfleet.compat import freqtrade_ws_enabled
from freqfleet.fleet.futures_weight import (
    SPOT_PATHS,
    api_paths,
    funding_weight,
    is_futures,
)
from freqfleet.fleet.strategy_informatives import (
    Informative,
    strategy_class,
    strategy_informatives,
)
from freqfleet.timeframes import timeframe_seconds

HALF = 0.5
"""Share of the exchange's limit above which ``plan`` warns (room for entries, restarts)."""
DEFAULT_THROTTLE = 5
MARKETS_REFRESH_MINUTES = 60
KLINES = SPOT_PATHS.klines
DEPTH = SPOT_PATHS.depth
TICKER = SPOT_PATHS.ticker
MARKETS = SPOT_PATHS.markets
REST_BATCH = 20
"""Pairs a producer's batched REST ticker asks for at most (Binance: 1-20 weigh 2)."""
KLINE_REST_SHARE_WS = 0.0
"""Kline REST requests per pair and candle after start-up with the kline streams on:
measured on the simulator (BENCHMARKS.md, "Exchange budget"), each close comes from the
stream."""
CANDLE_LIMIT = SPOT_PATHS.candle_limit
"""Candles freqtrade asks for per refresh on Binance (its ``ohlcv_candle_limit``)."""


class WeightProfile(Protocol):
    """What the estimate needs of an exchange profile (the gateway's ``BINANCE_SPOT``)."""

    @property
    def limit_per_minute(self) -> int: ...

    def weight(self, path: str, params: Mapping[str, str]) -> int: ...


def exchange_profile(trading_mode: str = "spot") -> WeightProfile:
    """Binance's weights and limit (spot, or USD-M for ``futures``): the gateway's
    profiles, their one home."""
    from freqfleet.gateway import BINANCE_FUTURES, BINANCE_SPOT

    return BINANCE_FUTURES if trading_mode == "futures" else BINANCE_SPOT


@dataclass(frozen=True)
class BotWeight:
    """One bot's expected weight per minute, by what it is spent on."""

    name: str
    candles: float
    prices: float
    markets: float
    role: str = "bot"  # producer, consumer, or a bot of its own
    funding: float = 0.0  # futures: funding-fee candles and rates (and cross margin's)

    @property
    def total(self) -> float:
        return self.candles + self.prices + self.markets + self.funding


@dataclass(frozen=True)
class WeightEstimate:
    """A fleet's upstream weight per minute against one bot doing the same alone."""

    bots: tuple[BotWeight, ...]
    single: BotWeight
    limit: int
    redundancy: int = 1
    """Producers per pair: each producer's candles are counted (it fetches them itself),
    but behind a gateway the N producers of a pair share one upstream request."""

    @property
    def total(self) -> float:
        return sum(bot.total for bot in self.bots)

    @property
    def through_gateway(self) -> float:
        """The fleet's upstream weight a minute behind a gateway: each candle once (cached
        and coalesced: the consumer's, which cover every pair, or the producers' together,
        whichever is more); prices and markets one for one (the gateway passes them on)."""
        producers = sum(bot.candles for bot in self.bots if bot.role == "producer")
        producers /= self.redundancy
        others = max((bot.candles for bot in self.bots if bot.role != "producer"), default=0.0)
        rest = sum(bot.prices + bot.markets + bot.funding for bot in self.bots)
        return max(producers, others) + rest

    def gateway_budget(self, share: float, weight_limit: int | None) -> tuple[str, bool]:
        """One line on whether a gateway's budget (``share`` of ``weight_limit``, default
        the exchange's limit) covers :attr:`through_gateway`, and whether it does."""
        from freqfleet.gateway import budget_per_minute

        limit = weight_limit or self.limit
        budget = budget_per_minute(limit, share)
        need = self.through_gateway
        head = (
            f"gateway budget: {budget:,} weight a minute (share {share:g} of the limit {limit:,})"
        )
        if need <= budget:
            return f"{head} covers the fleet's estimated {need:,.0f} upstream a minute", True
        return (
            f"{head} does not cover the fleet's estimated {need:,.0f} upstream a minute: "
            "requests will wait for budget and pairs will be analysed late; raise "
            "fleet.gateway.share or fleet.gateway.weight_limit (as far as the exchange "
            "allows), or use fewer pairs or a longer timeframe",
            False,
        )

    def warning(self, gateway: bool) -> str | None:
        """One line when the fleet passes half the limit with no gateway; else None."""
        if gateway or self.total <= HALF * self.limit:
            return None
        copies = f", {self.redundancy} producers per pair" if self.redundancy > 1 else ""
        return (
            f"exchange weight: the fleet will use about {self.total:,.0f} of the exchange's "
            f"{self.limit:,} request weight a minute ({self.total / self.limit:.0%}; one bot "
            f"on the same config: {self.single.total:,.0f}{copies}); set fleet.gateway so "
            "that the bots share one stream of candles and prices"
        )


def _open_trades(config: dict[str, Any], pairs: int, slots: int | None) -> int:
    if slots is None:
        slots = int(config.get("max_open_trades", -1))
    return pairs if slots < 0 else min(slots, pairs)


def bot_weight(
    name: str,
    config: dict[str, Any],
    informatives: list[Informative],
    profile: WeightProfile,
    *,
    trades: int | None = None,
) -> BotWeight:
    """Weight per minute of one bot running ``config`` (a complete freqtrade config).

    ``trades``: open trades to price (default: from ``max_open_trades``).
    """
    timeframe = str(config["timeframe"])
    exchange = config.get("exchange") or {}
    pairs = list(exchange.get("pair_whitelist") or [])
    series = {(pair, timeframe) for pair in pairs}
    for source in informatives:
        if source.per_pair:
            # "" is the pair itself (one series with the pair's own candles on that
            # timeframe); "{base}/BTC" and the like: another pair per whitelisted pair.
            series.update(
                (f"{pair}@{source.asset}" if source.asset else pair, source.timeframe)
                for pair in pairs
            )
        else:
            series.add((source.asset, source.timeframe))
    paths = api_paths(config)
    kline = profile.weight(
        paths.klines, {"symbol": "BTCUSDT", "interval": timeframe, "limit": paths.candle_limit}
    )
    mode = "futures" if is_futures(config) else "spot"
    share = KLINE_REST_SHARE_WS if exchange_streams(exchange, mode).klines else 1.0
    candles = share * sum(kline * 60 / timeframe_seconds(tf) for _, tf in series)

    throttle = float((config.get("internals") or {}).get("process_throttle_secs", DEFAULT_THROTTLE))
    loops = 60 / max(throttle, 1.0)
    pricing = config.get("exit_pricing") or {}
    overrides = (exchange.get("_ft_has_params") or {}).get("exchange_has_overrides") or {}
    if pricing.get("use_order_book", False) and overrides.get("fetchL2OrderBook", True):
        top = str(pricing.get("order_book_top", 1))
        price = profile.weight(paths.depth, {"symbol": "BTCUSDT", "limit": top})
    else:
        price = profile.weight(paths.ticker, {"symbol": "BTCUSDT"})
    held = trades if trades is not None else _open_trades(config, len(pairs), None)
    prices = held * loops * price

    refresh = float(exchange.get("markets_refresh_interval", MARKETS_REFRESH_MINUTES)) or 60
    markets = profile.weight(paths.markets, {}) / refresh
    funding = funding_weight(config, held, profile)
    return BotWeight(name, candles, prices, markets, funding=funding)


def estimate_fleet(
    user_config: dict[str, Any],
    bot_configs: Mapping[str, dict[str, Any]],
    strategy: type | None,
    profile: WeightProfile | None = None,
    redundancy: int = 1,
) -> WeightEstimate:
    """The fleet's weight per minute from the configs a plan writes (name -> config).

    ``strategy``: the user's strategy class, for its informative pairs (None: none);
    ``redundancy``: producers per pair (each producer's config already holds its N-fold
    share, so only the gateway's coalescing needs it).
    """
    profile = profile or exchange_profile(str(user_config.get("trading_mode") or "spot"))
    pairs = list((user_config.get("exchange") or {}).get("pair_whitelist") or [])
    user_slots = _open_trades(user_config, len(pairs), None)
    informatives = [] if strategy is None else strategy_informatives(strategy, user_config, pairs)
    bots = []
    for name, config in bot_configs.items():
        fleet = config.get("fleet") or {}
        role = fleet.get("role")
        consumer_informative = role == "consumer" and fleet.get("informative_candles")
        sources = informatives if role != "consumer" or consumer_informative else []
        if role == "producer":
            share = len((config.get("exchange") or {}).get("pair_whitelist") or [])
            held = min(user_slots, share)
            bot = bot_weight(name, config, sources, profile, trades=held)
            prices = producer_prices(config, held, profile)
            bots.append(replace(bot, prices=prices, role="producer"))
        else:
            bot = consumer_weight(name, config, sources, profile)
            bots.append(replace(bot, role=str(role or "bot")))
    # The user's config may leave the timeframe to the strategy (the plan writes it out).
    timeframe = (
        user_config.get("timeframe")
        or next((c.get("timeframe") for c in bot_configs.values() if c.get("timeframe")), None)
        or getattr(strategy, "timeframe", None)
    )
    single = bot_weight("single", {**user_config, "timeframe": timeframe}, informatives, profile)
    return WeightEstimate(tuple(bots), single, profile.limit_per_minute, redundancy)


def consumer_weight(
    name: str, config: dict[str, Any], sources: list[Informative], profile: WeightProfile
) -> BotWeight:
    """The consumer's weight per minute: its candles as any bot's (none with
    ``fleet.consumer_candles`` "producers" and no informative pairs), its prices once per
    ``fleet.exit_price_secs`` per open trade (a fresh price between those, for a rising
    exit signal or before an order, comes with an action, as entries do)."""
    fleet = config.get("fleet") or {}
    secs = fleet.get("exit_price_secs")
    if secs is not None:
        priced = {**(config.get("internals") or {}), "process_throttle_secs": secs}
        config = {**config, "internals": priced}
    bot = bot_weight(name, config, sources, profile)
    reads_producers = fleet.get("consumer_candles", "producers") == "producers"
    if fleet.get("role") == "consumer" and reads_producers and not sources:
        # Its whitelist's candles come from the producers' frames: none downloaded.
        return replace(bot, candles=0.0)
    return bot


@dataclass(frozen=True)
class ExchangeStreams:
    """Which websocket streams a bot's freqtrade uses on its exchange."""

    klines: bool
    tickers: bool


def exchange_streams(exchange: Mapping[str, Any], trading_mode: str = "spot") -> ExchangeStreams:
    """Kline streams: ``enable_ws`` (freqtrade's default: on) and freqtrade enables them
    for the exchange (``ws_enabled``; for ``futures`` its futures setting, off on Binance)
    and ccxt.pro watches candles; ticker streams (what a producer prices from):
    ``enable_ws`` and ccxt.pro's ``watchTickers``."""
    if not exchange.get("enable_ws", True):
        return ExchangeStreams(False, False)
    name = str(exchange.get("name") or "").lower()
    has = _ccxt_pro_has(name)
    enabled = freqtrade_ws_enabled(name, trading_mode)
    return ExchangeStreams(
        bool(has.get("watchOHLCV")) and enabled,
        bool(has.get("watchTickers")),
    )


def _ccxt_pro_has(name: str) -> dict[str, Any]:
    import ccxt.pro

    cls = getattr(ccxt.pro, name, None)
    if not isinstance(cls, type):
        return {}
    return dict(cls().has)


def producer_prices(config: dict[str, Any], trades: int, profile: WeightProfile) -> float:
    """A producer's price weight a minute for ``trades`` open virtual trades: none from the
    ticker streams, else one batched ticker request per loop per 20 trades."""
    exchange = config.get("exchange") or {}
    if trades <= 0 or exchange_streams(exchange).tickers:
        return 0.0
    ticker = api_paths(config).ticker
    throttle = float((config.get("internals") or {}).get("process_throttle_secs", DEFAULT_THROTTLE))
    loops = 60 / max(throttle, 1.0)
    full, rest = divmod(trades, REST_BATCH)
    sizes = [REST_BATCH] * full + ([rest] if rest else [])
    per_loop = sum(
        profile.weight(ticker, {"symbols": json.dumps(["BTCUSDT"] * size)}) for size in sizes
    )
    return loops * per_loop


def plan_weight_lines(
    config: dict[str, Any],
    spec: Any,
    out_dir: Path,
    manifest: Any,
    config_dir: Path,
    userdir: Path | None = None,
) -> tuple[list[str], list[str]]:
    """What ``plan`` says about a written plan's exchange weight (its bots' configs in
    ``out_dir``): notes and warnings, one line each."""
    from freqfleet.fleet.strategy_discovery import resolve_strategy

    info = resolve_strategy(config, config_dir, userdir)
    configs = {
        bot.name: json.loads((Path(out_dir) / bot.config_files[0]).read_text(encoding="utf-8"))
        for bot in manifest.bots
    }
    estimate = estimate_fleet(
        config,
        configs,
        strategy_class(info.name, info.source, info.folder),
        redundancy=getattr(manifest, "redundancy", 1),
    )
    gateway = getattr(spec, "gateway", None)
    notes: list[str] = []
    warnings = list(filter(None, [estimate.warning(gateway=gateway is not None)]))
    if gateway is not None:
        line, covered = estimate.gateway_budget(gateway.share, gateway.weight_limit)
        (notes if covered else warnings).append(line)
    return notes, warnings


__all__ = [
    "BotWeight",
    "ExchangeStreams",
    "WeightEstimate",
    "bot_weight",
    "consumer_weight",
    "estimate_fleet",
    "exchange_profile",
    "exchange_streams",
    "plan_weight_lines",
    "producer_prices",
]
