"""Read a plan's Kubernetes export and lay out a pod's files as the kubelet would.

A test runs a bot from the export without a cluster: its container's arguments and
environment (secret references resolved from the Secret manifest), its ConfigMap files at
their mount paths, an empty ``user_data`` (its volume) under a folder standing in for the
pod's working directory, and the cluster's DNS names rewritten to loopback.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from freqfleet.fleet.kube_pods import CONTAINER, MOUNT

LOOPBACK = "127.0.0.1"


def load_export(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Every manifest file's documents, by file name."""
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
        for path in sorted(folder.glob("*.yaml"))
    }


def all_documents(export: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [doc for docs in export.values() for doc in docs]


def find(export: dict[str, list[dict[str, Any]]], kind: str, name: str) -> dict[str, Any]:
    found = [
        doc
        for doc in all_documents(export)
        if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def secrets_by_name(export: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, str]]:
    """Each Secret's data, by the Secret's name (the fleet's and the consumer's)."""
    secrets = [doc for doc in all_documents(export) if doc["kind"] == "Secret"]
    by_name = {doc["metadata"]["name"]: dict(doc["stringData"]) for doc in secrets}
    assert len(by_name) == len(secrets)
    return by_name


def secret_data(export: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Every Secret's data in one mapping (each key names its bot: ``<bot>.<VARIABLE>``)."""
    return {key: value for data in secrets_by_name(export).values() for key, value in data.items()}


def config_map_files(doc: dict[str, Any]) -> dict[str, bytes]:
    files = {key: value.encode("utf-8") for key, value in (doc.get("data") or {}).items()}
    files.update(
        {key: base64.b64decode(value) for key, value in (doc.get("binaryData") or {}).items()}
    )
    return files


@dataclass
class Pod:
    """A bot's pod as files on disk and a command line."""

    root: Path  # stands in for the container's working directory (MOUNT)
    args: list[str]
    env: dict[str, str]
    command: list[str] | None


def workload(export: dict[str, list[dict[str, Any]]], name: str) -> dict[str, Any]:
    found = [
        doc
        for doc in all_documents(export)
        if doc["kind"] in ("StatefulSet", "Deployment") and doc["metadata"]["name"] == name
    ]
    assert len(found) == 1, name
    return found[0]


def container_named(spec: dict[str, Any], name: str = CONTAINER) -> dict[str, Any]:
    """A pod spec's container ``name`` (the bot's own by default; the consumer's pod also
    runs the dashboard), or its only container."""
    containers = spec["containers"]
    if len(containers) == 1:
        return dict(containers[0])
    (container,) = [c for c in containers if c["name"] == name]
    return dict(container)


def _local(path: str, root: Path) -> Path:
    assert path.startswith(MOUNT + "/"), path
    return root / path.removeprefix(MOUNT + "/")


def lay_out_pod(
    export: dict[str, list[dict[str, Any]]],
    name: str,
    root: Path,
    addresses: dict[str, str],
    container_name: str = CONTAINER,
) -> Pod:
    """Write the files of workload ``name``'s pod under ``root``; ``addresses`` maps text in
    its configs and secrets (cluster DNS names, 0.0.0.0) to what the test uses instead."""
    spec = workload(export, name)["spec"]["template"]["spec"]
    container = container_named(spec, container_name)
    assert container["workingDir"] == MOUNT
    secrets = secrets_by_name(export)

    def rewrite(text: str) -> str:
        for old, new in addresses.items():
            text = text.replace(old, new)
        return text

    env: dict[str, str] = {}
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = rewrite(entry["value"])
        else:
            reference = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = rewrite(secrets[reference["name"]][reference["key"]])
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    root.mkdir(parents=True, exist_ok=True)
    for mount in container["volumeMounts"]:
        target = _local(mount["mountPath"], root)
        volume = volumes.get(mount["name"])
        if volume is None or "emptyDir" in volume or "persistentVolumeClaim" in volume:
            target.mkdir(parents=True, exist_ok=True)  # an empty volume
        elif "configMap" in volume:
            files = config_map_files(find(export, "ConfigMap", volume["configMap"]["name"]))
            if "subPath" in mount:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(rewrite(files[mount["subPath"]].decode("utf-8")))
            else:
                for key, content in files.items():
                    (target / key).parent.mkdir(parents=True, exist_ok=True)
                    (target / key).write_bytes(content)
        elif "secret" in volume:
            data = secrets[volume["secret"]["secretName"]]
            items = {item["path"]: item["key"] for item in volume["secret"]["items"]}
            assert "subPath" in mount
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rewrite(data[items[mount["subPath"]]]))
            target.chmod(volume["secret"]["defaultMode"])
        else:
            for source in volume["projected"]["sources"]:
                files = config_map_files(find(export, "ConfigMap", source["configMap"]["name"]))
                for item in source["configMap"]["items"]:
                    path = target / item["path"]
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(files[item["key"]])
    return Pod(
        root=root, args=list(container.get("args", [])), env=env, command=container.get("command")
    )


__all__ = [
    "LOOPBACK",
    "Pod",
    "all_documents",
    "config_map_files",
    "container_named",
    "find",
    "lay_out_pod",
    "load_export",
    "secret_data",
    "workload",
]
