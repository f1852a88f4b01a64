"""The dashboard in the Kubernetes export: a sidecar of the consumer that reads the
consumer's data read-only, sees every bot at its Service, and offers ``/metrics`` to an
annotation-driven Prometheus; its logins only in the consumer's Secret."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from freqfleet.fleet.kube_addresses import service_host
from freqfleet.fleet.kube_dashboard import MANIFEST_KEY, dashboard_port
from freqfleet.fleet.kube_pods import CONSUMER_SECRET_NAME, CONTAINER, MOUNT
from freqfleet.fleet.kubernetes import K8S_DIR
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.manifest import FleetManifest
from tests.kit.kube_export import GATEWAY_FLEET, VOLUME, cluster_config, export, plan, pod_spec
from tests.kit.kube_pods import all_documents, container_named, find, secrets_by_name, workload


def test_the_dashboard_runs_beside_the_consumer_with_its_data_read_only(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    manifest = plan(cluster_config(fleet=GATEWAY_FLEET), user_dir, out)
    manifests = export(out)
    spec = pod_spec(manifests, "consumer")
    assert [c["name"] for c in spec["containers"]] == [CONTAINER, "dashboard"]
    bot, dashboard = container_named(spec), container_named(spec, "dashboard")
    port = dashboard_port(manifest)
    assert port not in {b.api_port for b in manifest.bots} | {18490}
    assert dashboard["image"] == bot["image"]
    assert [*dashboard["command"], *dashboard["args"]] == [
        "freqfleet",
        "dashboard",
        MOUNT,
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
        "--metrics-open",
    ]
    assert dashboard["ports"] == [{"name": "dashboard", "containerPort": port, "protocol": "TCP"}]
    assert dashboard["securityContext"]["allowPrivilegeEscalation"] is False
    # Every mount read-only: the consumer's volume (its report) and the manifest.
    mounts = {m["mountPath"]: m for m in dashboard["volumeMounts"]}
    assert all(m.get("readOnly") is True for m in mounts.values())
    data = mounts[f"{MOUNT}/{manifest.userdir}"]
    assert data["name"] == "user-data"
    assert any(m["name"] == "user-data" and not m.get("readOnly") for m in bot["volumeMounts"])
    volumes = {v["name"]: v for v in spec["volumes"]}
    plan_file = mounts[f"{MOUNT}/fleet-manifest.json"]
    secret = volumes[plan_file["name"]]["secret"]
    assert secret == {
        "secretName": CONSUMER_SECRET_NAME,
        "defaultMode": 0o400,
        "items": [{"key": MANIFEST_KEY, "path": "fleet-manifest.json"}],
    }
    # Prometheus finds it by the pod's annotations; the Service reaches it in the cluster.
    annotations = workload(manifests, "consumer")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"
    service = find(manifests, "Service", "consumer")["spec"]["ports"]
    assert {"name": "dashboard", "port": port, "targetPort": "dashboard", "protocol": "TCP"} in (
        service
    )
    # port-forward.sh puts it at the same port on the user's machine.
    script = (out / K8S_DIR / "port-forward.sh").read_text()
    assert f"forward consumer {port} &" in script


def test_the_dashboards_manifest_sees_the_cluster(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(cluster_config(fleet=GATEWAY_FLEET), user_dir, out)
    kube = KubernetesSpec()
    text = secrets_by_name(export(out))[CONSUMER_SECRET_NAME][MANIFEST_KEY]
    seen = FleetManifest.model_validate_json(text)
    for planned, bot in zip(manifest.bots, seen.bots, strict=True):
        host = "127.0.0.1" if bot.role == "consumer" else service_host(bot.name, kube)
        assert bot.api_url == f"http://{host}:{planned.api_port}"
        assert (bot.username, bot.password) == (planned.username, planned.password)
    assert seen.gateway is not None
    assert seen.gateway.url == f"http://{service_host('gateway', kube)}:{seen.gateway.port}"
    assert seen.userdir == manifest.userdir


def test_no_login_outside_the_consumers_secret(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(cluster_config(pairlists=VOLUME), user_dir, out)
    passwords = [bot.password for bot in manifest.bots]
    assert all(len(password) >= 16 for password in passwords)
    forms = {
        form
        for value in passwords
        for form in (value, base64.b64encode(value.encode()).decode(), json.dumps(value)[1:-1])
    }
    folder = out / K8S_DIR
    assert all(p in (folder / "consumer-secret.yaml").read_text() for p in passwords)
    assert (folder / "consumer-secret.yaml").stat().st_mode & 0o777 == 0o600
    for path in sorted(folder.iterdir()):
        if path.name in ("secret.yaml", "consumer-secret.yaml"):
            continue
        content = path.read_text(encoding="utf-8")
        assert not any(form in content for form in forms), f"a login in {path.name}"
    for doc in all_documents(export(out)):
        if doc["kind"] == "ConfigMap":
            text = json.dumps(doc)
            assert not any(form in text for form in forms), doc["metadata"]["name"]
