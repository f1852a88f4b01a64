"""The fleet's dashboard inside the Kubernetes export: a second container in the consumer's
pod serving the page and ``/metrics`` for Prometheus to scrape.

Why a sidecar of the consumer: the dashboard reads the consumer's report
(``user_data/fleet-state.json``), which lives on the consumer's own volume; in the same pod
it reads that volume (read-only) and reaches the consumer's API on loopback, and it is the
one pod the producers' NetworkPolicy lets in. It sees a plan folder made for the cluster:
the plan's manifest with every bot at its Service address, delivered from the consumer's
own Secret (it holds the bots' REST logins), and the consumer's ``user_data``.
Why ``/metrics`` without login here: an annotation-driven Prometheus scrapes without
credentials; the metrics only count (no secret, no trade detail) and the port is only on
the cluster network. The page and the snapshot keep the consumer's login.
"""

from __future__ import annotations

from typing import Any

from freqfleet.fleet.kube_addresses import GATEWAY, service_host
from freqfleet.fleet.kube_pods import CONSUMER_SECRET_NAME, CONTAINER_SECURITY, MOUNT
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.manifest import MANIFEST_NAME, FleetManifest

DASHBOARD = "dashboard"
MANIFEST_KEY = f"{DASHBOARD}.{MANIFEST_NAME}"
"""The in-cluster manifest's key in the consumer's Secret."""
VOLUME = "dashboard-plan"
METRICS_PATH = "/metrics"
RESOURCES = {
    "requests": {"cpu": "50m", "memory": "320Mi"},
    "limits": {"cpu": "500m", "memory": "640Mi"},
}
"""Measured: 250 MB resident serving a 150-pair fleet (freqtrade, plotly.js in memory)."""


def dashboard_port(manifest: FleetManifest) -> int:
    """The first port above every planned one: unique in the pod and, forwarded, on the
    user's machine beside the bots."""
    ports = [bot.api_port for bot in manifest.bots]
    if manifest.gateway is not None:
        ports.append(manifest.gateway.port)
    return max(ports) + 1


def pod_manifest(manifest: FleetManifest, kube: KubernetesSpec) -> FleetManifest:
    """The plan's manifest as the dashboard sees the fleet from the consumer's pod.

    The consumer at loopback (same pod), producers and gateway at their Services; no
    pairlist feed entry (its state is a local supervisor's, which a cluster has not) and
    no strategy hashes (the pod's strategy files are the ConfigMaps, not a plan folder).
    """
    bots = []
    for bot in manifest.bots:
        host = "127.0.0.1" if bot.role == "consumer" else service_host(bot.name, kube)
        bots.append(bot.model_copy(update={"host": host, "api_host": host}))
    gateway = manifest.gateway
    if gateway is not None:
        gateway = gateway.model_copy(update={"host": service_host(GATEWAY, kube)})
    return manifest.model_copy(
        update={
            "bots": bots,
            "gateway": gateway,
            "pairlist_feed": None,
            "strategy_hashes": {},
        }
    )


def pod_manifest_text(manifest: FleetManifest, kube: KubernetesSpec) -> str:
    return pod_manifest(manifest, kube).model_dump_json(indent=4) + "\n"


def dashboard_container(manifest: FleetManifest, kube: KubernetesSpec) -> dict[str, Any]:
    """The sidecar: the export's image, the consumer's data read-only, the manifest from the
    consumer's Secret, ``/metrics`` open to the cluster network."""
    port = dashboard_port(manifest)
    return {
        "name": DASHBOARD,
        "image": kube.image,
        "imagePullPolicy": kube.image_pull_policy,
        "workingDir": MOUNT,
        "command": ["freqfleet"],
        "args": [
            DASHBOARD,
            MOUNT,
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
            "--metrics-open",
        ],
        "env": [{"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}],
        "ports": [{"name": DASHBOARD, "containerPort": port, "protocol": "TCP"}],
        "readinessProbe": {
            "httpGet": {"path": "/healthz", "port": DASHBOARD},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
        },
        "livenessProbe": {
            "tcpSocket": {"port": DASHBOARD},
            "periodSeconds": 30,
            "timeoutSeconds": 10,
            "failureThreshold": 5,
        },
        "resources": RESOURCES,
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": [
            {"name": "user-data", "mountPath": f"{MOUNT}/{manifest.userdir}", "readOnly": True},
            {
                "name": VOLUME,
                "mountPath": f"{MOUNT}/{MANIFEST_NAME}",
                "subPath": MANIFEST_NAME,
                "readOnly": True,
            },
        ],
    }


def dashboard_volume() -> dict[str, Any]:
    """The manifest out of the consumer's Secret, readable by the pod's user only."""
    return {
        "name": VOLUME,
        "secret": {
            "secretName": CONSUMER_SECRET_NAME,
            "defaultMode": 0o400,
            "items": [{"key": MANIFEST_KEY, "path": MANIFEST_NAME}],
        },
    }


def scrape_annotations(manifest: FleetManifest) -> dict[str, str]:
    return {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(dashboard_port(manifest)),
        "prometheus.io/path": METRICS_PATH,
    }


def service_port(manifest: FleetManifest) -> dict[str, Any]:
    port = dashboard_port(manifest)
    return {"name": DASHBOARD, "port": port, "targetPort": DASHBOARD, "protocol": "TCP"}


__all__ = [
    "DASHBOARD",
    "MANIFEST_KEY",
    "METRICS_PATH",
    "dashboard_container",
    "dashboard_port",
    "dashboard_volume",
    "pod_manifest",
    "pod_manifest_text",
    "scrape_annotations",
    "service_port",
]
