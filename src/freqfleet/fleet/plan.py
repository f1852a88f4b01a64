"""Turn one user config with a ``fleet`` section into the fleet's freqtrade configs.

Why one function that returns every file: ``plan`` must write all files or none, so the
whole plan (producer configs, consumer config, strategy stubs, docker-compose export,
secrets, manifest) is rendered in memory first and written with one
:func:`~freqfleet.files.write_all_atomic` call.

Plan directory (every path relative to it; bots run with it as working directory)::

    fleet-manifest.json         how to start each bot (0600: REST credentials)
    fleet-secrets.json          per-bot ws_token, jwt_secret_key, password (0600)
    producer-<name>.json        complete freqtrade config per producer (0600): dry-run,
                                no exchange credentials, no notifiers
    consumer.json               complete freqtrade config of the consumer (0600): the one
                                config with the user's exchange credentials
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

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from freqfleet.compat import freqtrade_version
from freqfleet.errors import ConfigError
from freqfleet.files import (
    PUBLIC_MODE,
    SECRET_MODE,
    dump_json,
    ensure_private_files,
    write_all_atomic,
)
from freqfleet.fleet.addresses import (
    connect_address,
    is_loopback,
)
from freqfleet.fleet.botconfigs import (
    FEED_CONFIG,
    PAIRLIST_DIR,
    USERDIR,
    check_freqtrade_schema,
    feed_config,
    feed_port,
    fleet_timeframe,
    is_dynamic,
    log_file,
    producer_config,
    producer_file,
)
from freqfleet.fleet.consumer_config import CONSUMER_FILE, CONSUMER_NAME, consumer_config
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.manifest import (
    MANIFEST_NAME,
    BotEntry,
    FleetManifest,
    GatewayEntry,
    PairlistFeedEntry,
)
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.partition import partition, routes
from freqfleet.fleet.secrets import SECRETS_NAME, bot_secrets, load_secrets
from freqfleet.fleet.strategy_discovery import resolve_strategy
from freqfleet.fleet.stubs import StrategyInfo, check_strategy_files, stub_files
from freqfleet.fleet.trading_mode import pin_mode, short_problem, trading_mode_of
from freqfleet.gateway import exchange_profile, upstream_of


def gateway_entry(config: dict[str, Any], spec: FleetSpec) -> GatewayEntry | None:
    """The gateway ``fleet.gateway`` asks for, in front of the bots' own upstream, with
    the profile of the fleet's trading mode (a futures fleet's bots ask ``/fapi``)."""
    if spec.gateway is None:
        return None
    exchange = config.get("exchange") or {}
    profile = exchange_profile(exchange, trading_mode_of(config))
    return GatewayEntry(
        upstream=spec.gateway.upstream or upstream_of(exchange, profile),
        exchange=profile.name,
        port=spec.gateway.listen_port,
        share=spec.gateway.share,
        live_ttl=spec.gateway.live_ttl,
        weight_limit=spec.gateway.weight_limit,
    )


def strategy_hashes(strategy_files: Mapping[str, str | bytes]) -> dict[str, str]:
    """sha256 of each strategy file by its path in the plan directory: what ``status``
    compares the files on disk with, so a strategy edited after the plan shows as drift."""
    return {
        f"{USERDIR}/strategies/{name}": hashlib.sha256(
            content.encode() if isinstance(content, str) else content
        ).hexdigest()
        for name, content in sorted(strategy_files.items())
    }


def _bot_host(spec: FleetSpec, index: int) -> str:
    host = spec.producer_host(index)
    return "127.0.0.1" if is_loopback(host) else host


def _bot_entries(
    spec: FleetSpec,
    all_secrets: dict[str, dict[str, str]],
    shares: dict[str, list[str]] | None,
) -> list[BotEntry]:
    """How to start and reach each bot: the producers, then the consumer."""
    bots = [
        BotEntry(
            name=name,
            role="producer",
            config_files=[producer_file(name)],
            host=_bot_host(spec, index),
            api_host=_bot_host(spec, index),
            api_port=spec.producer_port(index),
            username=spec.api_username,
            password=all_secrets[name]["password"],
            pairs=list((shares or {}).get(name) or []),
        )
        for index, name in enumerate(spec.producer_names)
    ]
    bots.append(
        BotEntry(
            name=CONSUMER_NAME,
            role="consumer",
            config_files=[CONSUMER_FILE],
            host="127.0.0.1",
            api_host=connect_address(spec.listen),
            api_port=spec.consumer_api_port,
            username=spec.api_username,
            password=all_secrets[CONSUMER_NAME]["password"],
        )
    )
    return bots


def _feed_entry(spec: FleetSpec) -> PairlistFeedEntry:
    """The pairlist feed of a dynamic pairlist: its config, refresh and share files."""
    return PairlistFeedEntry(
        config_file=FEED_CONFIG,
        refresh_period=spec.pairlist_refresh,
        files={name: f"{PAIRLIST_DIR}/{name}.json" for name in spec.producer_names},
        serve=f"0.0.0.0:{feed_port(spec.pairlist_url)}" if spec.pairlist_url else None,
        redundancy=spec.redundancy,
        hosts=spec.pair_hosts,
    )


def _bot_configs(
    config: dict[str, Any],
    spec: FleetSpec,
    info: StrategyInfo,
    all_secrets: dict[str, dict[str, str]],
    shares: dict[str, list[str]] | None,
) -> dict[str, dict[str, Any]]:
    """Every bot's config by file name, producers then the consumer, checked against
    freqtrade's schema."""
    generated: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(spec.producer_names):
        share = None if shares is None else shares[name]
        producer = producer_config(config, spec, index, info, share, all_secrets[name])
        generated[producer_file(name)] = producer
    generated[CONSUMER_FILE] = consumer_config(
        config, spec, info, all_secrets, all_secrets[CONSUMER_NAME], shares=shares
    )
    for bot in generated.values():
        pin_mode(bot, config)  # one trading and margin mode for every bot
    check_freqtrade_schema(generated)
    return generated


def _config_files(
    out_dir: Path,
    generated: dict[str, dict[str, Any]],
    all_secrets: dict[str, dict[str, str]],
    strategy_files: dict[str, str | bytes],
) -> dict[Path, tuple[str | bytes, int]]:
    """The configs and the secrets (owner only), the strategy stubs (readable)."""
    files: dict[Path, tuple[str | bytes, int]] = {
        out_dir / name: (dump_json(content), SECRET_MODE) for name, content in generated.items()
    }
    files[out_dir / SECRETS_NAME] = (dump_json(all_secrets), SECRET_MODE)
    for filename, content in strategy_files.items():
        files[out_dir / USERDIR / "strategies" / filename] = (content, PUBLIC_MODE)
    return files


def _kubernetes_files(
    kubernetes: bool,
    *,
    out_dir: Path,
    spec: FleetSpec,
    manifest: FleetManifest,
    configs: dict[str, dict[str, Any]],
    all_secrets: dict[str, dict[str, str]],
    strategy_files: dict[str, str | bytes],
    info: StrategyInfo,
    user_config: dict[str, Any],
) -> Mapping[Path, tuple[str | bytes, int]]:
    """The Kubernetes export (``kubernetes/``), rendered when the fleet section has a
    ``kubernetes`` object, when ``kubernetes`` is true, or when the plan folder already
    holds an export (so it never falls behind the plan's configs and secrets); else none."""
    from freqfleet.fleet.kubernetes import KubernetesExport, exported_before, kubernetes_files

    kube = spec.kubernetes
    if kube is None and (kubernetes or exported_before(out_dir)):
        kube = KubernetesSpec()
    if kube is None:
        return {}
    export = KubernetesExport(
        out_dir=out_dir,
        spec=spec,
        kube=kube,
        manifest=manifest,
        configs=configs,
        all_secrets=all_secrets,
        strategy_files=strategy_files,
        info=info,
        user_config=user_config,
    )
    return kubernetes_files(export)


def render_plan(
    config: dict[str, Any],
    spec: FleetSpec,
    out_dir: Path,
    *,
    rotate_secrets: bool = False,
    config_dir: Path | None = None,
    userdir: Path | None = None,
    kubernetes: bool = False,
) -> tuple[dict[Path, tuple[str | bytes, int]], FleetManifest]:
    """Every file of the plan, in memory, and its manifest (nothing is written); the
    Kubernetes export with ``kubernetes`` or as :func:`_kubernetes_files` decides."""
    from freqfleet.fleet.compose import compose_files

    out_dir = Path(out_dir)
    info = resolve_strategy(config, Path(config_dir or Path.cwd()), userdir)
    problem = short_problem(config, info.name, info.can_short)
    if problem:
        raise ConfigError(problem)
    timeframe = fleet_timeframe(config, info)
    strategy_files = stub_files(info)
    check_strategy_files(info, strategy_files)
    dynamic = is_dynamic(config)
    names = spec.producer_names
    existing = {} if rotate_secrets else load_secrets(out_dir)
    all_secrets = bot_secrets([*names, CONSUMER_NAME], existing, rotate=rotate_secrets)
    pairs = (config.get("exchange") or {}).get("pair_whitelist") or []
    shares = None if dynamic else partition(pairs, names, spec.redundancy, spec.pair_hosts)

    gateway = gateway_entry(config, spec)
    if gateway is not None:
        # Every bot (and the pairlist feed) asks the gateway for public market data.
        config = {**config, "exchange": gateway.route(config.get("exchange") or {})}
    generated = _bot_configs(config, spec, info, all_secrets, shares)
    if dynamic:
        generated[FEED_CONFIG] = pin_mode(feed_config(config, timeframe), config)
    files = _config_files(out_dir, generated, all_secrets, strategy_files)
    manifest = FleetManifest(
        strategy=info.fleet_name,
        timeframe=timeframe,
        userdir=USERDIR,
        strategy_path=None,
        bots=_bot_entries(spec, all_secrets, shares),
        pairlist_feed=_feed_entry(spec) if dynamic else None,
        gateway=gateway,
        redundancy=spec.redundancy,
        hosts=spec.pair_hosts,
        routes=None if dynamic else routes(pairs, names, spec.redundancy, spec.pair_hosts),
        freqtrade_version=freqtrade_version(),
        strategy_hashes=strategy_hashes(strategy_files),
    )
    files.update(compose_files(out_dir, spec, manifest, all_secrets))
    files.update(
        _kubernetes_files(
            kubernetes,
            out_dir=out_dir,
            spec=spec,
            manifest=manifest,
            configs=generated,
            all_secrets=all_secrets,
            strategy_files=strategy_files,
            info=info,
            user_config=config,
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


__all__ = ["gateway_entry", "render_plan", "strategy_hashes", "write_plan"]
