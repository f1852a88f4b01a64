"""Where a bot reaches another inside the cluster: Service DNS names, the pairlist feed's
and the gateway's URLs, and the plan's configs rewritten to use them.
"""

from __future__ import annotations

import copy
from typing import Any

from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.links import producer_links
from freqfleet.fleet.manifest import FleetManifest, GatewayEntry
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.pairfeed import SUMMARY_FILE

FEED = "pairlist-feed"
FEED_PORT = 8000
GATEWAY = "gateway"

# --- addresses ---------------------------------------------------------------------------


def service_host(name: str, kube: KubernetesSpec) -> str:
    """A bot's stable address inside the cluster (any cluster domain resolves ``.svc``)."""
    return f"{name}.{kube.namespace}.svc"


def feed_port(spec: FleetSpec) -> int:
    if spec.pairlist_url:
        from freqfleet.fleet.botconfigs import feed_port as url_port

        return url_port(spec.pairlist_url)
    return FEED_PORT


def feed_url(spec: FleetSpec, kube: KubernetesSpec, file_name: str) -> str:
    """Where a bot reads a file the feed serves (``<producer>.json``, ``_fleet.json``)."""
    return f"http://{service_host(FEED, kube)}:{feed_port(spec)}/{file_name}"


def gateway_url(gateway: GatewayEntry, kube: KubernetesSpec) -> str:
    """The gateway's Service, where the fleet's pods reach it."""
    return gateway.model_copy(update={"host": service_host(GATEWAY, kube)}).url


def _route_to_gateway(
    configs: dict[str, dict[str, Any]], gateway: GatewayEntry | None, kube: KubernetesSpec
) -> None:
    """Every config's public market-data URLs at the gateway's Service (in place)."""
    if gateway is None:
        return
    for config in configs.values():
        config["exchange"] = gateway.route(config["exchange"], host=service_host(GATEWAY, kube))


def cluster_configs(
    spec: FleetSpec,
    kube: KubernetesSpec,
    manifest: FleetManifest,
    configs: dict[str, dict[str, Any]],
    all_secrets: dict[str, dict[str, str]],
) -> dict[str, dict[str, Any]]:
    """The plan's bot configs with the cluster's addresses (nothing else changes)."""

    result = copy.deepcopy(configs)
    names = spec.producer_names
    dynamic = manifest.pairlist_feed is not None
    for bot in manifest.producers:
        config = result[bot.config_files[0]]
        if dynamic:
            config["pairlists"][0]["pairlist_url"] = feed_url(spec, kube, f"{bot.name}.json")
    consumer = result[manifest.consumer.config_files[0]]
    producers, producer_api = producer_links(
        spec, all_secrets, lambda index: service_host(names[index], kube), secure=False
    )
    consumer["external_message_consumer"]["producers"] = producers
    consumer["fleet"]["producer_api"] = producer_api
    if dynamic:
        consumer["pairlists"][0]["pairlist_url"] = feed_url(spec, kube, SUMMARY_FILE)
    _route_to_gateway(result, manifest.gateway, kube)
    return result


__all__ = [
    "FEED",
    "FEED_PORT",
    "GATEWAY",
    "cluster_configs",
    "feed_port",
    "feed_url",
    "gateway_url",
    "service_host",
]
