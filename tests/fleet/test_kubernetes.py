"""The Kubernetes export (``plan ... --kubernetes`` or ``fleet.kubernetes``), offline.

Every manifest validates against the Kubernetes API schemas that ``kubernetes-validate``
ships; the bot configs in the ConfigMaps are the plan's configs (through freqtrade's own
reading of the file and the Secret's variables) apart from the cluster addresses; no
secret is written anywhere but the Secret; the consumer cannot run twice.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
import threading
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from freqfleet.cli import main
from freqfleet.errors import ConfigError
from freqfleet.files import dump_json
from freqfleet.fleet import kubernetes as k8s
from freqfleet.fleet.kubernetes import (
    K8S_DIR,
    freqtrade_view,
    quantity,
    service_host,
    split_secrets,
)
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.manifest import FleetManifest
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.secrets import SECRETS_NAME
from freqfleet.fleet.spec import validate_fleet_config
from tests.kit.kube_pods import (
    LOOPBACK,
    all_documents,
    config_map_files,
    find,
    lay_out_pod,
    load_export,
    secret_data,
    secrets_by_name,
    workload,
)
from tests.kit.user_config import user_config, write_config

SCHEMA_VERSION = kubernetes_validate.latest_version()
EXCHANGE_KEY = "exchange-key-0123456789abcdef"
EXCHANGE_SECRET = "exchange-secret-0123456789abcdef"
TELEGRAM_TOKEN = "123456789:AAH-telegram-token-abcdef"
VOLUME = [{"method": "VolumePairList", "number_assets": 12, "sort_key": "quoteVolume"}]
UPSTREAM = "https://api.binance.com"
GATEWAY_FLEET = {
    "producers": 3,
    "gateway": {"listen_port": 18490, "share": 0.25, "live_ttl": 3, "upstream": UPSTREAM},
}


def with_credentials(config: dict[str, Any]) -> dict[str, Any]:
    """Real-looking credentials (they must reach the Secret only; freqtrade would read the
    fixture's telegram token "t" from an environment variable as true)."""
    config["exchange"]["key"] = EXCHANGE_KEY
    config["exchange"]["secret"] = EXCHANGE_SECRET
    config["telegram"]["token"] = TELEGRAM_TOKEN
    return config


def cluster_config(kubernetes: Any = None, **changes: Any) -> dict[str, Any]:
    """A user's config with credentials and a fleet.kubernetes section."""
    config = with_credentials(user_config(**changes))
    config["fleet"] = {**config["fleet"], "kubernetes": kubernetes or {}}
    return config


def plan(config: dict[str, Any], user_dir: Path, out: Path, **options: Any) -> FleetManifest:
    return write_plan(config, validate_fleet_config(config), out, config_dir=user_dir, **options)


def export(out: Path) -> dict[str, list[dict[str, Any]]]:
    return load_export(out / K8S_DIR)


def validate_all(folder: Path) -> int:
    """Validate every document of every manifest; returns how many were checked."""
    checked = 0
    for name, docs in load_export(folder).items():
        for doc in docs:
            if doc["kind"] == "Kustomization":
                continue
            try:
                kubernetes_validate.validate(doc, SCHEMA_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{name}: {doc['kind']} {doc['metadata']['name']}: {error}")
            checked += 1
    return checked


# --- every manifest is a valid Kubernetes object ------------------------------------------


@pytest.mark.parametrize(
    "kubernetes, changes",
    [
        ({}, {}),
        (
            {
                "namespace": "bots-eu",
                "image": "registry.example.com/team/freqfleet:0.1.0",
                "image_pull_policy": "Always",
                "image_pull_secrets": ["registry-login"],
                "spread": "required",
                "nodes": 3,
                "node_selector": {"example.com/pool": "bots"},
                "placement": {"producer-2": "worker-2"},
                "storage_class": "fast-ssd",
                "consumer_access_mode": "ReadWriteOnce",
                "resources": {"producer": {"requests": {"cpu": 2}, "limits": {"memory": "4Gi"}}},
            },
            {},
        ),
        ({}, {"pairlists": VOLUME}),
        (
            {"resources": {"gateway": {"limits": {"memory": "2Gi"}}}},
            {"fleet": GATEWAY_FLEET, "pairlists": VOLUME},
        ),
    ],
    ids=["defaults", "every-option", "dynamic-pairlist", "gateway"],
)
def test_every_manifest_validates(
    user_dir: Path, tmp_path: Path, kubernetes: dict[str, Any], changes: dict[str, Any]
) -> None:
    out = tmp_path / "plan"
    plan(cluster_config(kubernetes, **changes), user_dir, out)
    checked = validate_all(out / K8S_DIR)
    assert checked >= 19  # namespace, secret, strategies, 4 per producer, 4 for the consumer


def test_the_validator_rejects_what_kubernetes_rejects(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(cluster_config(), user_dir, out)
    stateful_set = workload(export(out), "consumer")
    stateful_set["spec"]["replicaCount"] = 1  # a misspelt field
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(stateful_set, SCHEMA_VERSION, strict=True)


def test_kustomization_lists_every_manifest_in_one_namespace(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    plan(cluster_config({"namespace": "fleet-a"}, pairlists=VOLUME), user_dir, out)
    manifests = export(out)
    (kustomization,) = manifests.pop("kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == sorted(manifests)
    assert kustomization["resources"][:3] == ["namespace.yaml", "secret.yaml", "strategies.yaml"]
    for doc in all_documents(manifests):
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == "fleet-a"
        else:
            assert doc["metadata"]["namespace"] == "fleet-a"
    assert (out / K8S_DIR / "port-forward.sh").stat().st_mode & 0o111


# --- configs: the plan's, apart from addresses ----------------------------------------------


def container_env(manifests: dict[str, list[dict[str, Any]]], name: str) -> dict[str, str]:
    """The FREQTRADE__ variables a workload's container gets (secrets from its Secret)."""
    secrets = secrets_by_name(manifests)
    (container,) = workload(manifests, name)["spec"]["template"]["spec"]["containers"]
    env = {}
    for entry in container["env"]:
        if entry["name"].startswith("FREQTRADE__"):
            if "value" in entry:
                env[entry["name"]] = entry["value"]
            else:
                reference = entry["valueFrom"]["secretKeyRef"]
                env[entry["name"]] = secrets[reference["name"]][reference["key"]]
    return env


def back_to_plan_addresses(text: str, kube: KubernetesSpec, names: list[str]) -> str:
    """The cluster's addresses in a config text replaced by the plan's (all on loopback)."""
    for name in names:
        text = text.replace(f"http://{service_host(name, kube)}:", "http://127.0.0.1:")
        text = text.replace(f'"{service_host(name, kube)}"', '"127.0.0.1"')
    feed = f"http://{service_host('pairlist-feed', kube)}:8000/"
    return text.replace(feed, "file:///pairlists/")


@pytest.mark.parametrize(
    "changes",
    [{}, {"pairlists": VOLUME}, {"fleet": GATEWAY_FLEET, "pairlists": VOLUME}],
    ids=["static", "dynamic", "gateway"],
)
def test_configmap_configs_are_the_plans_configs(
    user_dir: Path, tmp_path: Path, changes: dict[str, Any]
) -> None:
    out = tmp_path / "plan"
    manifest = plan(cluster_config(**changes), user_dir, out)
    manifests = export(out)
    kube = KubernetesSpec()
    names = [bot.name for bot in manifest.bots] + ["gateway"]
    files = [(bot.name, bot.config_files[0], f"{bot.name}-config") for bot in manifest.bots]
    if manifest.pairlist_feed is not None:
        files.append(("pairlist-feed", manifest.pairlist_feed.config_file, "pairlist-feed-config"))
    for bot, config_file, config_map in files:
        planned = (out / config_file).read_text(encoding="utf-8")
        text = config_map_files(find(manifests, "ConfigMap", config_map))[config_file].decode()
        env = container_env(manifests, bot)
        env.pop("FREQTRADE__API_SERVER__LISTEN_IP_ADDRESS", None)  # the pod's, not the config's
        # What freqtrade reads from the file and the variables is the plan's config, byte for
        # byte once written, apart from the addresses.
        seen = dump_json(freqtrade_view(json.loads(text), env))
        assert back_to_plan_addresses(seen, kube, names) == planned, bot
        # The file itself differs from the plan's only where a secret or an address is.
        changed = [
            line
            for line in difflib.ndiff(planned.splitlines(), text.splitlines())
            if line.startswith("+ ")
        ]
        # (The feed holds no secret: only a gateway's address changes it.)
        assert changed or bot == "pairlist-feed", bot
        for line in changed:
            assert "<secret from FREQTRADE__" in line or ".svc" in line, line


def test_secret_move_keeps_ccxt_key_case_and_refuses_what_freqtrade_would_misread() -> None:
    config = {
        "exchange": {"name": "binance", "ccxt_config": {"apiKey": "k" * 20}, "uid": 12345},
        "api_server": {"password": "12345678"},  # freqtrade keeps passwords as text
    }
    public, env = split_secrets(config, "consumer")
    assert freqtrade_view(public, env) == config
    assert "k" * 20 not in json.dumps(public)
    with pytest.raises(
        ConfigError, match=r"^exchange\.apiKey \(in consumer's config\): .*lowercase"
    ):
        split_secrets({"exchange": {"apiKey": "k" * 20}}, "consumer")
    with pytest.raises(ConfigError, match=r"^exchange\.uid .* as a int, not as the str"):
        split_secrets({"exchange": {"uid": "12345"}}, "consumer")
    # A database URL with credentials is a secret; SQLite files are not.
    public, env = split_secrets({"db_url": "postgresql://u:pw@db/fleet"}, "consumer")
    assert env == {"FREQTRADE__DB_URL": "postgresql://u:pw@db/fleet"}
    assert split_secrets({"db_url": "sqlite:///x.sqlite"}, "consumer")[1] == {}


# --- secrets only in the Secret -------------------------------------------------------------


@pytest.mark.parametrize("fleet", [None, GATEWAY_FLEET], ids=["plain", "gateway"])
def test_no_secret_value_outside_the_secret_manifest(
    user_dir: Path, tmp_path: Path, fleet: dict[str, Any] | None
) -> None:
    out = tmp_path / "plan"
    plan(cluster_config(fleet=fleet, pairlists=VOLUME), user_dir, out)
    planned = json.loads((out / SECRETS_NAME).read_text())
    values = [value for bot in planned.values() for value in bot.values()]
    values += [EXCHANGE_KEY, EXCHANGE_SECRET, TELEGRAM_TOKEN]
    forms = {
        form
        for value in values
        for form in (value, base64.b64encode(value.encode()).decode(), json.dumps(value)[1:-1])
    }
    folder = out / K8S_DIR
    secret_files = ("secret.yaml", "consumer-secret.yaml")
    secret_text = "".join((folder / name).read_text() for name in secret_files)
    for value in values:
        assert value in secret_text
    # The user's credentials are the consumer's alone.
    for value in (EXCHANGE_KEY, EXCHANGE_SECRET, TELEGRAM_TOKEN):
        assert value not in (folder / "secret.yaml").read_text()
    checked = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in secret_files:
            content = path.read_bytes().decode("utf-8")
            for form in forms:
                assert form not in content, f"a secret in {path.name}"
            checked += 1
    assert checked == len(list(folder.iterdir())) - 2
    for name in secret_files:
        assert (folder / name).stat().st_mode & 0o777 == 0o600
    # Labels and annotations hold names and a digest, never a value.
    for doc in all_documents(export(out)):
        metadata = [doc.get("metadata", {})]
        template = doc.get("spec", {}).get("template")
        if template:
            metadata.append(template["metadata"])
        for meta in metadata:
            for value in [*meta.get("labels", {}).values(), *meta.get("annotations", {}).values()]:
                assert all(secret not in value for secret in values)


# --- one consumer, never two ---------------------------------------------------------------


@pytest.mark.parametrize("access_mode", ["ReadWriteOncePod", "ReadWriteOnce"])
def test_the_consumer_cannot_be_scaled_above_one(
    user_dir: Path, tmp_path: Path, access_mode: str
) -> None:
    out = tmp_path / "plan"
    plan(cluster_config({"consumer_access_mode": access_mode}), user_dir, out)
    manifests = export(out)
    manifests.pop("kustomization.yaml")
    kinds = {doc["kind"] for doc in all_documents(manifests)}
    # Nothing in the export scales anything.
    assert kinds <= {
        "Namespace",
        "Secret",
        "ConfigMap",
        "Service",
        "NetworkPolicy",
        "StatefulSet",
        "PersistentVolumeClaim",
        "Deployment",
    }
    consumer = workload(manifests, "consumer")
    assert consumer["kind"] == "StatefulSet"  # a Deployment would surge a second pod
    spec = consumer["spec"]
    assert spec["replicas"] == 1
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate"}  # no partition, no surge
    assert "volumeClaimTemplates" not in spec  # a second replica gets no database of its own
    volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
    claim_name = volumes["user-data"]["persistentVolumeClaim"]["claimName"]
    claim = find(manifests, "PersistentVolumeClaim", claim_name)
    assert claim["spec"]["accessModes"] == [access_mode]
    # No other workload selects the consumer's pods.
    consumer_labels = spec["template"]["metadata"]["labels"]
    for doc in all_documents(manifests):
        if doc["kind"] in ("StatefulSet", "Deployment") and doc is not consumer:
            selector = doc["spec"]["selector"]["matchLabels"]
            assert not all(consumer_labels.get(k) == v for k, v in selector.items())


# --- placement, network, probes, resources ---------------------------------------------------


def pod_spec(manifests: dict[str, list[dict[str, Any]]], name: str) -> dict[str, Any]:
    return workload(manifests, name)["spec"]["template"]["spec"]


def test_producers_spread_over_nodes(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "soft"
    plan(cluster_config(), user_dir, out)
    anti = pod_spec(export(out), "producer-1")["affinity"]["podAntiAffinity"]
    (preferred,) = anti["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert preferred["podAffinityTerm"]["labelSelector"]["matchLabels"] == {
        "app.kubernetes.io/instance": "freqfleet",
        "app.kubernetes.io/component": "producer",
    }
    for name in ("producer-1", "producer-2", "producer-3"):  # every producer matches it
        labels = workload(export(out), name)["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/component"] == "producer"
    assert "affinity" not in pod_spec(export(out), "consumer")

    out = tmp_path / "hard"
    kubernetes = {
        "spread": "required",
        "node_selector": {"pool": "bots"},
        "placement": {"producer-3": "worker-7"},
    }
    plan(cluster_config(kubernetes), user_dir, out)
    manifests = export(out)
    anti = pod_spec(manifests, "producer-1")["affinity"]["podAntiAffinity"]
    assert list(anti) == ["requiredDuringSchedulingIgnoredDuringExecution"]
    assert pod_spec(manifests, "producer-3")["nodeSelector"] == {
        "pool": "bots",
        "kubernetes.io/hostname": "worker-7",
    }
    assert pod_spec(manifests, "producer-1")["nodeSelector"] == {"pool": "bots"}
    assert pod_spec(manifests, "consumer")["nodeSelector"] == {"pool": "bots"}


def test_only_the_consumer_reaches_a_producers_port(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(cluster_config(pairlists=VOLUME), user_dir, out)
    manifests = export(out)
    pods = {
        doc["metadata"]["name"]: doc["spec"]["template"]["metadata"]["labels"]
        for doc in all_documents(manifests)
        if doc["kind"] in ("StatefulSet", "Deployment")
    }

    def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
        return all(labels.get(key) == value for key, value in selector.items())

    for bot in manifest.producers:
        (policy,) = [
            doc
            for doc in all_documents(manifests)
            if doc["kind"] == "NetworkPolicy"
            and selects(doc["spec"]["podSelector"]["matchLabels"], pods[bot.name])
        ]
        assert policy["spec"]["policyTypes"] == ["Ingress"]
        (rule,) = policy["spec"]["ingress"]
        assert rule["ports"] == [{"protocol": "TCP", "port": bot.api_port}]
        (source,) = rule["from"]
        allowed = [
            name
            for name, labels in pods.items()
            if selects(source["podSelector"]["matchLabels"], labels)
        ]
        assert allowed == ["consumer"]


def test_services_give_each_bot_the_name_the_consumer_uses(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(cluster_config({"namespace": "ns1"}), user_dir, out)
    manifests = export(out)
    kube = KubernetesSpec(namespace="ns1")
    env = container_env(manifests, "consumer")
    producers = json.loads(env["FREQTRADE__EXTERNAL_MESSAGE_CONSUMER__PRODUCERS"])
    planned = json.loads((out / "consumer.json").read_text())["external_message_consumer"]
    assert [p["ws_token"] for p in producers] == [p["ws_token"] for p in planned["producers"]]
    for bot, entry in zip(manifest.producers, producers, strict=True):
        assert entry["host"] == service_host(bot.name, kube) == f"{bot.name}.ns1.svc"
        assert entry["port"] == bot.api_port
        service = find(manifests, "Service", bot.name)
        labels = workload(manifests, bot.name)["spec"]["template"]["metadata"]["labels"]
        assert all(labels[k] == v for k, v in service["spec"]["selector"].items())
        assert service["spec"]["ports"] == [
            {"name": "api", "port": bot.api_port, "targetPort": "api", "protocol": "TCP"}
        ]
        assert workload(manifests, bot.name)["spec"]["serviceName"] == bot.name
    text = config_map_files(find(manifests, "ConfigMap", "consumer-config"))["consumer.json"]
    api = json.loads(text)["fleet"]["producer_api"]
    assert api["producer-2"]["url"] == "http://producer-2.ns1.svc:8082"


def test_probes_ping_the_api_and_bots_listen_on_the_pod(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(cluster_config(), user_dir, out)
    manifests = export(out)
    for bot in manifest.bots:
        (container,) = pod_spec(manifests, bot.name)["containers"]
        assert container["ports"] == [
            {"name": "api", "containerPort": bot.api_port, "protocol": "TCP"}
        ]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/api/v1/ping", "port": "api"}
        assert {"name": "FREQTRADE__API_SERVER__LISTEN_IP_ADDRESS", "value": "0.0.0.0"} in (
            container["env"]
        )
        assert container["args"] == manifest.freqtrade_args(bot)
        assert container["image"] == "freqfleet:0.1.0"


def test_the_gateway_is_one_deployment_every_pod_reaches_by_its_service(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    kubernetes = {"namespace": "ns3", "resources": {"gateway": {"requests": {"cpu": "2"}}}}
    config = cluster_config(kubernetes, fleet=GATEWAY_FLEET, pairlists=VOLUME)
    manifest = plan(config, user_dir, out)
    gateway = manifest.gateway
    assert gateway is not None and gateway.url == "http://127.0.0.1:18490"
    manifests = export(out)
    (kustomization,) = manifests["kustomization.yaml"]
    assert "gateway.yaml" in kustomization["resources"]
    assert [doc["kind"] for doc in manifests["gateway.yaml"]] == [
        "Service",
        "NetworkPolicy",
        "Deployment",
    ]
    deployment = workload(manifests, "gateway")
    assert deployment["kind"] == "Deployment"
    assert deployment["spec"]["replicas"] == 1  # one request-weight budget
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # never two at once
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "gateway"
    (container,) = pod_spec(manifests, "gateway")["containers"]
    assert container["command"] == ["freqfleet"]
    expected = gateway.command_args()
    expected[expected.index("--host") + 1] = "0.0.0.0"  # the pod's address
    assert container["args"] == expected
    assert expected[expected.index("--share") + 1] == "0.25"
    assert expected[expected.index("--upstream") + 1] == UPSTREAM
    assert container["ports"] == [{"name": "api", "containerPort": 18490, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/gateway/stats", "port": "api"}
    assert container["resources"]["requests"]["cpu"] == "2"
    assert quantity(container["resources"]["limits"]["cpu"]) >= 2
    assert not any("valueFrom" in entry for entry in container["env"])  # it needs no secret
    service = find(manifests, "Service", "gateway")
    assert all(labels[k] == v for k, v in service["spec"]["selector"].items())
    assert service["spec"]["ports"][0]["port"] == 18490
    policy = find(manifests, "NetworkPolicy", "gateway-api")
    (rule,) = policy["spec"]["ingress"]
    (source,) = rule["from"]
    expressions = {e["key"]: e["values"] for e in source["podSelector"]["matchExpressions"]}
    assert expressions == {
        "app.kubernetes.io/instance": ["ns3"],
        "app.kubernetes.io/component": ["producer", "consumer", "pairlist-feed"],
    }

    url = f"http://{service_host('gateway', KubernetesSpec(namespace='ns3'))}:18490"
    assert url == "http://gateway.ns3.svc:18490"
    for name, config_file in [
        *((bot.name, bot.config_files[0]) for bot in manifest.bots),
        ("pairlist-feed", "pairlist-feed.json"),
    ]:
        text = config_map_files(find(manifests, "ConfigMap", f"{name}-config"))[config_file]
        cluster = freqtrade_view(json.loads(text), container_env(manifests, name))
        planned = json.loads((out / config_file).read_text())
        for section in ("ccxt_config", "ccxt_async_config"):
            api = cluster["exchange"][section]["urls"]["api"]
            assert api["public"] == f"{url}/api/v3", name
            planned_api = planned["exchange"][section]["urls"]["api"]
            assert planned_api["public"] == "http://127.0.0.1:18490/api/v3"
            assert {k: v for k, v in api.items() if k != "public"} == {
                k: v for k, v in planned_api.items() if k != "public"
            }, name
        # The consumer's key comes from its Secret, as planned; no other pod has one.
        assert cluster["exchange"].get("key") == (EXCHANGE_KEY if name == "consumer" else None)
        # Every pod waits for the gateway first.
        init = pod_spec(manifests, name)["initContainers"]
        assert init[0]["name"] == "wait-for-gateway"
        assert init[0]["command"][-1] == f"{url}/gateway/stats"
    script = (out / K8S_DIR / "port-forward.sh").read_text()
    assert "forward gateway 18490 &" in script  # `freqfleet status` reads its stats there


INFORMATIVE_STRATEGY = """
from freqtrade.strategy import informative
from my_strategy import MyStrategy


class MyInformed(MyStrategy):
    startup_candle_count = 2000

    @informative("1h")
    def populate_indicators_1h(self, dataframe, metadata):
        return dataframe

    @informative("4h")
    def populate_indicators_4h(self, dataframe, metadata):
        return dataframe
"""


def container_resources(out: Path, name: str) -> dict[str, dict[str, str]]:
    (container,) = pod_spec(export(out), name)["containers"]
    return container["resources"]


def test_resources_are_sized_from_the_strategy_and_overridable(
    user_dir: Path, tmp_path: Path
) -> None:
    (user_dir / "user_data" / "strategies" / "informed.py").write_text(INFORMATIVE_STRATEGY)
    small = tmp_path / "small"
    plan(cluster_config(fleet={"producers": 3}), user_dir, small)
    heavy = tmp_path / "heavy"
    config = cluster_config(fleet={"producers": 1}, strategy="MyInformed")
    config["exchange"]["pair_whitelist"] = [f"C{i}/USDT" for i in range(120)]
    plan(config, user_dir, heavy)

    light_producer = container_resources(small, "producer-1")
    heavy_producer = container_resources(heavy, "producer-1")
    for part in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            assert quantity(heavy_producer[part][resource]) > quantity(
                light_producer[part][resource]
            ), (part, resource)
            assert quantity(light_producer["requests"][resource]) <= quantity(
                light_producer["limits"][resource]
            )
    # 120 pairs with two informative timeframes: about 3 cores (60 pairs per core, +25 % per
    # informative timeframe) and 4 MiB per frame of 2000 candles.
    assert heavy_producer["requests"]["cpu"] == "3"
    assert quantity(heavy_producer["requests"]["memory"]) >= (400 + 120 * 3 * 4 * 2) * 2**20
    assert quantity(container_resources(heavy, "consumer")["requests"]["memory"]) > quantity(
        container_resources(small, "consumer")["requests"]["memory"]
    )

    override = tmp_path / "override"
    kubernetes = {
        "resources": {
            "producer": {"requests": {"memory": "6Gi"}},  # above the default limit: raises it
            "consumer": {"requests": {"cpu": "1500m"}, "limits": {"cpu": 2, "memory": "1Gi"}},
        }
    }
    plan(cluster_config(kubernetes), user_dir, override)
    producer = container_resources(override, "producer-1")
    assert producer["requests"]["memory"] == producer["limits"]["memory"] == "6Gi"
    assert container_resources(override, "consumer") == {
        "requests": {
            "cpu": "1500m",
            "memory": container_resources(small, "consumer")["requests"]["memory"],
        },
        "limits": {"cpu": "2", "memory": "1Gi"},
    }


# --- strategy files ------------------------------------------------------------------------


def test_strategy_files_reach_the_pod_at_their_paths(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    strategies = user_dir / "user_data" / "strategies"
    (strategies / "helpers").mkdir()
    (strategies / "helpers" / "__init__.py").write_text("X = 1\n")
    (strategies / "helpers" / "table.bin").write_bytes(bytes(range(256)))
    (strategies / "big.py").write_text("# " + "x" * 3000 + "\n")
    monkeypatch.setattr(k8s, "CONFIGMAP_BUDGET", 3500)  # big.py fits, but not beside the rest
    out = tmp_path / "plan"
    manifest = plan(cluster_config(), user_dir, out)
    manifests = export(out)
    maps = [d for d in all_documents(manifests) if d["kind"] == "ConfigMap"]
    assert len([d for d in maps if d["metadata"]["name"].startswith("strategies")]) > 1
    validate_all(out / K8S_DIR)
    root = tmp_path / "pod"
    lay_out_pod(manifests, "producer-1", root, {})
    planned = out / manifest.userdir / "strategies"
    in_pod = root / manifest.userdir / "strategies"
    expected = {
        str(p.relative_to(planned)): p.read_bytes() for p in planned.rglob("*") if p.is_file()
    }
    assert {
        str(p.relative_to(in_pod)): p.read_bytes() for p in in_pod.rglob("*") if p.is_file()
    } == expected
    assert "helpers/table.bin" in expected

    monkeypatch.setattr(k8s, "CONFIGMAP_BUDGET", 1000)
    with pytest.raises(
        ConfigError, match=r"^strategy: big\.py has 2 KiB, more than a Kubernetes ConfigMap"
    ):
        plan(cluster_config(), user_dir, tmp_path / "too-big")
    assert not (tmp_path / "too-big").exists()


# --- re-planning and errors ----------------------------------------------------------------


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_replanning_keeps_secrets_and_changes_only_what_the_config_changed(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    plan(cluster_config(), user_dir, out)
    first = tree(out / K8S_DIR)
    plan(cluster_config(), user_dir, out)
    assert tree(out / K8S_DIR) == first
    plan(cluster_config({"resources": {"consumer": {"limits": {"memory": "3Gi"}}}}), user_dir, out)
    changed = {name for name, content in tree(out / K8S_DIR).items() if first.get(name) != content}
    assert changed == {"consumer.yaml"}

    # A fourth producer: its manifest appears, the consumer learns it, the others keep theirs
    # (their pairs do not move between them: rendezvous hashing) and their secrets.
    config = cluster_config(fleet={"producers": 4})
    plan(config, user_dir, out)
    now = tree(out / K8S_DIR)
    assert "producer-4.yaml" in now
    secrets = secret_data(export(out))
    old_secrets = secret_data({"s": list(yaml.safe_load_all(first["secret.yaml"]))})
    for key, value in old_secrets.items():
        if key.startswith("producer-") and "PRODUCERS" not in key:
            assert secrets[key] == value

    # Back to two: the removed producers' manifests go, and the kustomization lists none.
    plan(cluster_config(fleet={"producers": 2}), user_dir, out)
    assert not (out / K8S_DIR / "producer-3.yaml").exists()
    assert not (out / K8S_DIR / "producer-4.yaml").exists()


def test_an_export_is_kept_current_without_the_flag(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    config = with_credentials(user_config())
    plan(config, user_dir, out)
    assert not (out / K8S_DIR).exists()
    plan(config, user_dir, out, kubernetes=True)
    assert (out / K8S_DIR / "kustomization.yaml").is_file()
    before = secret_data(export(out))
    plan(config, user_dir, out, rotate_secrets=True)  # no flag: the export follows the plan
    after = secret_data(export(out))
    assert set(after) == set(before) and all(
        after[k] != before[k] for k in after if "WS_TOKEN" in k
    )


@pytest.mark.parametrize(
    "fleet, options, message",
    [
        (
            {"producers": 2, "kubernetes": {"namespace": "My_Fleet"}},
            [],
            r"fleet\.kubernetes\.namespace: 'My_Fleet' is not a Kubernetes namespace name; use ",
        ),
        (
            {"producers": 2, "kubernetes": {"image": "Freqfleet:latest"}},
            [],
            r"fleet\.kubernetes\.image: 'Freqfleet:latest' is not an image name; use the image ",
        ),
        (
            {"producers": 3, "kubernetes": {"spread": "required", "nodes": 2}},
            [],
            r'fleet\.kubernetes\.spread: "required" puts each of the 3 producers on its own '
            r"node, but fleet\.kubernetes\.nodes is 2; add nodes",
        ),
        (
            {"producers": [{"name": "eu_1"}, {"name": "us"}]},
            ["--kubernetes"],
            r"fleet\.producers\[0\]\.name: 'eu_1' cannot name a Kubernetes Service",
        ),
        (
            {
                "producers": 2,
                "kubernetes": {
                    "resources": {
                        "consumer": {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}
                    }
                },
            },
            [],
            r"fleet\.kubernetes\.resources\.consumer\.requests\.memory: 2Gi is more than "
            r"limits\.memory 1Gi",
        ),
    ],
    ids=["namespace", "image", "required-spread", "producer-name", "request-above-limit"],
)
def test_bad_settings_are_one_line_exit_2_and_write_nothing(
    user_dir: Path,
    capsys: pytest.CaptureFixture[str],
    fleet: dict[str, Any],
    options: list[str],
    message: str,
) -> None:
    config = write_config(user_dir, with_credentials(user_config(fleet=fleet)))
    out = user_dir / "fleet"
    assert main(["plan", "-c", str(config), "-o", str(out), *options]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert re.search(message, err), err
    assert not out.exists()


def test_plan_command_names_the_apply_step(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(user_dir, with_credentials(user_config()))
    out = user_dir / "fleet"
    assert main(["plan", "-c", str(config), "-o", str(out), "--kubernetes"]) == 0
    printed = capsys.readouterr().out
    assert f"kubectl apply --server-side -k {out / K8S_DIR}" in printed
    assert "build freqfleet:0.1.0 from" in printed


# --- the pairlist feed on the cluster network -----------------------------------------------


@pytest.mark.timeout(180)
def test_producers_read_their_share_from_the_feed_over_the_cluster_network(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed runs from its pod's files (manifest without passwords, config, empty
    volumes) and serves the shares over HTTP; producers' and consumer's RemotePairList read
    them at the feed's cluster address (rewritten to loopback)."""
    from freqfleet.fleet.pairfeed import run_feed
    from freqfleet.sim.launcher import running_simulator
    from tests.kit.bots import whitelist_of
    from tests.kit.ports import free_port
    from tests.kit.waiting import reachable, wait_until

    with running_simulator(pairs=15, seed=3) as sim:
        config = cluster_config(pairlists=VOLUME)
        config["exchange"] = sim.exchange_config([])
        config.pop("telegram")
        out = tmp_path / "plan"
        manifest = plan(config, user_dir, out)
        manifests = export(out)
        port = free_port()
        kube = KubernetesSpec()
        addresses = {f"{service_host('pairlist-feed', kube)}:8000": f"{LOOPBACK}:{port}"}
        feed = lay_out_pod(manifests, "pairlist-feed", tmp_path / "feed", addresses)
        assert feed.command == ["freqfleet"]
        assert feed.args[:2] == ["pairlist-feed", "/fleet"]
        feed_manifest = FleetManifest.load(feed.root)
        assert all(bot.password == "" for bot in feed_manifest.bots)
        monkeypatch.chdir(feed.root)  # the container's working directory
        stop = threading.Event()
        runner = threading.Thread(
            target=run_feed,
            args=(feed.root,),
            kwargs={"stop": stop, "serve": (LOOPBACK, port)},
            daemon=True,
        )
        runner.start()
        try:
            assert wait_until(lambda: reachable(f"http://{LOOPBACK}:{port}/_fleet.json"), 60)
            summary = json.loads((feed.root / "pairlists" / "_fleet.json").read_text())
            for bot in manifest.bots:
                pod = lay_out_pod(manifests, bot.name, tmp_path / bot.name, addresses)
                (init,) = pod_spec(manifests, bot.name)["initContainers"]
                assert init["command"][-1].startswith(
                    f"http://{service_host('pairlist-feed', kube)}:8000/"
                )
                monkeypatch.chdir(pod.root)  # the container's working directory
                pairs = whitelist_of([bot.config_files[0]])
                expected = (
                    summary["shares"][bot.name] if bot.role == "producer" else summary["pairs"]
                )
                assert pairs == expected, bot.name
        finally:
            stop.set()
            runner.join(timeout=30)
    assert sorted(p for share in summary["shares"].values() for p in share) == sorted(
        summary["pairs"]
    )
    assert len(summary["pairs"]) == 12


# --- watching the cluster from here ---------------------------------------------------------

FAKE_KUBECTL = """#!/bin/sh
echo "$*" >> "$KUBECTL_LOG"
case "$*" in
    *port-forward*) exec sleep 60 ;;
    *exec*) echo '{"role": "consumer", "updated": "2026-11-25T02:40:00+00:00"}' ;;
esac
"""


@pytest.mark.timeout(60)
def test_port_forward_puts_every_bot_at_its_planned_address(user_dir: Path, tmp_path: Path) -> None:
    """port-forward.sh (with a stand-in kubectl) forwards each bot's Service to the port
    `freqfleet status` reads and copies the consumer's report into the plan folder."""
    import os
    import signal
    import subprocess
    import time

    out = tmp_path / "plan"
    manifest = plan(cluster_config({"namespace": "ns2"}), user_dir, out)
    script = out / K8S_DIR / "port-forward.sh"
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(FAKE_KUBECTL)
    (bin_dir / "kubectl").chmod(0o755)
    log = tmp_path / "kubectl.log"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "KUBECTL_LOG": str(log)}
    process = subprocess.Popen(
        ["sh", str(script)], env=env, stdout=subprocess.PIPE, start_new_session=True
    )
    state = out / "user_data" / "fleet-state.json"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (state.is_file() and log.is_file()):
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    calls = log.read_text().splitlines()
    for bot in manifest.bots:
        port = bot.api_port
        assert f"-n ns2 port-forward service/{bot.name} 127.0.0.1:{port}:{port}" in calls
        assert bot.api_url == f"http://127.0.0.1:{port}"  # where `freqfleet status` looks
    assert "-n ns2 exec consumer-0 -c freqtrade -- cat user_data/fleet-state.json" in calls
    assert json.loads(state.read_text())["role"] == "consumer"
    # Ctrl-C stopped the forwards too (exited children not yet reaped show as zombies).
    time.sleep(0.5)
    listed = subprocess.run(
        ["ps", "-o", "stat=,args=", "-s", str(process.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    assert [line for line in listed if not line.strip().startswith("Z")] == []
