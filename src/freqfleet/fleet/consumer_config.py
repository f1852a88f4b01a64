"""The consumer's complete freqtrade config: the user's wallet settings, the user's pair
order, every producer as a data source, and the fleet's ``fleet`` key.

Why its own module: the producers' configs (:mod:`freqfleet.fleet.botconfigs`) are the
user's strategy on a share of the pairs in dry-run; the consumer is the one bot with the
real wallet, and what it is given (the user's pairlist, the producers' links and shares,
its loop and exit-price pace) is a job of its own.
"""

from __future__ import annotations

from typing import Any

from freqfleet.fleet.botconfigs import (
    PAIRLIST_DIR,
    PRODUCER_PAIRLIST_REFRESH,
    USERDIR,
    api_server,
    deep_merge,
    fleet_timeframe,
    is_dynamic,
    log_file,
    user_base,
)
from freqfleet.fleet.links import producer_links
from freqfleet.fleet.model import STATIC_PAIRLIST, FleetSpec
from freqfleet.fleet.pairfeed import SUMMARY_FILE
from freqfleet.fleet.partition import partition, routes
from freqfleet.fleet.stubs import StrategyInfo
from freqfleet.section import MAX_EXIT_PRICE_SECS, ConsumerSection
from freqfleet.sim import name_bot

CONSUMER_NAME = "consumer"
CONSUMER_FILE = "consumer.json"
DEFAULT_THROTTLE_SECS = 5
"""freqtrade's ``internals.process_throttle_secs`` when a config leaves it out."""
CONSUMER_MESSAGE_LIMIT_MB = 20
"""Largest producer message the consumer reads (freqtrade: default 8, at most 20)."""
CANDLE_MARGIN = 10
"""Candles sent to the consumer beyond what the strategy needs (its startup + signal age)."""


def initial_candle_limit(spec: FleetSpec, info: StrategyInfo) -> int:
    """Candles a producer sends on connect: what the strategy looks back plus a margin."""
    if spec.initial_candle_limit is not None:
        return spec.initial_candle_limit
    return min(1500, info.startup_candle_count + spec.max_signal_age + CANDLE_MARGIN)


def consumer_pairlist_url() -> str:
    """Where the consumer reads the whole ranked list of a dynamic pairlist.

    The feed writes it as ``pairlists/_fleet.json``; RemotePairList reads its ``pairs`` and
    ignores the other keys. The consumer runs on the plan's own host, beside the feed, so
    it reads the file (a consumer elsewhere would read ``fleet.pairlist_url`` + the name).
    """
    return f"file:///{PAIRLIST_DIR}/{SUMMARY_FILE}"


def consumer_pairlist(
    config: dict[str, Any], spec: FleetSpec, dynamic: bool
) -> tuple[list[str], list[dict[str, Any]]]:
    """The consumer's ``exchange.pair_whitelist`` and ``pairlists``: the user's pair order.

    freqtrade tries pairs for entries in whitelist order; with one free slot a plain bot
    takes the first signalled pair of the user's list (for VolumePairList, the best
    ranked). So the consumer's whitelist is that list, in that order: a static list as the
    user wrote it, a dynamic one as the feed ranked it (not one producer's share after the
    other).
    """
    if not dynamic:
        pairs = list((config.get("exchange") or {}).get("pair_whitelist") or [])
        return pairs, [{"method": STATIC_PAIRLIST}]
    return [], [
        {
            "method": "RemotePairList",
            "pairlist_url": consumer_pairlist_url(),
            "mode": "whitelist",
            "processing_mode": "filter",
            "refresh_period": min(PRODUCER_PAIRLIST_REFRESH, spec.pairlist_refresh),
            "keep_pairlist_on_failure": True,
        }
    ]


def consumer_config(
    config: dict[str, Any],
    spec: FleetSpec,
    info: StrategyInfo,
    producer_secrets: dict[str, dict[str, str]],
    secret: dict[str, str],
    shares: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The consumer: the user's wallet settings, every producer as data source.

    A static pairlist's split (``shares``, computed when not given) goes to
    ``fleet.shares``: the consumer rejects a producer's claim on a pair outside its share.
    A dynamic pairlist has none (its split changes with every refresh).
    """
    merged = deep_merge(user_base(config), spec.consumer_overrides)
    dynamic = is_dynamic(config)
    whitelist, pairlists = consumer_pairlist(config, spec, dynamic)
    if not dynamic and shares is None:
        shares = partition(whitelist, spec.producer_names, spec.redundancy, spec.pair_hosts)
    exchange = name_bot(merged.get("exchange") or {}, CONSUMER_NAME)
    exchange["pair_whitelist"] = whitelist
    internals = dict(merged.get("internals") or {})
    internals["process_throttle_secs"] = 1
    producers, producer_api = producer_links(spec, producer_secrets)
    dry = bool(merged.get("dry_run", True))
    fleet = fleet_section(config, spec, producer_api, None if dynamic else shares)
    if not dynamic and spec.redundancy > 1:
        # Each pair's producers, first preferred (with one per pair, fleet.shares says it all).
        fleet["routes"] = routes(whitelist, spec.producer_names, spec.redundancy, spec.pair_hosts)
    merged.update(
        {
            "bot_name": "freqfleet-consumer",
            # freqtrade starts "stopped" by default; a fleet that `up` starts should trade
            # unless the user's config says otherwise.
            "initial_state": merged.get("initial_state", "running"),
            "strategy": info.fleet_name,
            "timeframe": fleet_timeframe(config, info),
            "process_only_new_candles": False,
            "internals": internals,
            "db_url": merged.get("db_url")
            or f"sqlite:///{USERDIR}/consumer{'.dryrun' if dry else ''}.sqlite",
            "logfile": log_file(CONSUMER_NAME),
            "exchange": exchange,
            "pairlists": pairlists,
            "external_message_consumer": message_consumer(producers, spec, info),
            "api_server": api_server(
                spec.listen,
                spec.consumer_api_port,
                spec.api_username,
                secret,
                merged.get("api_server"),
            ),
            "fleet": fleet,
        }
    )
    if "position_adjustments" in spec.follow:
        # A followed additional entry goes through adjust_trade_position, which freqtrade
        # calls only with position adjustment enabled.
        merged["position_adjustment_enable"] = True
    return merged


def fleet_section(
    config: dict[str, Any],
    spec: FleetSpec,
    producer_api: dict[str, Any],
    shares: dict[str, list[str]] | None,
) -> dict[str, Any]:
    """The consumer's ``fleet`` key (:class:`~freqfleet.section.ConsumerSection`, checked)."""
    return ConsumerSection.model_validate(
        {
            "max_signal_age": spec.max_signal_age,
            "informative_candles": spec.informative_candles,
            "consumer_candles": spec.consumer_candles,
            "follow": list(spec.follow),
            "exit_price_secs": exit_price_secs(config, spec),
            "producer_api": producer_api,
            "alerts": spec.alerts,
            "shares": shares,
        }
    ).to_config()


def exit_price_secs(config: dict[str, Any], spec: FleetSpec) -> float:
    """How long the consumer reuses an open trade's exit price: ``fleet.exit_price_secs``,
    else the user's loop.

    The user's loop is how often the user's own bot prices an open trade. The consumer
    loops every second to act on producer rows at once, and reuses a trade's exit price for
    as long as the user's bot would have, or as the user's fleet.exit_price_secs says.
    """
    user_loop = (config.get("internals") or {}).get("process_throttle_secs")
    # (a value that is no number is refused by freqtrade's schema check in the producers)
    user_throttle = float(DEFAULT_THROTTLE_SECS)
    if isinstance(user_loop, int | float) and not isinstance(user_loop, bool):
        user_throttle = float(user_loop)
    return spec.exit_price_secs or min(max(user_throttle, 1.0), MAX_EXIT_PRICE_SECS)


def message_consumer(
    producers: list[dict[str, Any]], spec: FleetSpec, info: StrategyInfo
) -> dict[str, Any]:
    """The consumer's ``external_message_consumer``: every producer as a data source."""
    return {
        "enabled": True,
        "producers": producers,
        "wait_timeout": 30,
        "ping_timeout": 10,
        "sleep_time": 5,
        "remove_entry_exit_signals": False,
        # A producer's full frame (sent when the consumer connects) carries exact
        # floats: 1,500 candles of a 230-column strategy are about 7.5 MB, near
        # freqtrade's 8 MB default. The consumer checks every frame's size itself.
        "message_size_limit": CONSUMER_MESSAGE_LIMIT_MB,
        "initial_candle_limit": initial_candle_limit(spec, info),
    }


__all__ = [
    "CONSUMER_FILE",
    "CONSUMER_NAME",
    "consumer_config",
    "consumer_pairlist",
    "exit_price_secs",
    "fleet_section",
    "initial_candle_limit",
    "message_consumer",
]
