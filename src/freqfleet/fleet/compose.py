"""The docker-compose export of a plan: one service per bot on freqtrade's official image.

Why extra config files under ``docker/``: inside a container a bot must listen on
0.0.0.0 for its published port to work, and the consumer reaches producers of the same
host by service name, not 127.0.0.1. freqtrade merges several ``-c`` files (the later one
wins), so each service loads the plan's config and then a small docker override.

Multi-host fleets: every service carries the compose profile of its host
(``docker compose --profile <host> up -d`` on that machine); ports are published on
127.0.0.1 only when the whole fleet runs on one host.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from freqfleet import __version__
from freqfleet.files import PUBLIC_MODE, SECRET_MODE, dump_json
from freqfleet.fleet.addresses import is_loopback
from freqfleet.fleet.links import producer_links
from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.yamltext import to_yaml
from freqfleet.strategy.internals import freqtrade_image_tag

IMAGE = "freqtradeorg/freqtrade"
LOCAL_IMAGE = "freqfleet:local"
MOUNT = "/fleet"
LISTEN_ALL = "docker/listen-all.json"
CONSUMER_OVERRIDE = "docker/consumer.json"
LOCAL_PROFILE = "local"


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


def _healthcheck(port: int) -> dict[str, Any]:
    probe = (
        "import urllib.request; "
        f"urllib.request.urlopen('http://127.0.0.1:{port}/api/v1/ping', timeout=3)"
    )
    return {
        "test": ["CMD", "python", "-c", probe],
        "interval": "10s",
        "timeout": "5s",
        "retries": 6,
        "start_period": "60s",
    }


def _service(
    bot: BotEntry, manifest: FleetManifest, *, multi_host: bool, extra_configs: list[str]
) -> dict[str, Any]:
    command = ["trade", "--userdir", manifest.userdir]
    for config_file in [*bot.config_files, *extra_configs]:
        command += ["-c", config_file]
    command += ["--strategy", manifest.strategy]
    port = (
        f"{bot.api_port}:{bot.api_port}"
        if multi_host
        else f"127.0.0.1:{bot.api_port}:{bot.api_port}"
    )
    service: dict[str, Any] = {
        "image": LOCAL_IMAGE,
        "build": {"context": "."},
        "restart": "unless-stopped",
        "working_dir": MOUNT,
        "volumes": [f"./:{MOUNT}"],
        "ports": [port],
        "command": command,
        "healthcheck": _healthcheck(bot.api_port),
    }
    if multi_host:
        service["profiles"] = [host_profile(bot.host)]
    return service


def compose_document(spec: FleetSpec, manifest: FleetManifest) -> dict[str, Any]:
    """The compose file as data: one service per bot (and the pairlist feed, if any)."""
    multi_host = bool(spec.remote_hosts)
    services: dict[str, Any] = {}
    if manifest.pairlist_feed is not None:
        feed: dict[str, Any] = {
            "image": LOCAL_IMAGE,
            "build": {"context": "."},
            "restart": "unless-stopped",
            "working_dir": MOUNT,
            "volumes": [f"./:{MOUNT}"],
            "entrypoint": ["freqfleet"],
            "command": manifest.pairlist_feed.command_args(MOUNT),
        }
        if manifest.pairlist_feed.serve:
            port = manifest.pairlist_feed.serve.rpartition(":")[2]
            feed["ports"] = [f"{port}:{port}"]
        if multi_host:
            feed["profiles"] = [LOCAL_PROFILE]
        services["pairlist-feed"] = feed
    for bot in manifest.producers:
        service = _service(bot, manifest, multi_host=multi_host, extra_configs=[LISTEN_ALL])
        if manifest.pairlist_feed is not None and is_loopback(bot.host):
            service["depends_on"] = {"pairlist-feed": {"condition": "service_started"}}
        services[bot.name] = service
    consumer = _service(
        manifest.consumer,
        manifest,
        multi_host=multi_host,
        extra_configs=[LISTEN_ALL, CONSUMER_OVERRIDE],
    )
    local_producers = [bot.name for bot in manifest.producers if is_loopback(bot.host)]
    depends_on: dict[str, Any] = {}
    if manifest.pairlist_feed is not None:
        # The consumer's RemotePairList reads the feed's whole list (pairlists/_fleet.json).
        depends_on["pairlist-feed"] = {"condition": "service_started"}
    depends_on.update({name: {"condition": "service_healthy"} for name in local_producers})
    if depends_on:
        consumer["depends_on"] = depends_on
    services[manifest.consumer.name] = consumer
    return {"services": services}


def render_compose(spec: FleetSpec, manifest: FleetManifest) -> str:
    header = (
        "# freqfleet plan export: one service per bot on freqtrade's official image.\n"
        "# Build and start: docker compose up -d --build\n"
    )
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
    return {
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


__all__ = ["compose_document", "compose_files", "dockerfile", "host_profile", "render_compose"]
