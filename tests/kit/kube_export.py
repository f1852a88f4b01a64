"""The Kubernetes export's test helpers: a user's config with credentials, planning, loading
and validating the export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from freqfleet.fleet.kubernetes import K8S_DIR
from freqfleet.fleet.manifest import FleetManifest
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from tests.kit.kube_pods import container_named, load_export, secrets_by_name, workload
from tests.kit.user_config import user_config

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
    """Write the plan of ``config`` into ``out``."""
    return write_plan(config, validate_fleet_config(config), out, config_dir=user_dir, **options)


def export(out: Path) -> dict[str, list[dict[str, Any]]]:
    """The plan's Kubernetes export, file name -> documents."""
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


def container_env(manifests: dict[str, list[dict[str, Any]]], name: str) -> dict[str, str]:
    """The FREQTRADE__ variables a workload's container gets (secrets from its Secret)."""
    secrets = secrets_by_name(manifests)
    container = container_named(workload(manifests, name)["spec"]["template"]["spec"])
    env = {}
    for entry in container["env"]:
        if entry["name"].startswith("FREQTRADE__"):
            if "value" in entry:
                env[entry["name"]] = entry["value"]
            else:
                reference = entry["valueFrom"]["secretKeyRef"]
                env[entry["name"]] = secrets[reference["name"]][reference["key"]]
    return env


def pod_spec(manifests: dict[str, list[dict[str, Any]]], name: str) -> dict[str, Any]:
    """A workload's pod spec."""
    return workload(manifests, name)["spec"]["template"]["spec"]
