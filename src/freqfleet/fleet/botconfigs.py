"""Each bot's complete freqtrade config: the producers', the pairlist feed's, and what
every bot's config shares (the consumer's own: :mod:`freqfleet.fleet.consumer_config`).

Why complete configs: every bot runs an unmodified ``freqtrade trade -c <file>``; the
user's config is the base, the fleet's keys (API, secrets, pairlists, the consumer's
``fleet`` key) go over it, and freqtrade's own schema check refuses a config it would
reject at start-up before anything is written.

File layout (relative to the plan directory)::

    producer-<name>.json, consumer.json, pairlist-feed.json, pairlists/<name>.json,
    user_data/logs/<bot>.log, user_data/<bot>.dryrun.sqlite
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from freqfleet.credentials import without_credentials
from freqfleet.errors import ConfigError
from freqfleet.fleet.addresses import is_loopback
from freqfleet.fleet.model import STATIC_PAIRLIST, FleetSpec
from freqfleet.fleet.producer_traffic import producer_exchange_settings
from freqfleet.fleet.spec import TIMEFRAME_FIX, timeframe_problem
from freqfleet.fleet.stubs import StrategyInfo
from freqfleet.problems import format_problems

USERDIR = "user_data"
PAIRLIST_DIR = "pairlists"
FEED_CONFIG = "pairlist-feed.json"
PRODUCER_PAIRLIST_REFRESH = 60
"""Seconds a producer keeps its share before re-reading the feed's file (cheap: a local file)."""
STRATEGY_SUPPLIED = (
    "minimal_roi",
    "stoploss",
    "timeframe",
    "stake_currency",
    "stake_amount",
    "max_open_trades",
    "unfilledtimeout",
)


def log_file(name: str) -> str:
    """A bot's freqtrade log file, relative to the plan directory (its ``logfile``)."""
    return f"{USERDIR}/logs/{name}.log"


def producer_file(name: str) -> str:
    """``producer-<name>.json`` (names given as ``producer-N`` are not prefixed twice)."""
    return f"{name}.json" if name.startswith("producer-") else f"producer-{name}.json"


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``override`` merged in (objects merged, everything else replaced)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def is_dynamic(config: dict[str, Any]) -> bool:
    """True when the pairlist is generated from the market (VolumePairList and the like)."""
    pairlists = config.get("pairlists") or [{"method": STATIC_PAIRLIST}]
    return pairlists[0]["method"] != STATIC_PAIRLIST


def user_base(config: dict[str, Any]) -> dict[str, Any]:
    """The user's config without what the fleet replaces."""
    base = copy.deepcopy(config)
    # Bots run in the plan directory with --userdir user_data; paths of the user's own
    # layout would point elsewhere (an absolute datadir still works and is kept).
    for key in (
        "fleet",
        "external_message_consumer",
        "$schema",
        "add_config_files",
        "config_files",
        "user_data_dir",
        "strategy_path",
    ):
        base.pop(key, None)
    if "datadir" in base and not Path(str(base["datadir"])).is_absolute():
        base.pop("datadir")
    return base


def api_server(
    listen: str, port: int, username: str, secret: dict[str, str], user: Any = None
) -> dict[str, Any]:
    """The bot's API: the fleet's address and secrets over the user's other settings."""
    kept = {}
    if isinstance(user, dict):
        # FreqUI origins carry over; address, credentials and tokens do not.
        kept = {key: user[key] for key in ("CORS_origins",) if key in user}
    return {
        "CORS_origins": [],
        **kept,
        "enabled": True,
        "listen_ip_address": listen,
        "listen_port": port,
        "verbosity": "error",
        "enable_openapi": False,
        "jwt_secret_key": secret["jwt_secret_key"],
        "ws_token": secret["ws_token"],
        "username": username,
        "password": secret["password"],
    }


def _producer_stake(config: dict[str, Any]) -> float:
    """A fixed virtual stake per producer trade (producers have no slot limit)."""
    stake = config.get("stake_amount")
    if isinstance(stake, int | float) and not isinstance(stake, bool) and stake > 0:
        return float(stake)
    wallet = config.get("dry_run_wallet", 1000)
    wallet = float(wallet) if isinstance(wallet, int | float) else 1000.0
    slots = config.get("max_open_trades")
    slots = int(slots) if isinstance(slots, int | float) and slots > 0 else 1
    return round(wallet / slots, 8)


def share_url(spec: FleetSpec, index: int) -> str:
    """Where a producer reads its share of a dynamic pairlist.

    freqtrade reads ``file:///`` + path as a path relative to the working directory (the
    plan directory); producers on other hosts read ``fleet.pairlist_url`` when it is set.
    """
    name = spec.producer_names[index]
    if spec.pairlist_url and not is_loopback(spec.producer_host(index)):
        return f"{spec.pairlist_url.rstrip('/')}/{name}.json"
    return f"file:///{PAIRLIST_DIR}/{name}.json"


def feed_port(url: str) -> int:
    """The port the feed serves shares on, from ``fleet.pairlist_url``."""
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def producer_config(
    config: dict[str, Any],
    spec: FleetSpec,
    index: int,
    info: StrategyInfo,
    share: list[str] | None,
    secret: dict[str, str],
) -> dict[str, Any]:
    """A complete freqtrade config for one producer (``share`` None: dynamic pairlist):
    dry-run, without the user's exchange credentials or notifiers, whatever the overrides."""
    producer = spec.producer_specs[index]
    merged = deep_merge(deep_merge(user_base(config), spec.producer_overrides), producer.overrides)
    stake = _producer_stake(config)
    host = spec.producer_host(index)
    listen = spec.listen if is_loopback(host) or spec.listen != "127.0.0.1" else "0.0.0.0"
    exchange = dict(merged.get("exchange") or {})
    if share is not None:
        exchange["pair_whitelist"] = list(share)
        pairlists = merged.get("pairlists") or [{"method": STATIC_PAIRLIST}]
    else:
        exchange["pair_whitelist"] = []
        pairlists = [
            {
                "method": "RemotePairList",
                "pairlist_url": share_url(spec, index),
                "mode": "whitelist",
                "processing_mode": "filter",
                "refresh_period": min(PRODUCER_PAIRLIST_REFRESH, spec.pairlist_refresh),
                "keep_pairlist_on_failure": True,
            }
        ]
    merged.update(
        {
            "bot_name": f"freqfleet-{producer.name}",
            "strategy": info.fleet_name,
            "timeframe": fleet_timeframe(config, info),
            "dry_run": True,
            "dry_run_wallet": stake * 10_000,
            "stake_amount": stake,
            "max_open_trades": -1,
            "force_entry_enable": True,
            "initial_state": "running",
            "db_url": f"sqlite:///{USERDIR}/{producer.name}.dryrun.sqlite",
            "logfile": log_file(producer.name),
            "exchange": exchange,
            "pairlists": pairlists,
            "api_server": api_server(
                listen,
                spec.producer_port(index),
                spec.api_username,
                secret,
                merged.get("api_server"),
            ),
            "fleet": {"role": "producer", "name": producer.name},
        }
    )
    # Last, so that nothing above (the user's config, the overrides) hands a producer more.
    return without_credentials(
        producer_exchange_settings(merged, spec.follow, merged["timeframe"], producer.name)
    )


def fleet_timeframe(config: dict[str, Any], info: StrategyInfo) -> str:
    """One timeframe for every bot (a producer on another timeframe sends empty frames)."""
    timeframe = config.get("timeframe") or info.timeframe
    if not isinstance(timeframe, str) or not timeframe:
        raise ConfigError(
            f'timeframe: neither the config nor {info.name} sets one; add e.g. "timeframe": "5m"'
        )
    problem = timeframe_problem(timeframe)
    if problem:
        where = "timeframe" if config.get("timeframe") else f"{info.name}.timeframe"
        source = f" (in {info.source})" if where != "timeframe" and info.source else ""
        raise ConfigError(f"{where}: {problem}{source}; {TIMEFRAME_FIX}")
    return timeframe


def feed_config(config: dict[str, Any], timeframe: str) -> dict[str, Any]:
    """What the pairlist feed evaluates: the user's exchange and pairlists, dry-run, no API,
    no credentials (it reads public market data only)."""
    base = without_credentials(user_base(config))
    base.pop("api_server", None)
    base.update({"bot_name": "freqfleet-pairlist-feed", "timeframe": timeframe})
    return base


def check_freqtrade_schema(configs: dict[str, dict[str, Any]]) -> None:
    """Refuse to write configs freqtrade would reject at start-up (its own schema, trade mode)."""
    from freqtrade.config_schema.config_schema import CONF_SCHEMA, SCHEMA_TRADE_REQUIRED
    from freqtrade.configuration.config_validation import FreqtradeValidator

    schema = copy.deepcopy(CONF_SCHEMA)
    # Settings a strategy may supply are checked by freqtrade once the strategy is loaded.
    schema["required"] = [key for key in SCHEMA_TRADE_REQUIRED if key not in STRATEGY_SUPPLIED]
    validator = FreqtradeValidator(schema)
    found: dict[tuple[str, str], list[str]] = {}
    for filename, config in configs.items():
        for error in validator.iter_errors(copy.deepcopy(config)):
            where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
            found.setdefault((where, error.message), []).append(filename)
    problems = [
        f"{where}: {message} (in the generated {', '.join(files)}); fix it in your config"
        for (where, message), files in sorted(found.items())
    ]
    if problems:
        raise ConfigError(format_problems(problems))


__all__ = [
    "FEED_CONFIG",
    "PAIRLIST_DIR",
    "PRODUCER_PAIRLIST_REFRESH",
    "USERDIR",
    "api_server",
    "check_freqtrade_schema",
    "deep_merge",
    "feed_config",
    "feed_port",
    "fleet_timeframe",
    "is_dynamic",
    "log_file",
    "producer_config",
    "producer_file",
    "user_base",
]
