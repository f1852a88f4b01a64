"""Checks of a user's freqtrade config for a fleet, all in one pass.

Why one pass: a user fixing a config wants every problem at once. The ``fleet`` section is
validated by its models (:mod:`freqfleet.fleet.model`), then across fields (ports, names,
the Kubernetes placement) and against the rest of the config (strategy, timeframe,
pairlists); every problem is one line and all of them are raised as one
:class:`~freqfleet.errors.ConfigError` (:func:`freqfleet.problems.format_problems`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from freqfleet.errors import ConfigError
from freqfleet.fleet.addresses import is_loopback
from freqfleet.fleet.kubespec import K8S_SERVICE_NAME, KubernetesSpec
from freqfleet.fleet.model import REJECTED_PAIRLISTS, RESERVED_NAMES, STATIC_PAIRLIST, FleetSpec
from freqfleet.fleet.trading_mode import (
    override_problems,
    trading_mode_of,
    trading_mode_problems,
)
from freqfleet.gateway import config_problems as gateway_problems
from freqfleet.problems import format_problems, problems_from
from freqfleet.section import EXIT_FOLLOWS
from freqfleet.timeframes import timeframe_seconds

TIMEFRAME_FIX = 'use a number and a unit (m, h, d, w, M), e.g. "1m", "5m", "1h" or "1d"'


def timeframe_problem(timeframe: Any) -> str | None:
    """Why freqtrade cannot run ``timeframe`` (None when it can), parsed as freqtrade does."""
    if not isinstance(timeframe, str) or not timeframe:
        return f"must be a timeframe string, got {type(timeframe).__name__} {timeframe!r}"
    try:
        seconds = timeframe_seconds(timeframe)
    except Exception:  # ccxt's NotSupported for an unknown unit, ValueError for no number
        seconds = 0
    if seconds <= 0:
        return f"{timeframe!r} is not a timeframe freqtrade can parse"
    return None


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
    if spec.redundancy > len(spec.producer_specs):
        count = len(spec.producer_specs)
        problems.append(
            f"fleet.redundancy: {spec.redundancy} producers per pair, but the fleet has "
            f"{count}; use at most {count} or add producers"
        )
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
    if spec.gateway is not None:
        if spec.remote_hosts:
            problems.append(
                f"fleet.gateway: runs on this machine (127.0.0.1:{spec.gateway.listen_port}), "
                f"which producers on {', '.join(spec.remote_hosts)} cannot reach; run every "
                "producer here or remove fleet.gateway"
            )
        if spec.gateway.listen_port in {port for (host, port) in ports if is_loopback(host)} | {
            spec.consumer_api_port
        }:
            problems.append(
                f"fleet.gateway.listen_port: {spec.gateway.listen_port} is also a bot's port; "
                "use a port no bot uses"
            )
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


def _follow_problems(config: dict[str, Any], spec: FleetSpec) -> list[str]:
    """What ``fleet.follow`` needs of the user's config. The consumer refuses the same at
    start (from the strategy's attributes too); a plan must not launch a consumer the
    supervisor would restart until it gives up. (``position_adjustment_enable`` the plan
    sets for the consumer when it follows position adjustments.)"""
    problems: list[str] = []
    followed_exits = [kind for kind in EXIT_FOLLOWS if kind in spec.follow]
    if followed_exits and config.get("use_exit_signal") is False:
        problems.append(
            f"use_exit_signal: is false, so freqtrade never asks custom_exit and the consumer "
            f"cannot follow {' or '.join(followed_exits)} (fleet.follow); set it to true or "
            f"leave {' and '.join(followed_exits)} out of fleet.follow"
        )
    return problems


def _config_problems(config: dict[str, Any], spec: FleetSpec | None) -> list[str]:
    """Checks on the rest of the user's config that a fleet depends on."""
    problems: list[str] = []
    if spec is not None:
        problems.extend(_follow_problems(config, spec))
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
    if spec is not None and spec.gateway is not None:
        problems.extend(gateway_problems(config.get("exchange"), trading_mode_of(config)))
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
            problems.extend(problems_from(error, FleetSpec, "fleet"))
        else:
            problems.extend(_cross_field_problems(spec))
        problems.extend(override_problems(section))
    problems.extend(_config_problems(config, spec))
    problems.extend(trading_mode_problems(config))
    if problems:
        raise ConfigError(format_problems(problems))
    assert spec is not None
    return spec


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
    "TIMEFRAME_FIX",
    "kubernetes_problems",
    "load_fleet_config",
    "timeframe_problem",
    "validate_fleet_config",
]
