"""The Kubernetes export (``plan ... --kubernetes`` or ``fleet.kubernetes``), offline.

Every manifest validates against the Kubernetes API schemas that ``kubernetes-validate``
ships; the bot configs in the ConfigMaps are the plan's configs (through freqtrade's own
reading of the file and the Secret's variables) apart from the cluster addresses; no
secret is written anywhere but the Secret; the consumer cannot run twice.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from freqfleet.cli import main
from freqfleet.files import dump_json
from freqfleet.fleet.kube_addresses import service_host
from freqfleet.fleet.kube_secrets import freqtrade_view
from freqfleet.fleet.kubernetes import K8S_DIR
from freqfleet.fleet.kubespec import KubernetesSpec
from tests.kit.kube_export import (
    GATEWAY_FLEET,
    SCHEMA_VERSION,
    VOLUME,
    cluster_config,
    container_env,
    export,
    plan,
    validate_all,
    with_credentials,
)
from tests.kit.kube_pods import (
    all_documents,
    config_map_files,
    find,
    secret_data,
    workload,
)
from tests.kit.user_config import user_config, write_config

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


# --- placement, network, probes, resources ---------------------------------------------------


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
