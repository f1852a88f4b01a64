"""The Kubernetes export of a plan: ``kubernetes/``, ready for ``kubectl apply -k``.

Why these shapes (each one is what keeps a fleet safe on a cluster):

- **Configs without secrets.** Each bot's ConfigMap holds its config exactly as ``plan``
  renders it, with two kinds of change only: addresses (producers, the pairlist feed) are
  cluster DNS names, and every secret value is replaced by a note naming the
  ``FREQTRADE__...`` environment variable that brings it from the one Secret. freqtrade
  merges those variables over the config at start-up; the consumer's producer list, which
  holds the producers' ``ws_token``, travels whole as one JSON list (freqtrade's variables
  cannot index a list). Before anything is written the plan runs freqtrade's own parser
  on config + variables and requires the plan's config back.
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
- **Market-data gateway** (``fleet.gateway``): one Deployment of one replica (one
  request-weight budget; ``Recreate``, so never two at once) behind a Service; every bot's
  and the feed's public market-data URLs lead to that Service, and their pods start once an
  init container saw it answer.

Files (in ``DIR/kubernetes/``): ``kustomization.yaml``, ``namespace.yaml``,
``secret.yaml`` (0600), ``strategies.yaml``, one ``<bot>.yaml`` per bot (ConfigMap,
Service, StatefulSet or Deployment, NetworkPolicy), ``gateway.yaml`` (Service,
NetworkPolicy, Deployment), ``port-forward.sh``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from freqfleet.compat import flat_vars_to_nested_dict
from freqfleet.credentials import API_SERVER_SECRET_PATHS, EXCHANGE_SECRET_PATHS
from freqfleet.errors import ConfigError
from freqfleet.files import PUBLIC_MODE, SECRET_MODE, dump_json
from freqfleet.fleet.envvars import ENV_PREFIX, env_name
from freqfleet.fleet.kubespec import QUANTITY, KubernetesSpec
from freqfleet.fleet.links import producer_links
from freqfleet.fleet.manifest import MANIFEST_NAME, BotEntry, FleetManifest, GatewayEntry
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.pairfeed import SUMMARY_FILE
from freqfleet.fleet.spec import kubernetes_problems
from freqfleet.fleet.stubs import StrategyInfo
from freqfleet.fleet.yamltext import documents, to_yaml
from freqfleet.gateway import STATS_PATH
from freqfleet.problems import format_problems

K8S_DIR = "kubernetes"
MOUNT = "/fleet"
HEADER = "# Written by `freqfleet plan`: plan again rather than edit.\n"
SECRET_NAME = "fleet-secrets"
CONTAINER = "freqtrade"
FEED = "pairlist-feed"
FEED_PORT = 8000
GATEWAY = "gateway"
USER_ID = 1000
"""freqtrade's image runs as ftuser (uid and gid 1000)."""
CONFIGMAP_BUDGET = 900 * 1024
"""Bytes of files per ConfigMap (Kubernetes refuses one above 1 MiB)."""
PLACEHOLDER = "<secret from {}>"

SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    *API_SERVER_SECRET_PATHS,
    *EXCHANGE_SECRET_PATHS,
    ("telegram", "token"),
    ("telegram", "chat_id"),
    ("discord", "webhook_url"),
    ("webhook", "url"),
    ("coingecko", "api_key"),
)
"""Where a freqtrade config keeps secrets (freqtrade's own list of sensitive keys, plus the
fleet's tokens and the ccxt sections). ``db_url`` counts when it is not SQLite."""

# --- sizes -------------------------------------------------------------------------------

BASE_MEMORY_MIB = 400
"""freqtrade with ccxt, pandas and the API server loaded."""
FRAME_MIB = 4
"""One analysed frame of about 1000 candles and 200 columns, with the copies freqtrade keeps."""
PAIRS_PER_CORE = 60
"""A heavy strategy analyses about 50-75 pairs per core within a candle."""
CONSUMER_PAIRS_PER_CORE = 400
"""The consumer runs no analysis: merging frames and its loop are cheap."""
DYNAMIC_PAIRS = 100
"""Pairs assumed for a dynamic pairlist that does not say how many it keeps."""

_UNITS = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def quantity(text: str) -> Decimal:
    """A Kubernetes quantity ("500m", "2", "1.5Gi") as a number."""
    match = QUANTITY.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    return Decimal(match.group(1)) * _UNITS[match.group(3) or ""]


def _cpu(cores: float) -> str:
    millis = max(50, math.ceil(cores * 20) * 50)  # whole 50m steps
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def _memory(mib: float) -> str:
    return f"{max(64, math.ceil(mib / 64) * 64)}Mi"


def _sized(cores: float, memory_mib: float) -> dict[str, dict[str, str]]:
    return {
        "requests": {"cpu": _cpu(cores), "memory": _memory(memory_mib)},
        "limits": {"cpu": _cpu(max(1.0, 2 * cores)), "memory": _memory(2 * memory_mib)},
    }


def _candle_factor(info: StrategyInfo) -> float:
    """Frames grow with the candles a strategy looks back beyond freqtrade's usual 1000."""
    return max(1.0, info.startup_candle_count / 1000)


def producer_resources(pairs: int, info: StrategyInfo) -> dict[str, dict[str, str]]:
    """Default requests/limits of a producer analysing ``pairs`` pairs with ``info``."""
    informative = len(info.informative_timeframes)
    cores = max(0.25, pairs * (1 + 0.25 * informative) / PAIRS_PER_CORE)
    frames = pairs * (1 + informative) * _candle_factor(info)
    return _sized(cores, BASE_MEMORY_MIB + frames * FRAME_MIB)


def consumer_resources(
    pairs: int, info: StrategyInfo, spec: FleetSpec
) -> dict[str, dict[str, str]]:
    """Default requests/limits of the consumer: every pair's producer frame and merged frame."""
    informative = len(info.informative_timeframes) if spec.informative_candles else 0
    cores = max(0.25, pairs / CONSUMER_PAIRS_PER_CORE)
    frames = pairs * (2 + informative) * _candle_factor(info)
    return _sized(cores, BASE_MEMORY_MIB + frames * FRAME_MIB)


def feed_resources() -> dict[str, dict[str, str]]:
    return {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }


def gateway_resources() -> dict[str, dict[str, str]]:
    """One asyncio process; its memory is the closed candles it keeps for the fleet."""
    return {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }


def resources(
    defaults: dict[str, dict[str, str]], kube: KubernetesSpec, role: str
) -> dict[str, dict[str, str]]:
    """The defaults with the user's ``fleet.kubernetes.resources.<role>`` over them.

    A request given without its limit raises the default limit to it (and a limit given
    without its request lowers the default request to it); given both, a request above its
    limit is an error Kubernetes would only report when the pod is created.
    """
    wanted = getattr(kube.resources, role)
    result = copy.deepcopy(defaults)
    for resource in ("cpu", "memory"):
        request = getattr(wanted.requests, resource)
        limit = getattr(wanted.limits, resource)
        if request is not None and limit is not None:
            if quantity(request) > quantity(limit):
                raise ConfigError(
                    f"fleet.kubernetes.resources.{role}.requests.{resource}: {request} is more "
                    f"than limits.{resource} {limit}; request at most the limit"
                )
            result["requests"][resource], result["limits"][resource] = request, limit
        elif request is not None:
            result["requests"][resource] = request
            if quantity(request) > quantity(result["limits"][resource]):
                result["limits"][resource] = request
        elif limit is not None:
            result["limits"][resource] = limit
            if quantity(result["requests"][resource]) > quantity(limit):
                result["requests"][resource] = limit
    return result


def _dynamic_pairs(config: dict[str, Any]) -> int:
    for handler in config.get("pairlists") or []:
        number = handler.get("number_assets") if isinstance(handler, dict) else None
        if isinstance(number, int) and not isinstance(number, bool) and number > 0:
            return number
    return DYNAMIC_PAIRS


# --- secrets -----------------------------------------------------------------------------


def _lookup(config: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = config
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _assign(config: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _secret_value(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    return isinstance(value, int | float) or (isinstance(value, str) and value != "")


def _secret_paths(config: dict[str, Any]) -> list[tuple[str, ...]]:
    paths = [path for path in SECRET_PATHS if _secret_value(_lookup(config, path))]
    db_url = config.get("db_url")
    if isinstance(db_url, str) and db_url and not db_url.startswith("sqlite"):
        paths.append(("db_url",))
    api = (config.get("fleet") or {}).get("producer_api") or {}
    for name, entry in api.items():
        if isinstance(entry, dict) and _secret_value(entry.get("password")):
            paths.append(("fleet", "producer_api", name, "password"))
    return paths


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """freqtrade's environment parser logs every variable's name at INFO."""
    target = logging.getLogger(name)
    level = target.level
    target.setLevel(logging.WARNING)
    try:
        yield
    finally:
        target.setLevel(level)


def freqtrade_view(public: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """What freqtrade makes of a config file and these environment variables (its own code)."""
    from freqtrade.misc import deep_merge_dicts

    with _quiet("freqtrade.configuration.environment_vars"):
        variables = flat_vars_to_nested_dict(dict(env), ENV_PREFIX)
    return deep_merge_dicts(variables, copy.deepcopy(public))


def split_secrets(config: dict[str, Any], bot: str) -> tuple[dict[str, Any], dict[str, str]]:
    """``config`` without its secrets, and the ``FREQTRADE__`` variables that bring them back.

    Raises a ConfigError naming the setting when freqtrade would not read a secret back
    unchanged from its variable (it lowercases keys and reads numbers as numbers).
    """
    public = copy.deepcopy(config)
    env: dict[str, str] = {}
    paths = _secret_paths(config)
    for path in paths:
        name = env_name(path)
        env[name] = str(_lookup(config, path))
        _assign(public, path, PLACEHOLDER.format(name))
    emc = config.get("external_message_consumer") or {}
    producers = emc.get("producers") if isinstance(emc, dict) else None
    if isinstance(producers, list) and producers:
        name = env_name(("external_message_consumer", "producers"))
        env[name] = json.dumps(producers, separators=(",", ":"))
        for entry in public["external_message_consumer"]["producers"]:
            if isinstance(entry, dict) and "ws_token" in entry:
                entry["ws_token"] = PLACEHOLDER.format(name)
    restored = freqtrade_view(public, env)
    for path in paths:
        if _lookup(restored, path) != _lookup(config, path) or type(
            _lookup(restored, path)
        ) is not type(_lookup(config, path)):
            where = ".".join(path)
            if path[-1] != path[-1].lower() and env_name(path).endswith(path[-1].upper()):
                fix = (
                    "freqtrade sets only lowercase keys from environment variables: use its "
                    "own name (exchange.key, secret, account_id, wallet_address, private_key) "
                    "or put it in exchange.ccxt_config"
                )
            else:
                written = type(_lookup(config, path)).__name__
                read = type(_lookup(restored, path)).__name__
                fix = (
                    f"freqtrade would read it back from {env_name(path)} as a {read}, not as "
                    f"the {written} written here; correct the value (or write it as a {read})"
                )
            raise ConfigError(f"{where} (in {bot}'s config): {fix}")
    if restored != config:  # pragma: no cover - every secret path was checked above
        raise ConfigError(
            f"{bot}: its config does not survive the move of its secrets to the Secret; "
            "report this with the config's keys (not its values)"
        )
    return public, env


def secret_key(bot: str, variable: str) -> str:
    """A bot's variable's key in the one Secret."""
    return f"{bot}.{variable}"


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


def _meta(name: str, kube: KubernetesSpec, component: str, bot: str) -> dict[str, Any]:
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


def _pod_base(kube: KubernetesSpec, node_selector: dict[str, str] | None = None) -> dict[str, Any]:
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


def _env(bot: str, variables: dict[str, str], extra: dict[str, str]) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [{"name": name, "value": value} for name, value in extra.items()]
    for name in variables:
        env.append(
            {
                "name": name,
                "valueFrom": {"secretKeyRef": {"name": SECRET_NAME, "key": secret_key(bot, name)}},
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


def _init_containers(
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


def _bot_pod_spec(
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
        "env": _env(
            bot.name,
            pod.variables,
            {
                # Inside a pod the API must listen on the pod's address, not loopback.
                f"{ENV_PREFIX}API_SERVER__LISTEN_IP_ADDRESS": "0.0.0.0",
                "PYTHONDONTWRITEBYTECODE": "1",
            },
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
    spec = {**_pod_base(kube, node_selector), "terminationGracePeriodSeconds": 60}
    if affinity:
        spec["affinity"] = affinity
    spec.update(_init_containers(manifest, kube, pod.wait_for))
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


def _service(bot: str, port: int, kube: KubernetesSpec, component: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(bot, kube, component, bot),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(kube, bot),
            "ports": [{"name": "api", "port": port, "targetPort": "api", "protocol": "TCP"}],
        },
    }


def _config_map(
    name: str, kube: KubernetesSpec, component: str, bot: str, data: dict[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(name, kube, component, bot),
        "data": data,
    }


def _producer_affinity(kube: KubernetesSpec) -> dict[str, Any]:
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


def _claim(size: str, access_mode: str, kube: KubernetesSpec) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": [access_mode],
        "resources": {"requests": {"storage": size}},
    }
    if kube.storage_class:
        spec["storageClassName"] = kube.storage_class
    return spec


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
    template = _bot_pod_spec(
        pod, manifest, kube, strategies, _producer_affinity(kube), node_selector, None
    )
    stateful_set = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(bot.name, kube, "producer", bot.name),
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
                    "spec": _claim(kube.producer_volume, "ReadWriteOnce", kube),
                }
            ],
        },
    }
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(f"{bot.name}-api", kube, "producer", bot.name),
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
        _config_map(pod.config_map, kube, "producer", bot.name, {bot.config_files[0]: config_text}),
        _service(bot.name, bot.api_port, kube, "producer"),
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
        "metadata": _meta(CONSUMER_CLAIM, kube, "consumer", bot.name),
        "spec": _claim(kube.consumer_volume, kube.consumer_access_mode, kube),
    }
    template = _bot_pod_spec(
        pod,
        manifest,
        kube,
        strategies,
        None,
        dict(kube.node_selector),
        {"persistentVolumeClaim": {"claimName": CONSUMER_CLAIM}},
    )
    stateful_set = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(bot.name, kube, "consumer", bot.name),
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
        _config_map(pod.config_map, kube, "consumer", bot.name, {bot.config_files[0]: config_text}),
        _service(bot.name, bot.api_port, kube, "consumer"),
        claim,
        stateful_set,
    ]


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
    container: dict[str, Any] = {
        "name": FEED,
        "image": kube.image,
        "imagePullPolicy": kube.image_pull_policy,
        "workingDir": MOUNT,
        "command": ["freqfleet"],
        "args": entry.command_args(MOUNT),
        "env": _env(FEED, variables, {"PYTHONDONTWRITEBYTECODE": "1"}),
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
    pod_spec = {**_pod_base(kube), **_init_containers(manifest, kube, None)}
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
        "metadata": _meta(FEED, kube, FEED, FEED),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(kube, FEED),
            "ports": [{"name": "shares", "port": port, "targetPort": "shares", "protocol": "TCP"}],
        },
    }
    return [
        _config_map(f"{FEED}-config", kube, FEED, FEED, data),
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
        "metadata": _meta(name, kube, bot, bot),
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
        "env": _env(GATEWAY, {}, {"PYTHONDONTWRITEBYTECODE": "1"}),
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
        "metadata": _meta(name, kube, name, name),
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
    pod_spec = _pod_base(kube)
    pod_spec["containers"] = [_gateway_container(gateway, kube, limits)]
    # One budget: never two gateways, not even during an update.
    deployment = _single_deployment(GATEWAY, kube, pod_spec)
    components = ["producer", "consumer", FEED]
    return [
        _service(GATEWAY, gateway.port, kube, GATEWAY),
        _ingress_from(f"{GATEWAY}-api", GATEWAY, gateway.port, components, kube),
        deployment,
    ]


# --- strategies --------------------------------------------------------------------------

_CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}\Z")


def _file_keys(paths: list[str]) -> dict[str, str]:
    """A ConfigMap key per file (keys cannot hold '/': a package's files get '.' instead)."""
    keys: dict[str, str] = {}
    used: set[str] = set()
    for index, path in enumerate(paths):
        key = path.replace("/", ".")
        if not _CONFIGMAP_KEY.match(key) or key in used or key in (".", ".."):
            key = f"file-{index}"
        used.add(key)
        keys[path] = key
    return keys


def strategy_maps(
    files: dict[str, str | bytes], kube: KubernetesSpec
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The strategy files as ConfigMaps (split below 1 MiB each) and the pod volume that
    puts every file back at its path under ``user_data/strategies``."""
    keys = _file_keys(sorted(files))
    chunks: list[tuple[dict[str, str], dict[str, str], list[dict[str, str]]]] = []
    size = CONFIGMAP_BUDGET + 1
    for path in sorted(files):
        content = files[path]
        raw = content.encode("utf-8") if isinstance(content, str) else content
        key = keys[path]
        if len(raw) + len(key) > CONFIGMAP_BUDGET:
            raise ConfigError(
                f"strategy: {path} has {len(raw) // 1024} KiB, more than a Kubernetes "
                f"ConfigMap holds ({CONFIGMAP_BUDGET // 1024} KiB); keep large files out of "
                "the strategy's folder"
            )
        if size + len(raw) + len(key) > CONFIGMAP_BUDGET:
            chunks.append(({}, {}, []))
            size = 0
        data, binary, items = chunks[-1]
        try:
            data[key] = raw.decode("utf-8")
        except UnicodeDecodeError:
            binary[key] = base64.b64encode(raw).decode("ascii")
        items.append({"key": key, "path": path})
        size += len(raw) + len(key)
    if not chunks:
        chunks.append(({}, {}, []))
    maps: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    for number, (data, binary, items) in enumerate(chunks, start=1):
        name = "strategies" if number == 1 else f"strategies-{number}"
        config_map = _config_map(name, kube, "strategy", "all", data)
        if binary:
            config_map["binaryData"] = binary
        maps.append(config_map)
        sources.append({"configMap": {"name": name, "items": items}})
    return maps, {"projected": {"sources": sources}}


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
    lines += [
        f'echo "Forwarding {len(manifest.bots)} bots; run: freqfleet status $(pwd)"',
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


def _secret(kube: KubernetesSpec, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(SECRET_NAME, kube, "secrets", "all"),
        "type": "Opaque",
        "stringData": dict(sorted(data.items())),
    }


def kubernetes_files(
    out_dir: Path,
    spec: FleetSpec,
    kube: KubernetesSpec,
    manifest: FleetManifest,
    configs: dict[str, dict[str, Any]],
    all_secrets: dict[str, dict[str, str]],
    strategy_files: dict[str, str | bytes],
    info: StrategyInfo,
    user_config: dict[str, Any],
) -> dict[Path, tuple[str, int]]:
    """Every file of ``kubernetes/``, in memory (``configs``: the plan's, by file name)."""
    problems = kubernetes_problems(spec, kube)
    if problems:
        raise ConfigError(format_problems(problems))
    folder = Path(out_dir) / K8S_DIR
    cluster = cluster_configs(spec, kube, manifest, configs, all_secrets)
    strategy_docs, strategies_volume = strategy_maps(strategy_files, kube)
    strategies_text = HEADER + documents(*strategy_docs)
    secret_data: dict[str, str] = {}
    files: dict[Path, tuple[str, int]] = {}
    listed: list[str] = []
    dynamic = manifest.pairlist_feed is not None
    all_pairs = (
        _dynamic_pairs(user_config)
        if dynamic
        else len((user_config.get("exchange") or {}).get("pair_whitelist") or [])
    )
    per_producer = math.ceil(all_pairs / len(manifest.producers))

    for bot in manifest.bots:
        config_file = bot.config_files[0]
        public, variables = split_secrets(cluster[config_file], bot.name)
        config_text = dump_json(public)
        for name, value in variables.items():
            secret_data[secret_key(bot.name, name)] = value
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
            checksum=_checksum(config_text, strategies_text, *sorted(variables.values())),
            wait_for=wait_for,
        )
        build = producer_documents if bot.role == "producer" else consumer_documents
        docs = build(pod, manifest, kube, config_text, strategies_volume)
        files[folder / _yaml_name(bot)] = (HEADER + documents(*docs), SECRET_MODE)
        listed.append(_yaml_name(bot))

    if dynamic:
        assert manifest.pairlist_feed is not None
        feed_file = manifest.pairlist_feed.config_file
        public, variables = split_secrets(cluster[feed_file], FEED)
        for name, value in variables.items():
            secret_data[secret_key(FEED, name)] = value
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
            spec,
            kube,
            data,
            variables,
            resources(feed_resources(), kube, "pairlist_feed"),
            _checksum(*data.values(), *sorted(variables.values())),
        )
        files[folder / f"{FEED}.yaml"] = (HEADER + documents(*docs), SECRET_MODE)
        listed.insert(0, f"{FEED}.yaml")

    if manifest.gateway is not None:
        limits = resources(gateway_resources(), kube, "gateway")
        docs = gateway_documents(manifest.gateway, kube, limits)
        files[folder / f"{GATEWAY}.yaml"] = (HEADER + documents(*docs), PUBLIC_MODE)
        listed.insert(0, f"{GATEWAY}.yaml")
    files[folder / "namespace.yaml"] = (HEADER + documents(_namespace(kube)), PUBLIC_MODE)
    files[folder / "secret.yaml"] = (HEADER + documents(_secret(kube, secret_data)), SECRET_MODE)
    files[folder / "strategies.yaml"] = (strategies_text, PUBLIC_MODE)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["namespace.yaml", "secret.yaml", "strategies.yaml", *listed],
    }
    files[folder / "kustomization.yaml"] = (
        HEADER
        + "# Apply: kubectl apply --server-side -k .  (README: Running on Kubernetes)\n"
        + to_yaml(kustomization)
        + "\n",
        PUBLIC_MODE,
    )
    files[folder / "port-forward.sh"] = (port_forward_script(manifest, kube), 0o755)
    return files


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
    "K8S_DIR",
    "SECRET_NAME",
    "cluster_configs",
    "exported_before",
    "freqtrade_view",
    "kubernetes_files",
    "quantity",
    "service_host",
    "split_secrets",
    "stale_files",
]
