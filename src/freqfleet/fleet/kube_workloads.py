"""The documents of each workload of the Kubernetes export: a producer's StatefulSet, the
one consumer, the pairlist feed and the market-data gateway (each with its Service,
ConfigMap and NetworkPolicy); see :mod:`~freqfleet.fleet.kubernetes` for why these shapes.
"""

from __future__ import annotations

from typing import Any

from freqfleet.fleet.kube_addresses import FEED, GATEWAY, feed_port
from freqfleet.fleet.kube_dashboard import (
    dashboard_container,
    dashboard_volume,
    scrape_annotations,
    service_port,
)
from freqfleet.fleet.kube_pods import (
    CONTAINER_SECURITY,
    MOUNT,
    BotPod,
    bot_pod_spec,
    config_map_doc,
    env_list,
    init_containers,
    labels,
    meta,
    pod_base,
    selector,
    service_doc,
    volume_claim,
)
from freqfleet.fleet.kube_redundancy import redundant_affinity
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.manifest import FleetManifest, GatewayEntry
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.pairfeed import SUMMARY_FILE
from freqfleet.gateway import STATS_PATH


def producer_documents(
    pod: BotPod,
    manifest: FleetManifest,
    kube: KubernetesSpec,
    config_text: str,
    strategies: dict[str, Any],
) -> list[dict[str, Any]]:
    bot = pod.bot
    node_selector = dict(kube.node_selector)
    if bot.name in kube.placement:
        node_selector["kubernetes.io/hostname"] = kube.placement[bot.name]
    affinity = redundant_affinity(kube, manifest, bot.name)
    template = bot_pod_spec(pod, manifest, kube, strategies, affinity, node_selector, None)
    stateful_set = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta(bot.name, kube, "producer", bot.name),
        "spec": {
            "replicas": 1,
            "serviceName": bot.name,
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": selector(kube, bot.name)},
            "persistentVolumeClaimRetentionPolicy": {
                "whenDeleted": "Retain",
                "whenScaled": "Retain",
            },
            "template": template,
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "user-data"},
                    "spec": volume_claim(kube.producer_volume, "ReadWriteOnce", kube),
                }
            ],
        },
    }
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(f"{bot.name}-api", kube, "producer", bot.name),
        "spec": {
            "podSelector": {"matchLabels": selector(kube, bot.name)},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {"podSelector": {"matchLabels": selector(kube, manifest.consumer.name)}}
                    ],
                    "ports": [{"protocol": "TCP", "port": bot.api_port}],
                }
            ],
        },
    }
    return [
        config_map_doc(
            pod.config_map, kube, "producer", bot.name, {bot.config_files[0]: config_text}
        ),
        service_doc(bot.name, bot.api_port, kube, "producer"),
        policy,
        stateful_set,
    ]


CONSUMER_CLAIM = "consumer-data"


def consumer_documents(
    pod: BotPod,
    manifest: FleetManifest,
    kube: KubernetesSpec,
    config_text: str,
    strategies: dict[str, Any],
) -> list[dict[str, Any]]:
    bot = pod.bot
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta(CONSUMER_CLAIM, kube, "consumer", bot.name),
        "spec": volume_claim(kube.consumer_volume, kube.consumer_access_mode, kube),
    }
    template = bot_pod_spec(
        pod,
        manifest,
        kube,
        strategies,
        None,
        dict(kube.node_selector),
        {"persistentVolumeClaim": {"claimName": CONSUMER_CLAIM}},
    )
    # The dashboard beside the consumer: its data read-only, /metrics for Prometheus.
    template["spec"]["containers"].append(dashboard_container(manifest, kube))
    template["spec"]["volumes"].append(dashboard_volume())
    template["metadata"]["annotations"].update(scrape_annotations(manifest))
    service = service_doc(bot.name, bot.api_port, kube, "consumer")
    service["spec"]["ports"].append(service_port(manifest))
    stateful_set = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta(bot.name, kube, "consumer", bot.name),
        "spec": {
            # One wallet, one consumer: never scale this (its volume admits one pod).
            "replicas": 1,
            "serviceName": bot.name,
            # A replacement starts only once the old pod is gone; no surge, no overlap.
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": selector(kube, bot.name)},
            "template": template,
        },
    }
    return [
        config_map_doc(
            pod.config_map, kube, "consumer", bot.name, {bot.config_files[0]: config_text}
        ),
        service,
        claim,
        stateful_set,
    ]


def _feed_container(
    manifest: FleetManifest,
    kube: KubernetesSpec,
    port: int,
    data: dict[str, str],
    variables: dict[str, str],
    limits: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """The feed's container: its config files mounted one by one, ready once it serves."""
    assert manifest.pairlist_feed is not None
    entry = manifest.pairlist_feed.model_copy(update={"serve": f"0.0.0.0:{port}"})
    mounts: list[dict[str, Any]] = [
        {"name": "user-data", "mountPath": f"{MOUNT}/{manifest.userdir}"}
    ]
    mounts.append({"name": "pairlists", "mountPath": f"{MOUNT}/pairlists"})
    for file_name in data:
        mounts.append(
            {
                "name": "config",
                "mountPath": f"{MOUNT}/{file_name}",
                "subPath": file_name,
                "readOnly": True,
            }
        )
    return {
        "name": FEED,
        "image": kube.image,
        "imagePullPolicy": kube.image_pull_policy,
        "workingDir": MOUNT,
        "command": ["freqfleet"],
        "args": entry.command_args(MOUNT),
        "env": env_list(FEED, variables, {"PYTHONDONTWRITEBYTECODE": "1"}),
        "ports": [{"name": "shares", "containerPort": port, "protocol": "TCP"}],
        # Ready once the first evaluation is served.
        "readinessProbe": {
            "httpGet": {"path": f"/{SUMMARY_FILE}", "port": "shares"},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
        },
        "livenessProbe": {
            "tcpSocket": {"port": "shares"},
            "periodSeconds": 30,
            "timeoutSeconds": 10,
            "failureThreshold": 5,
        },
        "resources": limits,
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": mounts,
    }


def feed_documents(
    manifest: FleetManifest,
    spec: FleetSpec,
    kube: KubernetesSpec,
    data: dict[str, str],
    variables: dict[str, str],
    limits: dict[str, dict[str, str]],
    checksum: str,
) -> list[dict[str, Any]]:
    assert manifest.pairlist_feed is not None
    port = feed_port(spec)
    container = _feed_container(manifest, kube, port, data, variables, limits)
    pod_spec = {**pod_base(kube), **init_containers(manifest, kube, None)}
    pod_spec["containers"] = [container]
    pod_spec["volumes"] = [
        {"name": "user-data", "emptyDir": {}},
        {"name": "pairlists", "emptyDir": {}},
        {"name": "config", "configMap": {"name": f"{FEED}-config"}},
    ]
    deployment = _single_deployment(
        FEED, kube, pod_spec, {"annotations": {"freqfleet/config-hash": checksum}}
    )
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(FEED, kube, FEED, FEED),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(kube, FEED),
            "ports": [{"name": "shares", "port": port, "targetPort": "shares", "protocol": "TCP"}],
        },
    }
    return [
        config_map_doc(f"{FEED}-config", kube, FEED, FEED, data),
        service,
        _ingress_from(f"{FEED}-shares", FEED, port, ["producer", "consumer"], kube),
        deployment,
    ]


def _ingress_from(
    name: str, bot: str, port: int, components: list[str], kube: KubernetesSpec
) -> dict[str, Any]:
    """A NetworkPolicy: only the fleet's pods of ``components`` reach ``bot``'s ``port``."""
    sources = {
        "matchExpressions": [
            {"key": "app.kubernetes.io/instance", "operator": "In", "values": [kube.namespace]},
            {"key": "app.kubernetes.io/component", "operator": "In", "values": components},
        ]
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name, kube, bot, bot),
        "spec": {
            "podSelector": {"matchLabels": selector(kube, bot)},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": sources}],
                    "ports": [{"protocol": "TCP", "port": port}],
                }
            ],
        },
    }


def _gateway_container(
    gateway: GatewayEntry, kube: KubernetesSpec, limits: dict[str, dict[str, str]]
) -> dict[str, Any]:
    return {
        "name": GATEWAY,
        "image": kube.image,
        "imagePullPolicy": kube.image_pull_policy,
        "command": ["freqfleet"],
        "args": gateway.container_args(),
        "env": env_list(GATEWAY, {}, {"PYTHONDONTWRITEBYTECODE": "1"}),
        "ports": [{"name": "api", "containerPort": gateway.port, "protocol": "TCP"}],
        # Ready once it answers; alive while it accepts connections (a slow answer during
        # an exchange's back-off must not restart the fleet's one budget).
        "readinessProbe": {
            "httpGet": {"path": STATS_PATH, "port": "api"},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
        },
        "livenessProbe": {
            "tcpSocket": {"port": "api"},
            "periodSeconds": 30,
            "timeoutSeconds": 10,
            "failureThreshold": 5,
        },
        "resources": limits,
        "securityContext": CONTAINER_SECURITY,
    }


def _single_deployment(
    name: str,
    kube: KubernetesSpec,
    pod_spec: dict[str, Any],
    template_meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Deployment of exactly one pod, replaced (not rolled) on update: the pairlist feed
    and the gateway each must never run twice."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, kube, name, name),
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector(kube, name)},
            "template": {
                "metadata": {"labels": labels(kube, name, name), **(template_meta or {})},
                "spec": pod_spec,
            },
        },
    }


def gateway_documents(
    gateway: GatewayEntry, kube: KubernetesSpec, limits: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """Service, NetworkPolicy and Deployment of the fleet's one market-data gateway."""
    pod_spec = pod_base(kube)
    pod_spec["containers"] = [_gateway_container(gateway, kube, limits)]
    # One budget: never two gateways, not even during an update.
    deployment = _single_deployment(GATEWAY, kube, pod_spec)
    components = ["producer", "consumer", FEED]
    return [
        service_doc(GATEWAY, gateway.port, kube, GATEWAY),
        _ingress_from(f"{GATEWAY}-api", GATEWAY, gateway.port, components, kube),
        deployment,
    ]


__all__ = [
    "CONSUMER_CLAIM",
    "consumer_documents",
    "feed_documents",
    "gateway_documents",
    "producer_documents",
]
