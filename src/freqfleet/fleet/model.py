"""The ``fleet`` section of a user's freqtrade config as typed, frozen models.

Why pydantic: one pass finds every problem of the section; each field carries its own
``fix`` text, which :mod:`freqfleet.problems` turns into one line per problem.

Example::

    "fleet": {
        "producers": 3,          // or [{"name": "a", "host": "10.0.0.5", "port": 8081}, ...]
        "redundancy": 1,         // producers analysing each pair (a pair survives N-1 down)
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
from typing import Annotated, Any

from pydantic import BaseModel, Discriminator, Field, Tag, field_validator

from freqfleet.credentials import exchange_credentials
from freqfleet.fleet.addresses import connect_address, is_loopback
from freqfleet.fleet.gatewayspec import GatewaySpec
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.problems import fix as _fix
from freqfleet.problems import settings_config
from freqfleet.section import (
    ConsumerCandles,
    FollowChoice,
    consumer_candles_field,
    exit_price_secs_field,
    follow_field,
    informative_candles_field,
    max_signal_age_field,
    unique_follow,
)

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}\Z")
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
    "gateway": "the market-data gateway's name",
}


def no_producer_credentials(overrides: dict[str, Any]) -> dict[str, Any]:
    """Refuse producer overrides that set an exchange credential: producers never trade,
    and the plan gives their configs none (only the consumer gets the user's)."""
    found = exchange_credentials(overrides)
    if found:
        raise ValueError(
            f"{found[0]!r} is an exchange credential, which producers never get; keep it in "
            "your config's exchange section (only the consumer trades)"
        )
    return overrides


class ProducerSpec(BaseModel):
    """One producer bot: where it runs and where its API (REST + websocket) listens."""

    model_config = settings_config("producer")

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
        return no_producer_credentials(value)

    @field_validator("host")
    @classmethod
    def _host_not_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("host is empty")
        return value


ProducerCount = Annotated[
    Annotated[int, Tag("count")] | Annotated[list[ProducerSpec], Tag("list")],
    Discriminator(lambda value: "list" if isinstance(value, list | tuple) else "count"),
]
"""``producers``: a number of producers or a list of them (the tag is the shape given)."""


class FleetSpec(BaseModel):
    """The validated ``fleet`` section (frozen: one plan per spec)."""

    model_config = settings_config("fleet")

    producers: ProducerCount = Field(
        json_schema_extra=_fix(
            f'use a number of producers (1-{MAX_PRODUCERS}) or a list like [{{"name": "a"}}]'
        )
    )
    redundancy: int = Field(
        1,
        ge=1,
        le=MAX_PRODUCERS,
        json_schema_extra=_fix(
            "use how many producers analyse each pair: 1 up to the number of producers"
        ),
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
    max_signal_age: int = max_signal_age_field()
    informative_candles: bool = informative_candles_field()
    consumer_candles: ConsumerCandles = consumer_candles_field()
    follow: list[FollowChoice] = follow_field()
    exit_price_secs: float | None = exit_price_secs_field()
    """The consumer's ``fleet.exit_price_secs``; None: the user's ``process_throttle_secs``."""
    alerts: bool = Field(
        True,
        json_schema_extra=_fix(
            "use false to keep fleet events (stale producers, unserved pairs, rejected "
            "messages, version drift, slow analysis) out of the consumer's notifications"
        ),
    )
    """The consumer's ``fleet.alerts``: fleet events on its Telegram, Discord or webhook."""
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
    gateway: GatewaySpec | None = Field(
        None,
        json_schema_extra=_fix(
            'use true, or gateway settings like {"listen_port": 8490, "share": 0.5}'
        ),
    )

    @field_validator("gateway", mode="before")
    @classmethod
    def _gateway_true_means_defaults(cls, value: Any) -> Any:
        if value is True:
            return {}
        return None if value is False else value

    @field_validator("producers", mode="before")
    @classmethod
    def _producers_number_or_list(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | list):
            raise ValueError(f"must be a number or a list, got {type(value).__name__} {value!r}")
        return value

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
        return unique_follow(value)

    @field_validator("producer_overrides", "consumer_overrides")
    @classmethod
    def _overrides_leave_fleet_keys(cls, value: dict[str, Any], info: Any) -> dict[str, Any]:
        keys = (
            PRODUCER_OWNED_KEYS if info.field_name == "producer_overrides" else CONSUMER_OWNED_KEYS
        )
        owned = [key for key in keys if key in value]
        if owned:
            raise ValueError(f"{owned[0]!r} is set by the fleet and cannot be overridden")
        return value if info.field_name == "consumer_overrides" else no_producer_credentials(value)

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
    def pair_hosts(self) -> dict[str, str] | None:
        """Producer -> host, for putting a pair's producers on distinct hosts; None on
        one host (every split is then the plain rendezvous ranking)."""
        hosts = {name: self.producer_host(i) for i, name in enumerate(self.producer_names)}
        return hosts if len(set(hosts.values())) > 1 else None

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


__all__ = [
    "CONSUMER_OWNED_KEYS",
    "MAX_PRODUCERS",
    "PRODUCER_OWNED_KEYS",
    "REJECTED_PAIRLISTS",
    "RESERVED_NAMES",
    "STATIC_PAIRLIST",
    "FleetSpec",
    "ProducerSpec",
]
