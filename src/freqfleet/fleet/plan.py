"""Turn one user config with a ``fleet`` section into the fleet's freqtrade configs.

Why one function that returns every file: ``plan`` must write all files or none, so the
whole plan (producer configs, consumer config, strategy stubs, docker-compose export,
secrets, manifest) is rendered in memory first and written with one
:func:`~freqfleet.files.write_all_atomic` call.

Plan directory (every path relative to it; bots run with it as working directory)::

    fleet-manifest.json         how to start each bot (0600: REST credentials)
    fleet-secrets.json          per-bot ws_token, jwt_secret_key, password (0600)
    producer-<name>.json        complete freqtrade config per producer (0600)
    consumer.json               complete freqtrade config of the consumer (0600)
    pairlist-feed.json          only with a dynamic pairlist: the config the feed evaluates
    pairlists/<name>.json       only with a dynamic pairlist: each producer's share (feed)
    pairlists/_fleet.json       only with a dynamic pairlist: the whole ranked list (feed)
    user_data/strategies/       the user's strategies folder (.py files, packages) and stubs
    user_data/logs/<bot>.log    each bot's freqtrade log, created empty with mode 0600
    docker-compose.yml, Dockerfile, docker/*.json   the docker export
    kubernetes/                 with fleet.kubernetes (or --kubernetes): manifests for
                                ``kubectl apply -k`` (fleet/kubernetes.py)
"""

from __future__ import annotations

import copy
import ipaddress
import json
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from freqfleet.errors import ConfigError
from freqfleet.files import (
    PUBLIC_MODE,
    SECRET_MODE,
    dump_json,
    ensure_private_files,
    write_all_atomic,
)
from freqfleet.fleet.manifest import MANIFEST_NAME, BotEntry, FleetManifest, PairlistFeedEntry
from freqfleet.fleet.pairfeed import SUMMARY_FILE
from freqfleet.fleet.partition import partition
from freqfleet.fleet.spec import (
    STATIC_PAIRLIST,
    TIMEFRAME_FIX,
    FleetSpec,
    KubernetesSpec,
    connect_address,
    is_loopback,
    is_wildcard,
    timeframe_problem,
)
from freqfleet.fleet.stubs import (
    StrategyInfo,
    check_strategy_files,
    resolve_strategy,
    stub_files,
)

logger = logging.getLogger(__name__)

USERDIR = "user_data"
SECRETS_NAME = "fleet-secrets.json"
CONSUMER_NAME = "consumer"
CONSUMER_FILE = "consumer.json"
PAIRLIST_DIR = "pairlists"
FEED_CONFIG = "pairlist-feed.json"
CONSUMER_MESSAGE_LIMIT_MB = 20
"""Largest producer message the consumer reads (freqtrade: default 8, at most 20)."""
PRODUCER_PAIRLIST_REFRESH = 60
"""Seconds a producer keeps its share before re-reading the feed's file (cheap: a local file)."""
CANDLE_MARGIN = 10
"""Candles sent to the consumer beyond what the strategy needs (its startup + signal age)."""
SECRET_KEYS = ("ws_token", "jwt_secret_key", "password")
NOTIFIERS = ("telegram", "webhook", "discord")
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


def new_secret() -> str:
    """32 random bytes, URL-safe (43 characters: also long enough for freqtrade's JWT key)."""
    return secrets.token_urlsafe(32)


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


def initial_candle_limit(spec: FleetSpec, info: StrategyInfo) -> int:
    """Candles a producer sends on connect: what the strategy looks back plus a margin."""
    if spec.initial_candle_limit is not None:
        return spec.initial_candle_limit
    return min(1500, info.startup_candle_count + spec.max_signal_age + CANDLE_MARGIN)


# --- secrets -----------------------------------------------------------------------------


def load_secrets(out_dir: Path) -> dict[str, dict[str, str]]:
    path = out_dir / SECRETS_NAME
    try:
        if not path.is_file():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError(
            f"{path}: unreadable; delete it or run plan with --rotate-secrets"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a secrets file; delete it or use --rotate-secrets")
    return data


def bot_secrets(
    names: list[str], existing: dict[str, dict[str, str]], rotate: bool
) -> dict[str, dict[str, str]]:
    """Keep each bot's secrets across plans unless rotating; new bots get new ones."""
    result: dict[str, dict[str, str]] = {}
    for name in names:
        old = {} if rotate else existing.get(name, {})
        result[name] = {
            key: old[key] if isinstance(old.get(key), str) and len(old[key]) >= 32 else new_secret()
            for key in SECRET_KEYS
        }
    return result


# --- configs -----------------------------------------------------------------------------


def _base(config: dict[str, Any]) -> dict[str, Any]:
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


def _api_server(
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


def consumer_pairlist_url() -> str:
    """Where the consumer reads the whole ranked list of a dynamic pairlist.

    The feed writes it as ``pairlists/_fleet.json``; RemotePairList reads its ``pairs`` and
    ignores the other keys. The consumer runs on the plan's own host, beside the feed, so
    it reads the file (a consumer elsewhere would read ``fleet.pairlist_url`` + the name).
    """
    return f"file:///{PAIRLIST_DIR}/{SUMMARY_FILE}"


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
    """A complete freqtrade config for one producer (``share`` None: dynamic pairlist)."""
    producer = spec.producer_specs[index]
    merged = deep_merge(deep_merge(_base(config), spec.producer_overrides), producer.overrides)
    for notifier in NOTIFIERS:
        if isinstance(merged.get(notifier), dict):
            merged[notifier]["enabled"] = False
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
            "api_server": _api_server(
                listen,
                spec.producer_port(index),
                spec.api_username,
                secret,
                merged.get("api_server"),
            ),
            "fleet": {"role": "producer", "name": producer.name},
        }
    )
    return merged


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


def producer_links(
    spec: FleetSpec,
    producer_secrets: dict[str, dict[str, str]],
    host_of: Callable[[int], str] | None = None,
    *,
    secure: bool | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """How the consumer reaches each producer, for every way a plan runs.

    Returns the consumer's ``external_message_consumer.producers`` (websocket: name, host,
    port, ``secure``, ``ws_token``) and ``fleet.producer_api`` (REST: url, username,
    password). ``host_of(index)`` is the address the consumer uses for the ``index``-th
    producer: its ``host`` for the plan itself (the default), the service name inside
    docker-compose, the cluster DNS name on Kubernetes. ``secure`` defaults to
    ``fleet.secure``.
    """
    secure = spec.secure if secure is None else secure
    scheme = "https" if secure else "http"
    producers: list[dict[str, Any]] = []
    producer_api: dict[str, dict[str, str]] = {}
    for index, producer in enumerate(spec.producer_specs):
        host = host_of(index) if host_of is not None else spec.producer_host(index)
        port = spec.producer_port(index)
        producers.append(
            {
                "name": producer.name,
                "host": host,
                "port": port,
                "secure": secure,
                "ws_token": producer_secrets[producer.name]["ws_token"],
            }
        )
        producer_api[producer.name] = {
            "url": f"{scheme}://{host}:{port}",
            "username": spec.api_username,
            "password": producer_secrets[producer.name]["password"],
        }
    return producers, producer_api


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
    merged = deep_merge(_base(config), spec.consumer_overrides)
    dynamic = is_dynamic(config)
    whitelist, pairlists = consumer_pairlist(config, spec, dynamic)
    if not dynamic and shares is None:
        shares = partition(whitelist, spec.producer_names)
    exchange = dict(merged.get("exchange") or {})
    exchange["pair_whitelist"] = whitelist
    internals = dict(merged.get("internals") or {})
    internals["process_throttle_secs"] = 1
    producers, producer_api = producer_links(spec, producer_secrets)
    dry = bool(merged.get("dry_run", True))
    fleet: dict[str, Any] = {
        "role": "consumer",
        "max_signal_age": spec.max_signal_age,
        "informative_candles": spec.informative_candles,
        "follow": list(spec.follow),
        "producer_api": producer_api,
    }
    if not dynamic and shares is not None:
        fleet["shares"] = {name: list(share) for name, share in shares.items()}
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
            "external_message_consumer": {
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
            },
            "api_server": _api_server(
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
    """What the pairlist feed evaluates: the user's exchange and pairlists, dry-run, no API."""
    base = _base(config)
    base.pop("api_server", None)
    for notifier in NOTIFIERS:
        base.pop(notifier, None)
    base.update({"dry_run": True, "bot_name": "freqfleet-pairlist-feed", "timeframe": timeframe})
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
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(
            f"{len(problems)} problems:\n" + "\n".join(f"  {line}" for line in problems)
        )


# --- warnings ----------------------------------------------------------------------------


def interface_addresses(listen: str) -> list[str]:
    """This machine's addresses a server listening on ``listen`` answers on.

    For a wildcard address, every interface's address of its family (0.0.0.0: IPv4,
    "::": IPv6 and IPv4); otherwise ``listen`` itself.
    """
    if not is_wildcard(listen):
        return [listen]
    import socket

    families = {socket.AF_INET} if listen == "0.0.0.0" else {socket.AF_INET, socket.AF_INET6}
    found: list[str] = []
    try:
        import psutil

        for addresses in psutil.net_if_addrs().values():
            for address in addresses:
                text = address.address.split("%")[0]
                if address.family in families and text not in found and not _link_local(text):
                    found.append(text)
    except Exception:  # no psutil or no permission: at least the host name's addresses
        try:
            infos = socket.getaddrinfo(socket.gethostname(), None)
        except OSError:
            infos = []
        for family, *_, sockaddr in infos:
            if family in families and str(sockaddr[0]) not in found:
                found.append(str(sockaddr[0]))
    return found


def _link_local(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_link_local
    except ValueError:
        return False


def _url(address: str, port: int) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}"


def listen_warning(spec: FleetSpec) -> str | None:
    """The warning for ``fleet.listen`` on every interface (0.0.0.0 or ::), else None."""
    if not is_wildcard(spec.listen):
        return None
    ports = [
        spec.producer_port(index)
        for index in range(len(spec.producer_specs))
        if is_loopback(spec.producer_host(index))
    ]
    ports.append(spec.consumer_api_port)
    outside = [address for address in interface_addresses(spec.listen) if not is_loopback(address)]
    reachable = ", ".join(_url(address, ports[0]) for address in outside) or "its addresses"
    return (
        f'fleet.listen is "{spec.listen}": the bots\' REST APIs and websockets (ports '
        f"{', '.join(str(port) for port in ports)}) listen on every interface of this machine, "
        f"not only 127.0.0.1, e.g. at {reachable}; anyone who reaches them can try the API "
        'passwords: set "secure": true (a TLS proxy in front) and firewall these ports, or '
        'set "listen": "127.0.0.1"'
    )


def plan_warnings(config: dict[str, Any], spec: FleetSpec) -> list[str]:
    """Things that work but deserve attention (printed by the CLI, never secrets)."""
    warnings: list[str] = []
    listening = listen_warning(spec)
    if listening:
        warnings.append(listening)
    remote = spec.remote_hosts
    if remote and not spec.secure:
        warnings.append(
            f"producers on {', '.join(remote)} are reached without TLS: set fleet.secure to "
            "true (wss behind a TLS proxy) or keep the hosts on a private network"
        )
    if not is_dynamic(config):
        pairs = (config.get("exchange") or {}).get("pair_whitelist") or []
        shares = partition(pairs, spec.producer_names)
        idle = [name for name, share in shares.items() if not share]
        if idle:
            warnings.append(
                f"{', '.join(idle)} got no pairs ({len(pairs)} pairs for "
                f"{len(spec.producer_names)} producers); use fewer producers or more pairs"
            )
    return warnings


# --- the plan ----------------------------------------------------------------------------


def _bot_host(spec: FleetSpec, index: int) -> str:
    host = spec.producer_host(index)
    return "127.0.0.1" if is_loopback(host) else host


def render_plan(
    config: dict[str, Any],
    spec: FleetSpec,
    out_dir: Path,
    *,
    rotate_secrets: bool = False,
    config_dir: Path | None = None,
    userdir: Path | None = None,
    kubernetes: bool = False,
) -> tuple[dict[Path, tuple[str, int]], FleetManifest]:
    """Every file of the plan, in memory, and its manifest (nothing is written).

    The Kubernetes export (``kubernetes/``) is rendered when the fleet section has a
    ``kubernetes`` object, when ``kubernetes`` is true, or when the plan folder already
    holds an export (so it never falls behind the plan's configs and secrets).
    """
    from freqfleet.fleet.compose import compose_files
    from freqfleet.fleet.kubernetes import exported_before, kubernetes_files

    out_dir = Path(out_dir)
    info = resolve_strategy(config, Path(config_dir or Path.cwd()), userdir)
    timeframe = fleet_timeframe(config, info)
    strategy_files = stub_files(info)
    check_strategy_files(info, strategy_files)
    dynamic = is_dynamic(config)
    names = spec.producer_names
    existing = {} if rotate_secrets else load_secrets(out_dir)
    all_secrets = bot_secrets([*names, CONSUMER_NAME], existing, rotate=rotate_secrets)
    pairs = (config.get("exchange") or {}).get("pair_whitelist") or []
    shares: dict[str, list[str]] | None = None if dynamic else partition(pairs, names)

    files: dict[Path, tuple[str, int]] = {}
    bots: list[BotEntry] = []
    generated: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(names):
        share = None if shares is None else shares[name]
        producer = producer_config(config, spec, index, info, share, all_secrets[name])
        generated[producer_file(name)] = producer
        files[out_dir / producer_file(name)] = (dump_json(producer), SECRET_MODE)
        bots.append(
            BotEntry(
                name=name,
                role="producer",
                config_files=[producer_file(name)],
                host=_bot_host(spec, index),
                api_host=_bot_host(spec, index),
                api_port=spec.producer_port(index),
                username=spec.api_username,
                password=all_secrets[name]["password"],
                pairs=list(share or []),
            )
        )
    consumer = consumer_config(
        config, spec, info, all_secrets, all_secrets[CONSUMER_NAME], shares=shares
    )
    generated[CONSUMER_FILE] = consumer
    check_freqtrade_schema(generated)
    files[out_dir / CONSUMER_FILE] = (dump_json(consumer), SECRET_MODE)
    consumer_host = connect_address(spec.listen)
    bots.append(
        BotEntry(
            name=CONSUMER_NAME,
            role="consumer",
            config_files=[CONSUMER_FILE],
            host="127.0.0.1",
            api_host=consumer_host,
            api_port=spec.consumer_api_port,
            username=spec.api_username,
            password=all_secrets[CONSUMER_NAME]["password"],
        )
    )
    feed: PairlistFeedEntry | None = None
    if dynamic:
        generated[FEED_CONFIG] = feed_config(config, timeframe)
        files[out_dir / FEED_CONFIG] = (dump_json(generated[FEED_CONFIG]), SECRET_MODE)
        feed = PairlistFeedEntry(
            config_file=FEED_CONFIG,
            refresh_period=spec.pairlist_refresh,
            files={name: f"{PAIRLIST_DIR}/{name}.json" for name in names},
            serve=f"0.0.0.0:{feed_port(spec.pairlist_url)}" if spec.pairlist_url else None,
        )
    files[out_dir / SECRETS_NAME] = (dump_json(all_secrets), SECRET_MODE)
    for filename, content in strategy_files.items():
        files[out_dir / USERDIR / "strategies" / filename] = (content, PUBLIC_MODE)
    manifest = FleetManifest(
        strategy=info.fleet_name,
        timeframe=timeframe,
        userdir=USERDIR,
        strategy_path=None,
        bots=bots,
        pairlist_feed=feed,
    )
    files.update(compose_files(out_dir, spec, manifest, all_secrets))
    kube = spec.kubernetes
    if kube is None and (kubernetes or exported_before(out_dir)):
        kube = KubernetesSpec()
    if kube is not None:
        files.update(
            kubernetes_files(
                out_dir, spec, kube, manifest, generated, all_secrets, strategy_files, info, config
            )
        )
    files[out_dir / MANIFEST_NAME] = (manifest.model_dump_json(indent=4) + "\n", SECRET_MODE)
    return files, manifest


def _check_out_dir(out_dir: Path) -> None:
    try:
        _check_out_dir_entries(out_dir)
    except OSError as error:
        raise ConfigError(
            f"-o {out_dir}: cannot be used ({error.strerror or type(error).__name__}); "
            "choose a directory you can write to"
        ) from None


def _check_out_dir_entries(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"-o {out_dir}: is a file; choose a directory for the plan")
    for parent in out_dir.absolute().parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise ConfigError(
                    f"-o {out_dir}: {parent} is a file, not a directory; choose a plan "
                    "directory whose parents are directories"
                )
            break
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST_NAME).is_file():
        raise ConfigError(
            f"-o {out_dir}: not empty and not a fleet plan; choose an empty or new directory"
        )


def _stale_files(out_dir: Path, manifest: FleetManifest) -> list[Path]:
    """Config files of bots an earlier plan had and this one has not."""
    try:
        old = FleetManifest.load(out_dir)
    except (ConfigError, ValueError):
        return []
    keep = {name for bot in manifest.bots for name in bot.config_files}
    if manifest.pairlist_feed:
        keep.add(manifest.pairlist_feed.config_file)
    stale = {name for bot in old.bots for name in bot.config_files} - keep
    if old.pairlist_feed and old.pairlist_feed.config_file not in keep:
        stale.add(old.pairlist_feed.config_file)
    return [out_dir / name for name in sorted(stale)]


def write_plan(
    config: dict[str, Any],
    spec: FleetSpec,
    out_dir: Path,
    *,
    rotate_secrets: bool = False,
    config_dir: Path | None = None,
    userdir: Path | None = None,
    kubernetes: bool = False,
) -> FleetManifest:
    """Write the whole plan to ``out_dir`` (every file or, on any error, none)."""
    from freqfleet.fleet.kubernetes import stale_files

    out_dir = Path(out_dir)
    _check_out_dir(out_dir)
    files, manifest = render_plan(
        config,
        spec,
        out_dir,
        rotate_secrets=rotate_secrets,
        config_dir=config_dir,
        userdir=userdir,
        kubernetes=kubernetes,
    )
    stale = _stale_files(out_dir, manifest) + stale_files(out_dir, set(files))
    try:
        write_all_atomic(files)
        for path in stale:
            path.unlink(missing_ok=True)
        # freqtrade appends to an existing log and keeps its mode: what it logs stays private.
        ensure_private_files(out_dir / log_file(bot.name) for bot in manifest.bots)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        if error.filename:
            reason += f": {error.filename}"
        raise ConfigError(
            f"-o {out_dir}: cannot write the plan there ({reason}); "
            "choose a directory you can write to"
        ) from None
    return manifest


__all__ = [
    "CONSUMER_FILE",
    "SECRETS_NAME",
    "consumer_config",
    "deep_merge",
    "initial_candle_limit",
    "listen_warning",
    "log_file",
    "plan_warnings",
    "producer_config",
    "producer_file",
    "producer_links",
    "render_plan",
    "write_plan",
]
