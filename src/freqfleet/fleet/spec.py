"""The ``fleet`` section of a user's freqtrade config, validated in one pass.

Why pydantic plus a formatter: a user fixing a config wants every problem at once, each on
one line that names the JSON path of the field and says what to write instead. Each field
carries its own ``fix`` text; :func:`load_fleet_config` turns pydantic's errors (and the
cross-field checks on the rest of the config) into those lines and raises one
:class:`~freqfleet.errors.ConfigError`.

Example::

    "fleet": {
        "producers": 3,          // or [{"name": "a", "host": "10.0.0.5", "port": 8081}, ...]
        "listen": "127.0.0.1",
        "base_port": 8081,
        "producer_overrides": {},
        "max_signal_age": 1,
        "follow": ["exits"]
    }
"""

from __future__ import annotations

import ipaddress
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from freqfleet import __version__
from freqfleet.errors import ConfigError

FOLLOW_CHOICES = ("exits", "force_entries", "force_exits", "position_adjustments")
DEFAULT_FOLLOW = ["exits"]
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_PRODUCERS = 64

# Keys the fleet decides per bot; overriding them would break the fleet.
PRODUCER_OWNED_KEYS = (
    "dry_run",
    "strategy",
    "timeframe",
    "db_url",
    "logfile",
    "fleet",
    "external_message_consumer",
    "max_open_trades",
    "force_entry_enable",
)
CONSUMER_OWNED_KEYS = (
    "strategy",
    "timeframe",
    "logfile",
    "fleet",
    "external_message_consumer",
    "pairlists",
    "process_only_new_candles",
)
# Pairlist handlers that generate a list from the market (evaluated once per refresh).
STATIC_PAIRLIST = "StaticPairList"
REJECTED_PAIRLISTS = {
    "ProducerPairList": "the fleet writes the consumer's ProducerPairList itself",
    "RemotePairList": "the fleet writes each producer's RemotePairList itself",
}

RESERVED_NAMES = {
    "consumer": "the consumer's name",
    "pairlist-feed": "the pairlist feed's name",
}

FollowChoice = Literal["exits", "force_entries", "force_exits", "position_adjustments"]


def _fix(text: str) -> dict[str, str]:
    return {"fix": text}


class ProducerSpec(BaseModel):
    """One producer bot: where it runs and where its API (REST + websocket) listens."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(
        json_schema_extra=_fix(
            "use 1-32 lowercase letters, digits, '-' or '_', starting with a letter or digit"
        )
    )
    host: str | None = Field(
        None,
        json_schema_extra=_fix("set the host name or IP address the consumer connects to"),
    )
    port: int | None = Field(
        None,
        ge=1024,
        le=65535,
        json_schema_extra=_fix("use a free TCP port between 1024 and 65535, or leave it out"),
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra=_fix("use an object of freqtrade settings for this producer only"),
    )

    @field_validator("name")
    @classmethod
    def _name_is_slug(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a usable bot name")
        return value

    @field_validator("overrides")
    @classmethod
    def _overrides_leave_fleet_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        owned = [key for key in PRODUCER_OWNED_KEYS if key in value]
        if owned:
            raise ValueError(f"{owned[0]!r} is set by the fleet and cannot be overridden")
        return value

    @field_validator("host")
    @classmethod
    def _host_not_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("host is empty")
        return value


# --- the Kubernetes export (fleet.kubernetes) -------------------------------------------

K8S_LABEL_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
"""A namespace (DNS-1123 label, at most 63 characters)."""
K8S_SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
"""A Service (DNS-1035 label: a letter first)."""
K8S_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
"""A node or storage class name (DNS-1123 subdomain, at most 253 characters)."""
_LABEL_PART = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
K8S_LABEL_KEY = re.compile(rf"^({K8S_SUBDOMAIN.pattern[1:-1]}/)?{_LABEL_PART}$")
K8S_LABEL_VALUE = re.compile(rf"^({_LABEL_PART})?$")
QUANTITY = re.compile(r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
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
    r"(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$"
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

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

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

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

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

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

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


class KubernetesSpec(BaseModel):
    """``fleet.kubernetes``: the cluster export ``plan`` writes to ``kubernetes/``."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

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
            'use {"producer": ..., "consumer": ..., "pairlist_feed": ...} with '
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


class FleetSpec(BaseModel):
    """The validated ``fleet`` section (frozen: one plan per spec)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    producers: int | list[ProducerSpec] = Field(
        json_schema_extra=_fix(
            f'use a number of producers (1-{MAX_PRODUCERS}) or a list like [{{"name": "a"}}]'
        )
    )
    listen: str = Field(
        "127.0.0.1",
        json_schema_extra=_fix(
            'use the IP address the bots\' APIs listen on, e.g. "127.0.0.1" or "0.0.0.0"'
        ),
    )
    base_port: int = Field(
        8081,
        ge=1024,
        le=65535,
        json_schema_extra=_fix("use a port between 1024 and 65535; producers count up from it"),
    )
    consumer_port: int | None = Field(
        None,
        ge=1024,
        le=65535,
        json_schema_extra=_fix(
            "use a free port between 1024 and 65535 (default: the port after the last producer)"
        ),
    )
    secure: bool = Field(
        False,
        json_schema_extra=_fix("use true (wss between hosts) or false"),
    )
    producer_overrides: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra=_fix("use an object of freqtrade settings merged into every producer"),
    )
    consumer_overrides: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra=_fix("use an object of freqtrade settings merged into the consumer"),
    )
    max_signal_age: int = Field(
        1,
        ge=1,
        le=100,
        json_schema_extra=_fix("use a whole number of candles from 1 to 100 (default 1)"),
    )
    informative_candles: bool = Field(
        False,
        json_schema_extra=_fix("use true to let the consumer download informative pairs"),
    )
    follow: list[FollowChoice] = Field(
        default_factory=lambda: list(DEFAULT_FOLLOW),
        json_schema_extra=_fix(f"use a list of any of {', '.join(FOLLOW_CHOICES)} (or [])"),
    )
    pairlist_refresh: int = Field(
        1800,
        ge=60,
        le=86400,
        json_schema_extra=_fix(
            "use seconds between 60 and 86400: how often a dynamic pairlist is re-evaluated"
        ),
    )
    pairlist_url: str | None = Field(
        None,
        pattern=r"^https?://",
        json_schema_extra=_fix(
            'use the http(s) URL where the plan\'s pairlists/ folder is served, e.g. "http://10.0.0.1:8000/pairlists"'
        ),
    )
    initial_candle_limit: int | None = Field(
        None,
        ge=1,
        le=1500,
        json_schema_extra=_fix(
            "use a number of candles from 1 to 1500, or leave it out to size it to the strategy"
        ),
    )
    api_username: str = Field(
        "freqfleet",
        min_length=1,
        max_length=64,
        json_schema_extra=_fix("use a non-empty user name for the bots' REST APIs"),
    )
    kubernetes: KubernetesSpec | None = Field(
        None,
        json_schema_extra=_fix(
            'use an object of Kubernetes settings, e.g. {"namespace": "freqfleet"} '
            "({} for the defaults)"
        ),
    )

    @field_validator("producers")
    @classmethod
    def _producers_in_range(cls, value: int | list[ProducerSpec]) -> int | list[ProducerSpec]:
        count = value if isinstance(value, int) else len(value)
        if not 1 <= count <= MAX_PRODUCERS:
            raise ValueError(f"a fleet needs 1 to {MAX_PRODUCERS} producers, got {count}")
        if isinstance(value, list):
            names = [producer.name for producer in value]
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"producer names must be unique, {duplicates[0]!r} repeats")
        return value

    @field_validator("listen")
    @classmethod
    def _listen_is_ip(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address") from None
        return value

    @field_validator("follow")
    @classmethod
    def _follow_unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("an entry repeats")
        return value

    @field_validator("producer_overrides", "consumer_overrides")
    @classmethod
    def _overrides_leave_fleet_keys(cls, value: dict[str, Any], info: Any) -> dict[str, Any]:
        keys = (
            PRODUCER_OWNED_KEYS if info.field_name == "producer_overrides" else CONSUMER_OWNED_KEYS
        )
        owned = [key for key in keys if key in value]
        if owned:
            raise ValueError(f"{owned[0]!r} is set by the fleet and cannot be overridden")
        return value

    # --- derived -----------------------------------------------------------------------

    @property
    def producer_specs(self) -> list[ProducerSpec]:
        """Every producer with its name (``producers: K`` gives producer-1..producer-K)."""
        if isinstance(self.producers, int):
            return [ProducerSpec(name=f"producer-{i}") for i in range(1, self.producers + 1)]
        return list(self.producers)

    @property
    def producer_names(self) -> list[str]:
        return [producer.name for producer in self.producer_specs]

    def producer_port(self, index: int) -> int:
        """API port of the ``index``-th producer (0-based)."""
        spec = self.producer_specs[index]
        return spec.port if spec.port is not None else self.base_port + index

    def producer_host(self, index: int) -> str:
        """Host the consumer connects to for the ``index``-th producer."""
        spec = self.producer_specs[index]
        if spec.host is not None:
            return spec.host
        return connect_address(self.listen)

    @property
    def consumer_api_port(self) -> int:
        if self.consumer_port is not None:
            return self.consumer_port
        return max(self.producer_port(i) for i in range(len(self.producer_specs))) + 1

    @property
    def remote_hosts(self) -> list[str]:
        """Producer hosts that are not this machine's loopback (a multi-host fleet)."""
        return sorted(
            {
                self.producer_host(i)
                for i in range(len(self.producer_specs))
                if not is_loopback(self.producer_host(i))
            }
        )


WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")


def is_wildcard(address: str) -> bool:
    """True for an address that means "every interface" when a server listens on it."""
    return address in WILDCARD_ADDRESSES


def connect_address(listen: str) -> str:
    """Where a client on the same machine reaches a server listening on ``listen``.

    The one rule for wildcard addresses: a server on 0.0.0.0 or :: (every interface) is
    reached at 127.0.0.1 (on Linux a :: socket accepts IPv4 too); any other address as is.
    """
    return "127.0.0.1" if is_wildcard(listen) else listen


def timeframe_problem(timeframe: Any) -> str | None:
    """Why freqtrade cannot run ``timeframe`` (None when it can), parsed as freqtrade does."""
    from freqtrade.exchange import timeframe_to_seconds

    if not isinstance(timeframe, str) or not timeframe:
        return f"must be a timeframe string, got {type(timeframe).__name__} {timeframe!r}"
    try:
        seconds = timeframe_to_seconds(timeframe)
    except Exception:  # ccxt's NotSupported for an unknown unit, ValueError for no number
        seconds = 0
    if seconds <= 0:
        return f"{timeframe!r} is not a timeframe freqtrade can parse"
    return None


TIMEFRAME_FIX = 'use a number and a unit (m, h, d, w, M), e.g. "1m", "5m", "1h" or "1d"'


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- problems, one line each -----------------------------------------------------------


def _json_path(location: tuple[Any, ...]) -> str:
    path = "fleet"
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("int", "list[ProducerSpec]"):
            continue
        else:
            path += f".{part}"
    return path


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The settings model a field holds (``KubernetesSpec | None``, ``list[ProducerSpec]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None


def _walk(location: tuple[Any, ...]) -> tuple[type[BaseModel] | None, str]:
    """The settings model reached at ``location`` (None inside a plain field) and the
    ``fix`` text of the innermost named field on the way."""
    model: type[BaseModel] | None = FleetSpec
    fix = ""
    for part in location:
        if model is None or not isinstance(part, str):
            continue
        field = model.model_fields.get(part)
        if field is None:
            continue
        extra = field.json_schema_extra
        if isinstance(extra, dict) and "fix" in extra:
            fix = str(extra["fix"])
        model = _model_in(field.annotation)
    return model, fix


def _field_fix(location: tuple[Any, ...]) -> str:
    """The ``fix`` text of the innermost named field at ``location``."""
    return _walk(location)[1]


def _describe(error: dict[str, Any], location: tuple[Any, ...]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        if len(location) > 1 and location[0] == "producers":
            return f"is not a producer setting; remove it (known: {', '.join(ProducerSpec.model_fields)})"
        holder, _ = _walk(location[:-1])
        if len(location) > 1 and holder is not None and holder is not FleetSpec:
            section = _json_path(location[:-1])
            return (
                f"is not a {section} setting; remove it (known: {', '.join(holder.model_fields)})"
            )
        return f"is not a fleet setting; remove it (known: {', '.join(FleetSpec.model_fields)})"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = {
            "greater_than_equal": ">=",
            "less_than_equal": "<=",
            "greater_than": ">",
            "less_than": "<",
        }[kind]
        limit = next(iter(error["ctx"].values()))
        return f"must be {bound} {limit}, got {value!r}"
    if kind == "literal_error":
        return f"{value!r} is not allowed"
    if kind == "string_pattern_mismatch":
        return f"{value!r} does not match {error['ctx']['pattern']}"
    if kind in ("string_too_short", "string_too_long"):
        return f"length must be {error['ctx']}, got {value!r}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        wanted = {
            "int_type": "a whole number",
            "bool_type": "true or false",
            "string_type": "a string",
            "list_type": "a list",
            "dict_type": "an object",
            "model_type": "an object",
        }.get(kind, kind.removesuffix("_type"))
        return f"must be {wanted}, got {type(value).__name__} {value!r}"
    return str(error["msg"])


def _problems_from(error: ValidationError) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    producers_union: list[dict[str, Any]] = []
    for item in error.errors(include_url=False):
        location = tuple(item["loc"])
        # producers is int | list: pydantic reports both branches; keep the meaningful one.
        if location and location[0] == "producers" and len(location) > 1:
            branch = location[1]
            if branch == "int":
                producers_union.append(item)
                continue
            if branch == "list[ProducerSpec]":
                location = ("producers", *location[2:])
                if len(location) == 1 and item["type"] == "list_type":
                    producers_union.append(item)
                    continue
        line = f"{_json_path(location)}: {_describe(item, location)}"
        fix = _field_fix(location)
        if fix and item["type"] != "extra_forbidden":
            line += f"; {fix}"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    nested_list_errors = any(
        item["loc"][:2] == ("producers", "list[ProducerSpec]") and len(item["loc"]) > 2
        for item in error.errors(include_url=False)
    )
    if producers_union and not nested_list_errors:
        value = producers_union[0].get("input")
        lines.insert(
            0,
            f"fleet.producers: must be a number or a list, got {type(value).__name__} "
            f"{value!r}; {_field_fix(('producers',))}",
        )
    return lines


def _cross_field_problems(spec: FleetSpec) -> list[str]:
    """Checks across fields of the fleet section (ports, hosts)."""
    problems: list[str] = []
    ports: dict[tuple[str, int], str] = {}
    for index, producer in enumerate(spec.producer_specs):
        if producer.name in RESERVED_NAMES:
            problems.append(
                f"fleet.producers[{index}].name: {producer.name!r} is {RESERVED_NAMES[producer.name]}; "
                "choose another producer name"
            )
        key = (spec.producer_host(index), spec.producer_port(index))
        where = (
            f"fleet.producers[{index}].port"
            if not isinstance(spec.producers, int)
            else "fleet.base_port"
        )
        if key in ports:
            problems.append(
                f"{where}: {producer.name} and {ports[key]} both use {key[0]}:{key[1]}; "
                "give each producer on a host its own port"
            )
        ports[key] = producer.name
    consumer_key = ("127.0.0.1", spec.consumer_api_port)
    local_ports = {port for (host, port) in ports if is_loopback(host)}
    if consumer_key[1] in local_ports:
        problems.append(
            f"fleet.consumer_port: {consumer_key[1]} is also a producer's port; "
            "use a port no producer uses"
        )
    if spec.consumer_api_port > 65535:
        problems.append(
            "fleet.base_port: the consumer's port would exceed 65535; use a lower base_port"
        )
    if spec.kubernetes is not None:
        problems.extend(kubernetes_problems(spec, spec.kubernetes))
    return problems


def kubernetes_problems(spec: FleetSpec, kube: KubernetesSpec) -> list[str]:
    """What keeps the fleet off a cluster: names Kubernetes refuses, producers that
    ``spread: "required"`` cannot place on their own node."""
    problems: list[str] = []
    names = spec.producer_names
    for index, name in enumerate(names):
        if len(name) > 52 or not K8S_SERVICE_NAME.match(name):
            where = (
                f"fleet.producers[{index}].name"
                if not isinstance(spec.producers, int)
                else "fleet.producers"
            )
            problems.append(
                f"{where}: {name!r} cannot name a Kubernetes Service and StatefulSet; use "
                "lowercase letters, digits and '-', starting with a letter and ending with a "
                "letter or digit"
            )
    for producer in kube.placement:
        if producer not in names:
            problems.append(
                f"fleet.kubernetes.placement.{producer}: no producer has this name; use one of "
                f"{', '.join(names)}"
            )
    if kube.spread == "required":
        if kube.nodes is not None and kube.nodes < len(names):
            problems.append(
                f'fleet.kubernetes.spread: "required" puts each of the {len(names)} producers '
                f"on its own node, but fleet.kubernetes.nodes is {kube.nodes}; add nodes to the "
                'cluster (and raise nodes), use fewer producers, or use "preferred"'
            )
        pinned: dict[str, str] = {}
        for producer, node in kube.placement.items():
            if node in pinned:
                problems.append(
                    f"fleet.kubernetes.placement.{producer}: {node} already holds "
                    f'{pinned[node]} and spread is "required"; pin it to another node or use '
                    '"preferred"'
                )
            pinned.setdefault(node, producer)
    return problems


def _config_problems(config: dict[str, Any], spec: FleetSpec | None) -> list[str]:
    """Checks on the rest of the user's config that a fleet depends on."""
    problems: list[str] = []
    if not isinstance(config.get("strategy"), str) or not config.get("strategy"):
        problems.append('strategy: is required; set "strategy" to your strategy class name')
    if config.get("timeframe") is not None:
        problem = timeframe_problem(config["timeframe"])
        if problem:
            problems.append(f"timeframe: {problem}; {TIMEFRAME_FIX}")
    emc = config.get("external_message_consumer") or {}
    if isinstance(emc, dict) and emc.get("enabled"):
        problems.append(
            "external_message_consumer: the fleet writes it for the consumer; "
            "remove it from your config"
        )
    pairlists = config.get("pairlists") or [{"method": STATIC_PAIRLIST}]
    if not isinstance(pairlists, list) or not all(
        isinstance(item, dict) and isinstance(item.get("method"), str) for item in pairlists
    ):
        problems.append(
            'pairlists: must be a list of {"method": ...} objects; '
            'use e.g. [{"method": "StaticPairList"}]'
        )
        return problems
    for index, item in enumerate(pairlists):
        reason = REJECTED_PAIRLISTS.get(item["method"])
        if reason:
            problems.append(f"pairlists[{index}].method: {item['method']} - {reason}; remove it")
    if pairlists[0]["method"] == STATIC_PAIRLIST:
        whitelist = (config.get("exchange") or {}).get("pair_whitelist")
        if not isinstance(whitelist, list) or not whitelist:
            problems.append(
                "exchange.pair_whitelist: is empty; list the pairs the fleet trades "
                "(StaticPairList splits them across producers)"
            )
    return problems


def validate_fleet_config(config: dict[str, Any]) -> FleetSpec:
    """Validate ``config`` (a loaded user config); raise one ConfigError listing every problem."""
    problems: list[str] = []
    spec: FleetSpec | None = None
    section = config.get("fleet")
    if section is None:
        problems.append('fleet: is required; add a "fleet" section, e.g. "fleet": {"producers": 2}')
    elif not isinstance(section, dict):
        problems.append(
            f'fleet: must be an object, got {type(section).__name__}; e.g. "fleet": {{"producers": 2}}'
        )
    else:
        try:
            spec = FleetSpec.model_validate(section)
        except ValidationError as error:
            problems.extend(_problems_from(error))
        else:
            problems.extend(_cross_field_problems(spec))
    problems.extend(_config_problems(config, spec))
    if problems:
        raise ConfigError(format_problems(problems))
    assert spec is not None
    return spec


def format_problems(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems:\n" + "\n".join(f"  {line}" for line in problems)


def load_fleet_config(path: str | Path) -> tuple[dict[str, Any], FleetSpec]:
    """Load a user's config (comments allowed, like freqtrade) and validate its fleet section."""
    from freqtrade.configuration.load_config import load_config_file, load_from_files
    from freqtrade.exceptions import OperationalException

    where = str(path)
    try:
        config = load_config_file(str(path))
        if isinstance(config, dict) and config.get("add_config_files"):
            # freqtrade's own merge of the files the config pulls in (later ones win).
            where = f"{path} (or a file in its add_config_files)"
            config = load_from_files([str(path)])
    except OperationalException as error:
        first = str(error).splitlines()[0] if str(error) else "cannot be read"
        raise ConfigError(f"{where}: {first}; fix the file or pass another one with -c") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{where}: is not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset "
            f"{error.start}); save it as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(
            f"{where}: cannot be read ({error.strerror or error}); pass a readable config file "
            "with -c"
        ) from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: must hold a JSON object; start it with {{ ... }}")
    try:
        return config, validate_fleet_config(config)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


__all__ = [
    "DEFAULT_FOLLOW",
    "FOLLOW_CHOICES",
    "FleetSpec",
    "KubernetesSpec",
    "ProducerSpec",
    "connect_address",
    "is_loopback",
    "is_wildcard",
    "kubernetes_problems",
    "load_fleet_config",
    "timeframe_problem",
    "validate_fleet_config",
]
