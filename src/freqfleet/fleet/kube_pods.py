"""The parts every pod of the Kubernetes export is made of: labels, security contexts,
probes, the Secret's variables, init containers that wait for the feed or the gateway, a
bot's pod spec, its Service, ConfigMap and volume claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from freqfleet.fleet.envvars import ENV_PREFIX
from freqfleet.fleet.kube_addresses import FEED, GATEWAY, gateway_url
from freqfleet.fleet.kube_secrets import secret_key
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.gateway import STATS_PATH

MOUNT = "/fleet"
SECRET_NAME = "fleet-secrets"
CONSUMER_SECRET_NAME = "consumer-secrets"
"""The consumer's own Secret: the wallet's credentials reach its pod only."""
CONTAINER = "freqtrade"
USER_ID = 1000
"""freqtrade's image runs as ftuser (uid and gid 1000)."""

# --- manifests ---------------------------------------------------------------------------


def labels(kube: KubernetesSpec, component: str, bot: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "freqfleet",
        "app.kubernetes.io/instance": kube.namespace,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "freqfleet",
        "freqfleet/bot": bot,
    }


def selector(kube: KubernetesSpec, bot: str) -> dict[str, str]:
    return {"app.kubernetes.io/instance": kube.namespace, "freqfleet/bot": bot}


def meta(name: str, kube: KubernetesSpec, component: str, bot: str) -> dict[str, Any]:
    return {"name": name, "namespace": kube.namespace, "labels": labels(kube, component, bot)}


CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
}
POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": USER_ID,
    "runAsGroup": USER_ID,
    "fsGroup": USER_ID,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _pull_secrets(kube: KubernetesSpec) -> dict[str, Any]:
    if not kube.image_pull_secrets:
        return {}
    return {"imagePullSecrets": [{"name": name} for name in kube.image_pull_secrets]}


def pod_base(kube: KubernetesSpec, node_selector: dict[str, str] | None = None) -> dict[str, Any]:
    """What every pod of the fleet has: no service account token or service links, the
    image's user, the pull secrets and the node selector (the fleet's, or ``node_selector``)."""
    spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": POD_SECURITY,
        **_pull_secrets(kube),
    }
    selector = dict(kube.node_selector) if node_selector is None else node_selector
    if selector:
        spec["nodeSelector"] = selector
    return spec


def _probes(port: str) -> dict[str, Any]:
    def ping(**timing: int) -> dict[str, Any]:
        return {"httpGet": {"path": "/api/v1/ping", "port": port}, **timing}

    return {
        # Loading markets and the first candles of many pairs takes a while.
        "startupProbe": ping(periodSeconds=10, timeoutSeconds=5, failureThreshold=60),
        "readinessProbe": ping(periodSeconds=10, timeoutSeconds=5, failureThreshold=3),
        "livenessProbe": ping(periodSeconds=30, timeoutSeconds=10, failureThreshold=5),
    }


def secret_name(role: str) -> str:
    """The Secret a pod reads its variables from: the consumer's own, or the fleet's."""
    return CONSUMER_SECRET_NAME if role == "consumer" else SECRET_NAME


def env_list(
    bot: str, variables: dict[str, str], extra: dict[str, str], secret: str = SECRET_NAME
) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [{"name": name, "value": value} for name, value in extra.items()]
    for name in variables:
        env.append(
            {
                "name": name,
                "valueFrom": {"secretKeyRef": {"name": secret, "key": secret_key(bot, name)}},
            }
        )
    return env


def _wait_for(name: str, what: str, url: str, kube: KubernetesSpec) -> dict[str, Any]:
    """An init container that waits until ``url`` answers (the feed's first evaluation,
    the gateway's stats)."""
    script = (
        "import sys, time, urllib.request\n"
        "while True:\n"
        "    try:\n"
        "        urllib.request.urlopen(sys.argv[1], timeout=5)\n"
        "        break\n"
        "    except Exception as error:\n"
        f"        print('waiting for the {what}:', error, flush=True)\n"
        "        time.sleep(5)\n"
    )
    return {
        "name": f"wait-for-{name}",
        "image": kube.image,
        "imagePullPolicy": kube.image_pull_policy,
        "command": ["python", "-c", script, url],
        "resources": {
            "requests": {"cpu": "10m", "memory": "32Mi"},
            "limits": {"cpu": "100m", "memory": "64Mi"},
        },
        "securityContext": CONTAINER_SECURITY,
    }


def init_containers(
    manifest: FleetManifest, kube: KubernetesSpec, feed: str | None
) -> dict[str, Any]:
    """``initContainers`` of a pod that needs the gateway, or the feed's file ``feed``."""
    init = []
    if manifest.gateway is not None:
        stats = gateway_url(manifest.gateway, kube) + STATS_PATH
        init.append(_wait_for(GATEWAY, "market-data gateway", stats, kube))
    if feed:
        init.append(_wait_for(FEED, "pairlist feed", feed, kube))
    return {"initContainers": init} if init else {}


@dataclass(frozen=True)
class BotPod:
    """What differs between the bots' pods."""

    bot: BotEntry
    component: str
    config_map: str
    variables: dict[str, str]
    resources: dict[str, dict[str, str]]
    checksum: str
    wait_for: str | None = None


def bot_pod_spec(
    pod: BotPod,
    manifest: FleetManifest,
    kube: KubernetesSpec,
    strategies: dict[str, Any],
    affinity: dict[str, Any] | None,
    node_selector: dict[str, str],
    data_volume: dict[str, Any] | None,
) -> dict[str, Any]:
    bot = pod.bot
    config_file = bot.config_files[0]
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": kube.image,
        "imagePullPolicy": kube.image_pull_policy,
        "workingDir": MOUNT,
        # The image's entrypoint is freqtrade; the arguments are `freqfleet up`'s.
        "args": manifest.freqtrade_args(bot),
        "env": env_list(
            bot.name,
            pod.variables,
            {
                # Inside a pod the API must listen on the pod's address, not loopback.
                f"{ENV_PREFIX}API_SERVER__LISTEN_IP_ADDRESS": "0.0.0.0",
                "PYTHONDONTWRITEBYTECODE": "1",
            },
            secret_name(bot.role),
        ),
        "ports": [{"name": "api", "containerPort": bot.api_port, "protocol": "TCP"}],
        **_probes("api"),
        "resources": pod.resources,
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": [
            {"name": "user-data", "mountPath": f"{MOUNT}/{manifest.userdir}"},
            {
                "name": "strategies",
                "mountPath": f"{MOUNT}/{manifest.userdir}/strategies",
                "readOnly": True,
            },
            {
                "name": "config",
                "mountPath": f"{MOUNT}/{config_file}",
                "subPath": config_file,
                "readOnly": True,
            },
        ],
    }
    volumes: list[dict[str, Any]] = [
        {"name": "config", "configMap": {"name": pod.config_map}},
        {"name": "strategies", **strategies},
    ]
    if data_volume is not None:
        volumes.insert(0, {"name": "user-data", **data_volume})
    spec = {**pod_base(kube, node_selector), "terminationGracePeriodSeconds": 60}
    if affinity:
        spec["affinity"] = affinity
    spec.update(init_containers(manifest, kube, pod.wait_for))
    spec["containers"] = [container]
    spec["volumes"] = volumes
    return {
        "metadata": {
            "labels": labels(kube, pod.component, bot.name),
            # A changed config, strategy or secret rolls the pod.
            "annotations": {"freqfleet/config-hash": pod.checksum},
        },
        "spec": spec,
    }


def service_doc(bot: str, port: int, kube: KubernetesSpec, component: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(bot, kube, component, bot),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(kube, bot),
            "ports": [{"name": "api", "port": port, "targetPort": "api", "protocol": "TCP"}],
        },
    }


def config_map_doc(
    name: str, kube: KubernetesSpec, component: str, bot: str, data: dict[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(name, kube, component, bot),
        "data": data,
    }


def producer_affinity(kube: KubernetesSpec) -> dict[str, Any]:
    term = {
        "labelSelector": {
            "matchLabels": {
                "app.kubernetes.io/instance": kube.namespace,
                "app.kubernetes.io/component": "producer",
            }
        },
        "topologyKey": "kubernetes.io/hostname",
    }
    if kube.spread == "required":
        return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": term}
            ]
        }
    }


def volume_claim(size: str, access_mode: str, kube: KubernetesSpec) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": [access_mode],
        "resources": {"requests": {"storage": size}},
    }
    if kube.storage_class:
        spec["storageClassName"] = kube.storage_class
    return spec


__all__ = [
    "CONSUMER_SECRET_NAME",
    "CONTAINER",
    "CONTAINER_SECURITY",
    "MOUNT",
    "POD_SECURITY",
    "SECRET_NAME",
    "USER_ID",
    "BotPod",
    "bot_pod_spec",
    "config_map_doc",
    "env_list",
    "init_containers",
    "labels",
    "meta",
    "pod_base",
    "producer_affinity",
    "secret_name",
    "selector",
    "service_doc",
    "volume_claim",
]
