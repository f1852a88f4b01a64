"""The strategy files of a plan as ConfigMaps of the Kubernetes export, and the volume
that lays them out at their paths in every bot's pod (split over several ConfigMaps when
they do not fit in one).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from freqfleet.errors import ConfigError
from freqfleet.fleet.kube_pods import config_map_doc
from freqfleet.fleet.kubespec import KubernetesSpec

CONFIGMAP_BUDGET = 900 * 1024
"""Bytes of files per ConfigMap (Kubernetes refuses one above 1 MiB)."""

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
        config_map = config_map_doc(name, kube, "strategy", "all", data)
        if binary:
            config_map["binaryData"] = binary
        maps.append(config_map)
        sources.append({"configMap": {"name": name, "items": items}})
    return maps, {"projected": {"sources": sources}}


__all__ = ["CONFIGMAP_BUDGET", "strategy_maps"]
