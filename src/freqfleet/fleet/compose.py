"""The docker-compose export of a plan: one service per bot on freqtrade's official image.

Why extra config files under ``docker/``: inside a container a bot must listen on
0.0.0.0 for its published port to work, and the consumer reaches producers of the same
host by service name, not 127.0.0.1. freqtrade merges several ``-c`` files (the later one
wins), so each service loads the plan's config and then a small docker override.

Multi-host fleets: every service carries the compose profile of its host
(``docker compose --profile <host> up -d`` on that machine); ports are published on
127.0.0.1 only when the whole fleet runs on one host.

With ``fleet.gateway`` the gateway is a service too: every other service waits until it
answers, and reaches it by its service name (``docker/gateway.json`` for the bots, the
pairlist feed's variables), since 127.0.0.1 inside a container is the container itself.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from freqfleet import __version__
from freqfleet.compat import freqtrade_image_tag
from freqfleet.files import PUBLIC_MODE, SECRET_MODE, dump_json
from freqfleet.fleet.addresses import is_loopback
from freqfleet.fleet.envvars import env_variables
from freqfleet.fleet.links import producer_links
from freqfleet.fleet.manifest import (
    MANIFEST_NAME,
    BotEntry,
    FleetManifest,
    GatewayEntry,
    PairlistFeedEntry,
)
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.yamltext import to_yaml
from freqfleet.gateway import STATS_PATH

IMAGE = "freqtradeorg/freqtrade"
LOCAL_IMAGE = "freqfleet:local"
MOUNT = "/fleet"
LISTEN_ALL = "docker/listen-all.json"
CONSUMER_OVERRIDE = "docker/consumer.json"
GATEWAY_OVERRIDE = "docker/gateway.json"
LOCAL_PROFILE = "local"
GATEWAY = "gateway"
FEED = "pairlist-feed"


def host_profile(host: str) -> str:
    """Compose profile of the bots on ``host`` (``local`` for this machine)."""
    if is_loopback(host):
        return LOCAL_PROFILE
    return "host-" + re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")


def dockerfile() -> str:
    return (
        "# freqtrade's official image, of the freqtrade the plan was made with (one version\n"
        "# for every bot of the fleet), with freqfleet installed on top.\n"
        f"FROM {IMAGE}:{freqtrade_image_tag()}\n"
        f'ARG FREQFLEET_REQUIREMENT="freqfleet=={__version__}"\n'
        'RUN pip install --no-cache-dir "${FREQFLEET_REQUIREMENT}"\n'
    )


def _healthcheck(url: str, start_period: str = "60s") -> dict[str, Any]:
    probe = f"import urllib.request; urllib.request.urlopen('{url}', timeout=3)"
    return {
        "test": ["CMD", "python", "-c", probe],
        "interval": "10s",
        "timeout": "5s",
        "retries": 6,
        "start_period": start_period,
    }


def _wait_for(service: dict[str, Any], conditions: dict[str, str]) -> None:
    """``depends_on`` the given services (name -> compose condition), if any."""
    if conditions:
        service["depends_on"] = {name: {"condition": c} for name, c in conditions.items()}


def upstream_warning(gateway: GatewayEntry | None) -> str | None:
    """One line when the gateway's upstream is on loopback: fine for `up`, unreachable
    from the gateway's container (compose or Kubernetes), where 127.0.0.1 is itself."""
    if gateway is None or not is_loopback(urlsplit(gateway.upstream).hostname or ""):
        return None
    return (
        f"fleet.gateway: its upstream {gateway.upstream} is on this machine's loopback, which "
        "the gateway of the docker-compose and Kubernetes exports cannot reach from its "
        "container; for those, set fleet.gateway.upstream to an address the containers "
        "reach (e.g. http://host.docker.internal:PORT or the host's LAN address)"
    )


def gateway_override(gateway: GatewayEntry) -> dict[str, Any]:
    """The bots' public market-data URLs at the gateway's service name (``-c`` override)."""
    return {"exchange": gateway.route({}, host=GATEWAY)}


def gateway_variables(gateway: GatewayEntry) -> dict[str, str]:
    """:func:`gateway_override` as ``FREQTRADE__`` variables, for the pairlist feed (it
    reads its one config file, and freqtrade merges these variables over it)."""

    return env_variables(gateway_override(gateway))


def _image_service(
    *, files: list[str] | None = None, folders: list[str] | None = None
) -> dict[str, Any]:
    """The start of every service: the local image, restarted unless stopped, and (for
    what reads the plan folder) the parts of the plan folder it reads, under the plan's
    working directory.

    Why not the whole folder: it holds the consumer's config and the fleet's secrets, and a
    producer's container on the same host would read them. Each service gets its own
    config files (and the feed's shares) read-only and the folders it writes
    (``user_data``; the feed its shares).
    """
    service: dict[str, Any] = {
        "image": LOCAL_IMAGE,
        "build": {"context": "."},
        "restart": "unless-stopped",
    }
    if files or folders:
        service["working_dir"] = MOUNT
        service["volumes"] = [
            *(f"./{folder}:{MOUNT}/{folder}" for folder in folders or []),
            *(f"./{name}:{MOUNT}/{name}:ro" for name in dict.fromkeys(files or [])),
        ]
    return service


def _gateway_service(gateway: GatewayEntry) -> dict[str, Any]:
    """The gateway on every interface of its container, published on 127.0.0.1 (where
    `freqfleet status` reads its stats)."""
    port = gateway.port
    return {
        **_image_service(),
        "entrypoint": ["freqfleet"],
        "command": gateway.container_args(),
        "ports": [f"127.0.0.1:{port}:{port}"],
        "healthcheck": _healthcheck(f"http://127.0.0.1:{port}{STATS_PATH}", "10s"),
    }


def _share_folders(entry: PairlistFeedEntry | None) -> list[str]:
    """The folders the pairlist feed writes the producers' shares to."""
    if entry is None:
        return []
    return sorted({str(Path(name).parent) for name in entry.files.values()})


def _feed_service(
    entry: PairlistFeedEntry, manifest: FleetManifest, *, multi_host: bool
) -> dict[str, Any]:
    gateway = manifest.gateway
    feed: dict[str, Any] = {
        **_image_service(
            files=[MANIFEST_NAME, entry.config_file],
            folders=[manifest.userdir, *_share_folders(entry)],
        ),
        "entrypoint": ["freqfleet"],
        "command": entry.command_args(MOUNT),
    }
    if gateway is not None:
        feed["environment"] = gateway_variables(gateway)
    if entry.serve:
        port = entry.serve.rpartition(":")[2]
        feed["ports"] = [f"{port}:{port}"]
    if multi_host:
        feed["profiles"] = [LOCAL_PROFILE]
    return feed


def _service(
    bot: BotEntry, manifest: FleetManifest, *, multi_host: bool, extra_configs: list[str]
) -> dict[str, Any]:
    command = ["trade", "--userdir", manifest.userdir]
    config_files = [*bot.config_files, *extra_configs]
    for config_file in config_files:
        command += ["-c", config_file]
    read_only = [*config_files, *_share_folders(manifest.pairlist_feed)]
    command += ["--strategy", manifest.strategy]
    port = (
        f"{bot.api_port}:{bot.api_port}"
        if multi_host
        else f"127.0.0.1:{bot.api_port}:{bot.api_port}"
    )
    service: dict[str, Any] = {
        **_image_service(files=read_only, folders=[manifest.userdir]),
        "ports": [port],
        "command": command,
        "healthcheck": _healthcheck(f"http://127.0.0.1:{bot.api_port}/api/v1/ping"),
    }
    if multi_host:
        service["profiles"] = [host_profile(bot.host)]
    return service


def compose_document(spec: FleetSpec, manifest: FleetManifest) -> dict[str, Any]:
    """The compose file as data: one service per bot (and the gateway, the pairlist feed)."""
    multi_host = bool(spec.remote_hosts)
    services: dict[str, Any] = {}
    first: dict[str, str] = {}  # what this host's services wait for, with the condition
    extra_configs = [LISTEN_ALL]
    if manifest.gateway is not None:
        services[GATEWAY] = _gateway_service(manifest.gateway)
        first[GATEWAY] = "service_healthy"
        extra_configs.append(GATEWAY_OVERRIDE)
    if manifest.pairlist_feed is not None:
        feed = _feed_service(manifest.pairlist_feed, manifest, multi_host=multi_host)
        _wait_for(feed, first)
        services[FEED] = feed
        # Producers and the consumer's RemotePairList read the feed's files.
        first[FEED] = "service_started"
    for bot in manifest.producers:
        service = _service(bot, manifest, multi_host=multi_host, extra_configs=extra_configs)
        if is_loopback(bot.host):
            _wait_for(service, first)
        services[bot.name] = service
    consumer = _service(
        manifest.consumer,
        manifest,
        multi_host=multi_host,
        extra_configs=[*extra_configs, CONSUMER_OVERRIDE],
    )
    local = {bot.name: "service_healthy" for bot in manifest.producers if is_loopback(bot.host)}
    _wait_for(consumer, {**first, **local})
    services[manifest.consumer.name] = consumer
    return {"services": services}


def render_compose(spec: FleetSpec, manifest: FleetManifest) -> str:
    header = (
        "# freqfleet plan export: one service per bot on freqtrade's official image.\n"
        "# Build and start: docker compose up -d --build\n"
    )
    warning = upstream_warning(manifest.gateway)
    if warning:
        header += "".join(f"# {line}\n" for line in textwrap.wrap(f"WARNING: {warning}", 86))
    if spec.remote_hosts:
        profiles = sorted({host_profile(bot.host) for bot in manifest.bots})
        header += "# Multi-host fleet: on each machine start only its services, e.g.\n" + "".join(
            f"#   docker compose --profile {profile} up -d --build\n" for profile in profiles
        )
    return header + to_yaml(compose_document(spec, manifest)) + "\n"


def consumer_override(
    spec: FleetSpec, manifest: FleetManifest, all_secrets: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """Inside compose, producers of this host are reached by service name."""

    def host_of(index: int) -> str:
        bot = manifest.producers[index]
        return bot.name if is_loopback(bot.host) else spec.producer_host(index)

    producers, producer_api = producer_links(spec, all_secrets, host_of)
    return {
        "external_message_consumer": {"producers": producers},
        "fleet": {"producer_api": producer_api},
    }


def compose_files(
    out_dir: Path,
    spec: FleetSpec,
    manifest: FleetManifest,
    all_secrets: dict[str, dict[str, str]],
) -> dict[Path, tuple[str, int]]:
    """docker-compose.yml, Dockerfile and the docker override configs of a plan."""
    files = {
        out_dir / "docker-compose.yml": (render_compose(spec, manifest), PUBLIC_MODE),
        out_dir / "Dockerfile": (dockerfile(), PUBLIC_MODE),
        out_dir / LISTEN_ALL: (
            dump_json({"api_server": {"listen_ip_address": "0.0.0.0"}}),
            PUBLIC_MODE,
        ),
        out_dir / CONSUMER_OVERRIDE: (
            dump_json(consumer_override(spec, manifest, all_secrets)),
            SECRET_MODE,
        ),
    }
    if manifest.gateway is not None:
        override = dump_json(gateway_override(manifest.gateway))
        files[out_dir / GATEWAY_OVERRIDE] = (override, PUBLIC_MODE)
    return files


__all__ = [
    "compose_document",
    "compose_files",
    "dockerfile",
    "gateway_override",
    "gateway_variables",
    "host_profile",
    "render_compose",
    "upstream_warning",
]
