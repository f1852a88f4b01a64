"""``fleet.kubernetes``: the settings of the cluster export ``plan`` writes to ``kubernetes/``.

Why its own models: names, images and quantities must be what Kubernetes accepts, so each
is checked against the API server's own patterns when the config is validated, not when
``kubectl apply`` refuses the export.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from freqfleet import __version__
from freqfleet.problems import fix as _fix
from freqfleet.problems import settings_config

K8S_LABEL_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
"""A namespace (DNS-1123 label, at most 63 characters)."""
K8S_SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
"""A Service (DNS-1035 label: a letter first)."""
_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
K8S_SUBDOMAIN = re.compile(rf"^{_SUBDOMAIN}\Z")
"""A node or storage class name (DNS-1123 subdomain, at most 253 characters)."""
_LABEL_PART = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
K8S_LABEL_KEY = re.compile(rf"^({_SUBDOMAIN}/)?{_LABEL_PART}\Z")
K8S_LABEL_VALUE = re.compile(rf"^({_LABEL_PART})?\Z")
QUANTITY = re.compile(r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?\Z")
_IMAGE_COMPONENT = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*"
_HOST_PART = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
# A registry is named only by a first part with a dot or a port, localhost or an IPv6
# address; any other first part is a (lowercase) path component.
_IMAGE_DOMAIN = (
    rf"(({_HOST_PART}(\.{_HOST_PART})+|localhost|\[[0-9A-Fa-f:]+\])(:[0-9]+)?"
    rf"|{_HOST_PART}:[0-9]+)"
)
IMAGE_REFERENCE = re.compile(
    rf"^({_IMAGE_DOMAIN}/)?{_IMAGE_COMPONENT}(/{_IMAGE_COMPONENT})*"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?\Z"
)
DEFAULT_IMAGE = f"freqfleet:{__version__}"
QUANTITY_FIX = {
    "cpu": 'use a Kubernetes CPU quantity, e.g. "500m" or "2" (cores)',
    "memory": 'use a Kubernetes memory quantity, e.g. "512Mi" or "2Gi"',
}


def _number_as_text(value: Any) -> Any:
    """2 and 0.5 are accepted as "2" and "0.5" (Kubernetes writes quantities as text)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _check_quantity(value: str | None) -> str | None:
    if value is not None and not QUANTITY.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity")
    return value


class ResourceAmounts(BaseModel):
    """CPU and memory of one container (either may be left to the default)."""

    model_config = settings_config()

    cpu: str | None = Field(None, json_schema_extra=_fix(QUANTITY_FIX["cpu"]))
    memory: str | None = Field(None, json_schema_extra=_fix(QUANTITY_FIX["memory"]))

    @field_validator("cpu", "memory", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return _number_as_text(value)

    @field_validator("cpu", "memory")
    @classmethod
    def _quantity(cls, value: str | None) -> str | None:
        return _check_quantity(value)


class BotResources(BaseModel):
    """Requests and limits of one kind of bot; what is left out keeps its default."""

    model_config = settings_config()

    requests: ResourceAmounts = Field(
        default_factory=ResourceAmounts,
        json_schema_extra=_fix('use an object like {"cpu": "500m", "memory": "1Gi"}'),
    )
    limits: ResourceAmounts = Field(
        default_factory=ResourceAmounts,
        json_schema_extra=_fix('use an object like {"cpu": "2", "memory": "2Gi"}'),
    )


class FleetResources(BaseModel):
    """Resource overrides per kind of bot (defaults are sized from the strategy)."""

    model_config = settings_config()

    producer: BotResources = Field(
        default_factory=BotResources,
        json_schema_extra=_fix('use {"requests": {...}, "limits": {...}} for every producer'),
    )
    consumer: BotResources = Field(
        default_factory=BotResources,
        json_schema_extra=_fix('use {"requests": {...}, "limits": {...}} for the consumer'),
    )
    pairlist_feed: BotResources = Field(
        default_factory=BotResources,
        json_schema_extra=_fix('use {"requests": {...}, "limits": {...}} for the pairlist feed'),
    )
    gateway: BotResources = Field(
        default_factory=BotResources,
        json_schema_extra=_fix('use {"requests": {...}, "limits": {...}} for the gateway'),
    )


class KubernetesSpec(BaseModel):
    """``fleet.kubernetes``: the cluster export ``plan`` writes to ``kubernetes/``."""

    model_config = settings_config()

    namespace: str = Field(
        "freqfleet",
        json_schema_extra=_fix(
            "use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit"
        ),
    )
    image: str = Field(
        DEFAULT_IMAGE,
        json_schema_extra=_fix(
            "use the image you built from the plan's Dockerfile and pushed, e.g. "
            '"registry.example.com/freqfleet:0.1.0"'
        ),
    )
    image_pull_policy: Literal["IfNotPresent", "Always", "Never"] = Field(
        "IfNotPresent", json_schema_extra=_fix("use IfNotPresent, Always or Never")
    )
    image_pull_secrets: list[str] = Field(
        default_factory=list,
        json_schema_extra=_fix(
            'use names of docker-registry Secrets in the namespace, e.g. ["registry"], or []'
        ),
    )
    spread: Literal["preferred", "required"] = Field(
        "preferred",
        json_schema_extra=_fix(
            'use "preferred" (producers on different nodes when the cluster has enough) or '
            '"required" (never two producers on one node)'
        ),
    )
    node_selector: dict[str, str] = Field(
        default_factory=dict,
        json_schema_extra=_fix(
            'use node labels every bot\'s node must have, e.g. {"freqfleet": "bots"}'
        ),
    )
    nodes: int | None = Field(
        None,
        ge=1,
        le=5000,
        json_schema_extra=_fix(
            "use the number of nodes the bots may run on (those matching node_selector), "
            "or leave it out"
        ),
    )
    placement: dict[str, str] = Field(
        default_factory=dict,
        json_schema_extra=_fix(
            'use {"<producer name>": "<node name>"} to pin producers to nodes, or leave it out'
        ),
    )
    storage_class: str | None = Field(
        None,
        json_schema_extra=_fix("use a storage class of the cluster, or leave it out (default)"),
    )
    producer_volume: str = Field(
        "1Gi", json_schema_extra=_fix('use a size like "1Gi" for each producer\'s user_data')
    )
    consumer_volume: str = Field(
        "5Gi", json_schema_extra=_fix('use a size like "5Gi" for the consumer\'s trade database')
    )
    consumer_access_mode: Literal["ReadWriteOncePod", "ReadWriteOnce"] = Field(
        "ReadWriteOncePod",
        json_schema_extra=_fix(
            'use "ReadWriteOncePod" (one pod at a time, the default) or "ReadWriteOnce" '
            "for storage without it"
        ),
    )
    resources: FleetResources = Field(
        default_factory=FleetResources,
        json_schema_extra=_fix(
            'use {"producer": ..., "consumer": ..., "pairlist_feed": ..., "gateway": ...} with '
            '{"requests": {"cpu", "memory"}, "limits": {"cpu", "memory"}}'
        ),
    )

    @field_validator("namespace")
    @classmethod
    def _namespace_is_label(cls, value: str) -> str:
        if len(value) > 63 or not K8S_LABEL_NAME.match(value):
            raise ValueError(f"{value!r} is not a Kubernetes namespace name")
        return value

    @field_validator("image")
    @classmethod
    def _image_is_reference(cls, value: str) -> str:
        if len(value) > 255 or not IMAGE_REFERENCE.match(value):
            raise ValueError(f"{value!r} is not an image name")
        return value

    @field_validator("node_selector")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for name, label in value.items():
            if len(name.rpartition("/")[2]) > 63 or not K8S_LABEL_KEY.match(name):
                raise ValueError(f"{name!r} is not a node label name")
            if len(label) > 63 or not K8S_LABEL_VALUE.match(label):
                raise ValueError(f"{label!r} (for {name}) is not a node label value")
        return value

    @field_validator("placement")
    @classmethod
    def _node_names(cls, value: dict[str, str]) -> dict[str, str]:
        for producer, node in value.items():
            if len(node) > 253 or not K8S_SUBDOMAIN.match(node):
                raise ValueError(f"{node!r} (for {producer}) is not a node name")
        return value

    @field_validator("image_pull_secrets")
    @classmethod
    def _secret_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if len(name) > 253 or not K8S_SUBDOMAIN.match(name):
                raise ValueError(f"{name!r} is not a Secret name")
        return value

    @field_validator("storage_class")
    @classmethod
    def _storage_class(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 253 or not K8S_SUBDOMAIN.match(value)):
            raise ValueError(f"{value!r} is not a storage class name")
        return value

    @field_validator("producer_volume", "consumer_volume")
    @classmethod
    def _size(cls, value: str) -> str:
        if not QUANTITY.match(value) or float(re.sub(r"[^0-9.]", "", value) or 0) <= 0:
            raise ValueError(f"{value!r} is not a volume size")
        return value


__all__ = [
    "DEFAULT_IMAGE",
    "K8S_SERVICE_NAME",
    "QUANTITY",
    "BotResources",
    "FleetResources",
    "KubernetesSpec",
    "ResourceAmounts",
]
