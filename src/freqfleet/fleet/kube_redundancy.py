"""Kubernetes placement for ``fleet.redundancy``: a pair's producers on different nodes,
and drains that never take a pair's last producer.

Anti-affinity: every producer already prefers (``spread: "preferred"``) or requires
(``"required"``) a node of its own, for separate egress IPs. With N producers per pair,
the producers a pair shares get a second, heavier preference: not on a node with a
producer it shares pairs with. It is *preferred*, not required, on purpose: a required
term makes a producer unschedulable as soon as the cluster has fewer suitable nodes than
the producers it shares pairs with (on a small cluster, or during a drain that removes a
node), and a producer that cannot start leaves its pairs with one producer fewer for as
long as that lasts, which is worse than two sharing a node for a while. Who must never
share a node says so with ``spread: "required"``, which covers every producer.

Disruption budget: one PodDisruptionBudget over all producers with ``maxUnavailable``
N - 1. Each pair has N producers, so as long as evictions (drains, cluster upgrades)
take at most N - 1 producers at a time, every pair keeps one serving; a drain waits until
an evicted producer is Ready again elsewhere before it evicts the next. With N = 1 there
is none (``maxUnavailable: 0`` would block every drain forever); ``plan`` warns that a
drain then blinds the pairs of the producer it moves.
"""

from __future__ import annotations

from typing import Any

from freqfleet.fleet.kube_pods import meta, producer_affinity
from freqfleet.fleet.kubespec import KubernetesSpec
from freqfleet.fleet.manifest import FleetManifest

PDB_NAME = "producers"
PDB_FILE = "producers-pdb.yaml"
SHARED_WEIGHT = 100
"""Weight of "not beside a producer I share pairs with" (the most a preference can have)."""
SPREAD_WEIGHT = 50
"""Weight of the plain spread over nodes when the heavier one is present."""


def sharing_producers(manifest: FleetManifest) -> dict[str, list[str]]:
    """Producer -> the producers it shares at least one pair with (none with N = 1). A
    dynamic pairlist's split changes every refresh: any two producers may share a pair."""
    names = [bot.name for bot in manifest.producers]
    if manifest.redundancy < 2:
        return {name: [] for name in names}
    if manifest.routes is None:
        return {name: [other for other in names if other != name] for name in names}
    sharing: dict[str, set[str]] = {name: set() for name in names}
    for owners in manifest.routes.values():
        for name in owners:
            sharing[name].update(other for other in owners if other != name)
    return {name: sorted(sharing[name]) for name in names}


def redundant_affinity(kube: KubernetesSpec, manifest: FleetManifest, bot: str) -> dict[str, Any]:
    """``bot``'s affinity: the fleet's spread, and (preferred) no node shared with a
    producer of the same pairs."""
    affinity = producer_affinity(kube)
    shared = sharing_producers(manifest).get(bot) or []
    if not shared:
        return affinity
    anti = affinity["podAntiAffinity"]
    preferred = list(anti.get("preferredDuringSchedulingIgnoredDuringExecution") or [])
    preferred = [{**term, "weight": SPREAD_WEIGHT} for term in preferred]
    preferred.insert(
        0,
        {
            "weight": SHARED_WEIGHT,
            "podAffinityTerm": {
                "labelSelector": {
                    "matchLabels": {"app.kubernetes.io/instance": kube.namespace},
                    "matchExpressions": [
                        {"key": "freqfleet/bot", "operator": "In", "values": shared}
                    ],
                },
                "topologyKey": "kubernetes.io/hostname",
            },
        },
    )
    return {
        "podAntiAffinity": {**anti, "preferredDuringSchedulingIgnoredDuringExecution": preferred}
    }


def disruption_budget(kube: KubernetesSpec, manifest: FleetManifest) -> dict[str, Any] | None:
    """The producers' PodDisruptionBudget (None with one producer per pair)."""
    if manifest.redundancy < 2:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(PDB_NAME, kube, "producer", PDB_NAME),
        "spec": {
            "maxUnavailable": manifest.redundancy - 1,
            "selector": {
                "matchLabels": {
                    "app.kubernetes.io/instance": kube.namespace,
                    "app.kubernetes.io/component": "producer",
                }
            },
        },
    }


__all__ = [
    "PDB_FILE",
    "disruption_budget",
    "redundant_affinity",
    "sharing_producers",
]
