"""What ``plan`` warns about: settings that work but deserve attention (printed by the CLI,
never secrets).

Why apart from the plan: the plan renders files; these lines look at the same config and
fleet section and say what a user should know before starting it (a fleet listening on
every interface, remote producers without TLS, a gateway whose upstream a container cannot
reach, producers with no pairs, live trading settings).
"""

from __future__ import annotations

from typing import Any

from freqfleet.fleet.addresses import interface_addresses, is_loopback, is_wildcard, url_of
from freqfleet.fleet.botconfigs import is_dynamic
from freqfleet.fleet.live import live_warnings
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.partition import partition
from freqfleet.fleet.plan import gateway_entry


def listen_warning(spec: FleetSpec) -> str | None:
    """The warning for ``fleet.listen`` on every interface (0.0.0.0 or ::), else None."""
    if not is_wildcard(spec.listen):
        return None
    ports = [
        spec.producer_port(index)
        for index in range(len(spec.producer_specs))
        if is_loopback(spec.producer_host(index))
    ]
    ports.append(spec.consumer_api_port)
    outside = [address for address in interface_addresses(spec.listen) if not is_loopback(address)]
    reachable = ", ".join(url_of(address, ports[0]) for address in outside) or "its addresses"
    return (
        f'fleet.listen is "{spec.listen}": the bots\' REST APIs and websockets (ports '
        f"{', '.join(str(port) for port in ports)}) listen on every interface of this machine, "
        f"not only 127.0.0.1, e.g. at {reachable}; anyone who reaches them can try the API "
        'passwords: set "secure": true (a TLS proxy in front) and firewall these ports, or '
        'set "listen": "127.0.0.1"'
    )


def redundancy_warnings(spec: FleetSpec, kubernetes: bool = False) -> list[str]:
    """Where ``fleet.redundancy`` cannot keep a pair served: producers of a pair sharing a
    host, and a cluster's drains with one producer per pair (``kubernetes``: the plan has
    an export without a ``fleet.kubernetes`` section, from ``--kubernetes``)."""
    warnings: list[str] = []
    n = spec.redundancy
    hosts = sorted(set((spec.pair_hosts or {}).values()))
    if n > 1 and not hosts:
        warnings.append(
            f"fleet.redundancy {n}: every producer runs on one machine, so each pair's "
            f"{n} producers share it; this covers a producer's crash or restart, not the "
            "machine's: give producers hosts (fleet.producers[].host) to spread them"
        )
    elif n > len(hosts) > 0:
        warnings.append(
            f"fleet.redundancy {n}: the producers run on {len(hosts)} hosts "
            f"({', '.join(hosts)}), so some of a pair's producers share a host: one host "
            f"going down can take {n - len(hosts) + 1} of a pair's {n}; add hosts or lower "
            "fleet.redundancy"
        )
    if (kubernetes or spec.kubernetes is not None) and n == 1:
        warnings.append(
            "fleet.redundancy 1 on Kubernetes: any drain or eviction of a producer's node "
            "blinds its pairs until the pod serves again elsewhere; set fleet.redundancy "
            "to 2 (the export then adds a PodDisruptionBudget that keeps a producer of "
            "every pair)"
        )
    return warnings


def plan_warnings(config: dict[str, Any], spec: FleetSpec, kubernetes: bool = False) -> list[str]:
    """Things that work but deserve attention (printed by the CLI, never secrets)."""
    from freqfleet.fleet.compose import upstream_warning

    warnings: list[str] = live_warnings(config, spec)
    listening = listen_warning(spec)
    if listening:
        warnings.append(listening)
    upstream = upstream_warning(gateway_entry(config, spec))
    if upstream:
        warnings.append(upstream)
    remote = spec.remote_hosts
    warnings.extend(redundancy_warnings(spec, kubernetes))
    if remote and not spec.secure:
        warnings.append(
            f"producers on {', '.join(remote)} are reached without TLS: set fleet.secure to "
            "true (wss behind a TLS proxy) or keep the hosts on a private network"
        )
    if not is_dynamic(config):
        pairs = (config.get("exchange") or {}).get("pair_whitelist") or []
        shares = partition(pairs, spec.producer_names, spec.redundancy, spec.pair_hosts)
        idle = [name for name, share in shares.items() if not share]
        if idle:
            warnings.append(
                f"{', '.join(idle)} got no pairs ({len(pairs)} pairs for "
                f"{len(spec.producer_names)} producers); use fewer producers or more pairs"
            )
    return warnings


__all__ = ["listen_warning", "plan_warnings", "redundancy_warnings"]
