"""The Kubernetes export of a plan: ``kubernetes/``, ready for ``kubectl apply -k``.

Why these shapes (each one is what keeps a fleet safe on a cluster):

- **Configs without secrets.** Each bot's ConfigMap holds its config exactly as ``plan``
  renders it, with two kinds of change only: addresses (producers, the pairlist feed) are
  cluster DNS names, and every secret value is replaced by a note naming the
  ``FREQTRADE__...`` environment variable that brings it from a Secret. freqtrade
  merges those variables over the config at start-up; the consumer's producer list, which
  holds the producers' ``ws_token``, travels whole as one JSON list (freqtrade's variables
  cannot index a list). Before anything is written the plan runs freqtrade's own parser
  on config + variables and requires the plan's config back.
- **The wallet's credentials reach the consumer's pod only.** The consumer's secrets (the
  user's exchange key and secret among them) are a Secret of their own, which only the
  consumer's pod names: a node learns a Secret only when one of its pods needs it, so a
  node running producers never holds them. The producers' and the feed's secrets are the
  fleet's Secret (their configs carry no exchange credential: the plan strips them).
- **Producers** are one StatefulSet each (one replica, a volume for ``user_data``: their
  dry-run trade database is what the consumer follows), spread over nodes with pod
  anti-affinity (soft by default, ``spread: "required"`` to never share a node and so an
  egress IP).
- **One consumer, never two.** A StatefulSet starts a pod only after the pod with the same
  identity is gone (a Deployment surges a second one during an update). The consumer's
  database is one PersistentVolumeClaim, not a claim template, mounted ``ReadWriteOncePod``
  by default: a second consumer pod (a scaled StatefulSet) cannot mount it and stays
  Pending instead of trading the same wallet. Nothing here scales it (no autoscaler).
- **Services and a NetworkPolicy**: every bot has a Service (``<bot>.<namespace>.svc``);
  only the consumer may reach a producer's API/websocket port. Probes use
  ``/api/v1/ping``; ports are the plan's, so ``port-forward.sh`` puts every bot at the
  address ``freqfleet status`` already knows.
- **Dynamic pairlist**: the feed is a Deployment serving the shares over HTTP; producers
  and consumer read them by URL, after an init container saw the feed's first list.
- **Dashboard**: a second container in the consumer's pod serves the page and
  ``/metrics`` (scrape annotations on the pod, a port on the consumer's Service); see
  :mod:`~freqfleet.fleet.kube_dashboard`.
- **Market-data gateway** (``fleet.gateway``): one Deployment of one replica (one
  request-weight budget; ``Recreate``, so never two at once) behind a Service; every bot's
  and the feed's public market-data URLs lead to that Service, and their pods start once an
  init container saw it answer.

Files (in ``DIR/kubernetes/``): ``kustomization.yaml``, ``namespace.yaml``,
``secret.yaml`` and ``consumer-secret.yaml`` (0600), ``strategies.yaml``, one ``<bot>.yaml`` per bot (ConfigMap,
Service, StatefulSet or Deployment, NetworkPolicy), ``gateway.yaml`` (Service,
NetworkPolicy, Deployment), ``port-forward.sh``.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from freqfleet.errors import ConfigError
from freqfleet.files import PUBLIC_MODE, SECRET_MODE, dump_json
from freqfleet.fleet.kube_addresses import FEED, GATEWAY, cluster_configs, feed_url
from freqfleet.fleet.kube_dashboard import MANIFEST_KEY, dashboard_port, pod_manifest_text
from freqfleet.fleet.kube_pods import (
    CONTAINER,
    BotPod,
    meta,
    secret_name,
)
from freqfleet.fleet.kube_redundancy import PDB_FILE, disruption_budget
from freqfleet.fleet.kube_secrets import secret_key, split_secrets
from freqfleet.fleet.kube_sizing import (
    consumer_resources,
    dynamic_pairs,
    feed_resources,
    gateway_resources,
    producer_resources,
    resources,
)
from freqfleet.fleet.kube_strategies import strategy_maps
from freqfleet.fleet.kube_workloads import (
    consumer_documents,
    feed_documents,
    gateway_documents,
    producer_documents,
)
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.manifest import MANIFEST_NAME, BotEntry, FleetManifest
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.pairfeed import SUMMARY_FILE
from freqfleet.fleet.spec import kubernetes_problems
from freqfleet.fleet.strategy_discovery import StrategyInfo
from freqfleet.fleet.yamltext import documents, to_yaml
from freqfleet.problems import format_problems

K8S_DIR = "kubernetes"
CONSUMER_SECRET_FILE = "consumer-secret.yaml"
HEADER = "# Written by `freqfleet plan`: plan again rather than edit.\n"


# --- the export --------------------------------------------------------------------------


def _checksum(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _yaml_name(bot: BotEntry) -> str:
    return bot.config_files[0].removesuffix(".json") + ".yaml"


def port_forward_script(manifest: FleetManifest, kube: KubernetesSpec) -> str:
    lines = [
        "#!/bin/sh",
        HEADER.rstrip("\n"),
        "# Puts every bot's REST API (and the gateway's stats) at 127.0.0.1 on the plan's",
        "# ports (kubectl port-forward), so `freqfleet status <plan dir>` and FreqUI work",
        "# against the cluster, and copies the consumer's report (user_data/fleet-state.json)",
        "# next to the plan every 10 s.",
        "# Stop with Ctrl-C. Needs kubectl pointed at the cluster.",
        "set -u",
        f'NAMESPACE="${{NAMESPACE:-{kube.namespace}}}"',
        'cd "$(dirname "$0")/.." || exit 1',
        "mkdir -p user_data",
        "trap 'trap - INT TERM; kill 0' INT TERM  # the forwards and their kubectl too",
        "forward() {  # service port: reconnects when the pod restarts",
        "    while true; do",
        '        kubectl -n "$NAMESPACE" port-forward "service/$1" "127.0.0.1:$2:$2" >/dev/null',
        "        sleep 2",
        "    done",
        "}",
    ]
    for bot in manifest.bots:
        lines.append(f"forward {bot.name} {bot.api_port} &")
    if manifest.gateway is not None:  # its stats, for `status`
        lines.append(f"forward {GATEWAY} {manifest.gateway.port} &")
    port = dashboard_port(manifest)
    lines.append(f"forward {manifest.consumer.name} {port} &  # the dashboard")
    lines += [
        f'echo "Forwarding {len(manifest.bots)} bots; run: freqfleet status $(pwd)"',
        f'echo "Dashboard: http://127.0.0.1:{port}/ (the consumer\'s API login)"',
        "while true; do",
        f'    if kubectl -n "$NAMESPACE" exec {manifest.consumer.name}-0 -c {CONTAINER} -- \\',
        f"        cat {manifest.userdir}/fleet-state.json > user_data/.fleet-state.json.part",
        "    then",
        "        mv user_data/.fleet-state.json.part user_data/fleet-state.json",
        "    fi",
        "    sleep 10",
        "done",
    ]
    return "\n".join(lines) + "\n"


def _namespace(kube: KubernetesSpec) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": kube.namespace,
            "labels": {
                "app.kubernetes.io/managed-by": "freqfleet",
                # Every pod of the fleet meets the restricted Pod Security Standard.
                "pod-security.kubernetes.io/enforce": "restricted",
            },
        },
    }


def _secret(kube: KubernetesSpec, data: dict[str, str], role: str = "all") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(secret_name(role), kube, "secrets", role),
        "type": "Opaque",
        "stringData": dict(sorted(data.items())),
    }


@dataclass(frozen=True)
class KubernetesExport:
    """What an export is made from: the plan as rendered in memory, and the user's config."""

    out_dir: Path
    spec: FleetSpec
    kube: KubernetesSpec
    manifest: FleetManifest
    configs: dict[str, dict[str, Any]]
    """The plan's configs, by file name."""
    all_secrets: dict[str, dict[str, str]]
    """Each bot's generated secrets (``fleet-secrets.json``)."""
    strategy_files: dict[str, str | bytes]
    """The plan's ``user_data/strategies`` files, by relative path."""
    info: StrategyInfo
    user_config: dict[str, Any]


Files = dict[Path, tuple[str, int]]


@dataclass
class _Assembly:
    """The export while it is put together: files, the Secret's data, the listed manifests."""

    export: KubernetesExport
    folder: Path
    cluster: dict[str, dict[str, Any]]
    strategies_text: str
    strategies_volume: dict[str, Any]
    files: Files = field(default_factory=dict)
    secret_data: dict[str, str] = field(default_factory=dict)
    consumer_data: dict[str, str] = field(default_factory=dict)
    """The consumer's secrets (the wallet's credentials among them): its own Secret."""
    listed: list[str] = field(default_factory=list)

    def public_config(self, config_file: str, owner: str) -> tuple[dict[str, Any], dict[str, str]]:
        """A config without its secrets (they go to a Secret's data) and its variables."""
        public, variables = split_secrets(self.cluster[config_file], owner)
        consumer = owner == self.export.manifest.consumer.name
        held = self.consumer_data if consumer else self.secret_data
        for name, value in variables.items():
            held[secret_key(owner, name)] = value
        return public, variables


def kubernetes_files(export: KubernetesExport) -> Files:
    """Every file of ``kubernetes/``, in memory."""
    problems = kubernetes_problems(export.spec, export.kube)
    if problems:
        raise ConfigError(format_problems(problems))
    cluster = cluster_configs(
        export.spec, export.kube, export.manifest, export.configs, export.all_secrets
    )
    strategy_docs, strategies_volume = strategy_maps(export.strategy_files, export.kube)
    assembly = _Assembly(
        export,
        Path(export.out_dir) / K8S_DIR,
        cluster,
        HEADER + documents(*strategy_docs),
        strategies_volume,
    )
    _bot_files(assembly)
    budget = disruption_budget(export.kube, export.manifest)
    if budget is not None:
        assembly.files[assembly.folder / PDB_FILE] = (HEADER + documents(budget), PUBLIC_MODE)
        assembly.listed.append(PDB_FILE)
    if export.manifest.pairlist_feed is not None:
        _feed_file(assembly)
    if export.manifest.gateway is not None:
        limits = resources(gateway_resources(), export.kube, "gateway")
        docs = gateway_documents(export.manifest.gateway, export.kube, limits)
        assembly.files[assembly.folder / f"{GATEWAY}.yaml"] = (
            HEADER + documents(*docs),
            PUBLIC_MODE,
        )
        assembly.listed.insert(0, f"{GATEWAY}.yaml")
    _cluster_files(assembly)
    return assembly.files


def _bot_files(assembly: _Assembly) -> None:
    """One ``<bot>.yaml`` per bot, its secrets into the Secret's data."""
    export = assembly.export
    spec, kube, manifest, info = export.spec, export.kube, export.manifest, export.info
    dynamic = manifest.pairlist_feed is not None
    all_pairs = (
        dynamic_pairs(export.user_config)
        if dynamic
        else len((export.user_config.get("exchange") or {}).get("pair_whitelist") or [])
    )
    per_producer = math.ceil(all_pairs / len(manifest.producers))
    for bot in manifest.bots:
        public, variables = assembly.public_config(bot.config_files[0], bot.name)
        config_text = dump_json(public)
        extra: list[str] = []
        if bot.role == "consumer":  # the dashboard's view of the fleet, with its logins
            assembly.consumer_data[MANIFEST_KEY] = pod_manifest_text(manifest, kube)
            extra.append(assembly.consumer_data[MANIFEST_KEY])
        if bot.role == "producer":
            pairs = per_producer if dynamic else len(bot.pairs)
            defaults = producer_resources(pairs, info)
            wait_for = feed_url(spec, kube, f"{bot.name}.json") if dynamic else None
        else:
            defaults = consumer_resources(all_pairs, info, spec)
            wait_for = feed_url(spec, kube, SUMMARY_FILE) if dynamic else None
        pod = BotPod(
            bot=bot,
            component=bot.role,
            config_map=f"{bot.name}-config",
            variables=variables,
            resources=resources(defaults, kube, bot.role),
            checksum=_checksum(
                config_text, assembly.strategies_text, *sorted(variables.values()), *extra
            ),
            wait_for=wait_for,
        )
        build = producer_documents if bot.role == "producer" else consumer_documents
        docs = build(pod, manifest, kube, config_text, assembly.strategies_volume)
        assembly.files[assembly.folder / _yaml_name(bot)] = (
            HEADER + documents(*docs),
            SECRET_MODE,
        )
        assembly.listed.append(_yaml_name(bot))


def _feed_file(assembly: _Assembly) -> None:
    """The pairlist feed's ``pairlist-feed.yaml``."""
    export = assembly.export
    manifest, kube = export.manifest, export.kube
    assert manifest.pairlist_feed is not None
    feed_file = manifest.pairlist_feed.config_file
    public, variables = assembly.public_config(feed_file, FEED)
    # The feed reads the plan's manifest for its own entry; the bots' REST passwords
    # stay in the Secret (the feed needs none of them).
    feed_manifest = manifest.model_copy(
        update={"bots": [bot.model_copy(update={"password": ""}) for bot in manifest.bots]}
    )
    data = {
        feed_file: dump_json(public),
        MANIFEST_NAME: feed_manifest.model_dump_json(indent=4) + "\n",
    }
    docs = feed_documents(
        manifest,
        export.spec,
        kube,
        data,
        variables,
        resources(feed_resources(), kube, "pairlist_feed"),
        _checksum(*data.values(), *sorted(variables.values())),
    )
    assembly.files[assembly.folder / f"{FEED}.yaml"] = (HEADER + documents(*docs), SECRET_MODE)
    assembly.listed.insert(0, f"{FEED}.yaml")


def _cluster_files(assembly: _Assembly) -> None:
    """The namespace, the one Secret, the strategies, the kustomization, port-forward.sh."""
    kube, folder, files = assembly.export.kube, assembly.folder, assembly.files
    files[folder / "namespace.yaml"] = (HEADER + documents(_namespace(kube)), PUBLIC_MODE)
    files[folder / "secret.yaml"] = (
        HEADER + documents(_secret(kube, assembly.secret_data)),
        SECRET_MODE,
    )
    files[folder / CONSUMER_SECRET_FILE] = (
        HEADER + documents(_secret(kube, assembly.consumer_data, "consumer")),
        SECRET_MODE,
    )
    files[folder / "strategies.yaml"] = (assembly.strategies_text, PUBLIC_MODE)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [
            "namespace.yaml",
            "secret.yaml",
            "strategies.yaml",
            CONSUMER_SECRET_FILE,
            *assembly.listed,
        ],
    }
    files[folder / "kustomization.yaml"] = (
        HEADER
        + "# Apply: kubectl apply --server-side -k .  (README: Running on Kubernetes)\n"
        + to_yaml(kustomization)
        + "\n",
        PUBLIC_MODE,
    )
    files[folder / "port-forward.sh"] = (
        port_forward_script(assembly.export.manifest, kube),
        0o755,
    )


def stale_files(out_dir: Path, written: set[Path]) -> list[Path]:
    """Files an earlier export wrote in ``kubernetes/`` that this plan does not (a removed
    producer's manifest); files without the export's header are left alone."""
    folder = Path(out_dir) / K8S_DIR
    if not folder.is_dir():
        return []
    stale = []
    for path in sorted(folder.glob("*.yaml")):
        if path in written:
            continue
        try:
            with path.open(encoding="utf-8") as handle:
                first = handle.readline()
        except (OSError, UnicodeDecodeError):
            continue
        if first == HEADER:
            stale.append(path)
    return stale


def exported_before(out_dir: Path) -> bool:
    """True when the plan folder holds a Kubernetes export (re-planning keeps it current)."""
    path = Path(out_dir) / K8S_DIR / "kustomization.yaml"
    try:
        return path.is_file() and path.read_text(encoding="utf-8").startswith(HEADER)
    except (OSError, UnicodeDecodeError):
        return False


__all__ = [
    "CONSUMER_SECRET_FILE",
    "HEADER",
    "K8S_DIR",
    "KubernetesExport",
    "exported_before",
    "kubernetes_files",
    "port_forward_script",
    "stale_files",
]
