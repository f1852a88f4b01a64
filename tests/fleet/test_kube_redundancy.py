"""The Kubernetes export with ``fleet.redundancy``: anti-affinity between producers of the
same pairs and a disruption budget that keeps a producer of every pair (YAML parsed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from freqfleet.fleet.kube_redundancy import PDB_FILE, sharing_producers
from freqfleet.fleet.kubernetes import K8S_DIR
from tests.kit.kube_export import VOLUME, cluster_config, export, plan, pod_spec, validate_all
from tests.kit.kube_pods import find


def anti_affinity(manifests: dict[str, list[dict[str, Any]]], name: str) -> dict[str, Any]:
    return pod_spec(manifests, name)["affinity"]["podAntiAffinity"]


def test_producers_of_the_same_pairs_prefer_other_nodes_and_drains_keep_one(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    config = cluster_config(fleet={"producers": 4, "redundancy": 2})
    manifest = plan(config, user_dir, out)
    manifests = export(out)
    assert validate_all(out / K8S_DIR) > 0  # the budget passes Kubernetes' schema too
    assert PDB_FILE in (out / K8S_DIR / "kustomization.yaml").read_text()
    budget = find(manifests, "PodDisruptionBudget", "producers")
    assert budget["spec"]["maxUnavailable"] == 1
    selected = budget["spec"]["selector"]["matchLabels"]
    assert selected["app.kubernetes.io/component"] == "producer"
    sharing = sharing_producers(manifest)
    assert manifest.routes is not None
    for pair, owners in manifest.routes.items():
        assert owners[1] in sharing[owners[0]], pair
    for bot in manifest.producers:
        terms = anti_affinity(manifests, bot.name)[
            "preferredDuringSchedulingIgnoredDuringExecution"
        ]
        shared, spread = terms
        assert shared["weight"] > spread["weight"]
        (expression,) = shared["podAffinityTerm"]["labelSelector"]["matchExpressions"]
        assert expression == {"key": "freqfleet/bot", "operator": "In", "values": sharing[bot.name]}
        assert shared["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"


def test_required_spread_stays_required_and_three_per_pair_allow_two_down(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    config = cluster_config({"spread": "required"}, fleet={"producers": 3, "redundancy": 3})
    plan(config, user_dir, out)
    manifests = export(out)
    anti = anti_affinity(manifests, "producer-1")
    assert anti["requiredDuringSchedulingIgnoredDuringExecution"]
    (shared,) = anti["preferredDuringSchedulingIgnoredDuringExecution"]
    assert shared["podAffinityTerm"]["labelSelector"]["matchExpressions"][0]["values"] == [
        "producer-2",
        "producer-3",
    ]
    assert find(manifests, "PodDisruptionBudget", "producers")["spec"]["maxUnavailable"] == 2


def test_one_producer_per_pair_has_no_budget_and_the_plain_spread(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    plan(cluster_config(fleet={"producers": 2}), user_dir, out)
    manifests = export(out)
    assert not (out / K8S_DIR / PDB_FILE).exists()
    assert all(doc["kind"] != "PodDisruptionBudget" for docs in manifests.values() for doc in docs)
    (term,) = anti_affinity(manifests, "producer-1")[
        "preferredDuringSchedulingIgnoredDuringExecution"
    ]
    assert (
        term["weight"] == 100 and "matchExpressions" not in term["podAffinityTerm"]["labelSelector"]
    )


def test_a_dynamic_pairlist_lets_any_two_producers_share_a_pair(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    config = cluster_config(fleet={"producers": 3, "redundancy": 2}, pairlists=VOLUME)
    manifest = plan(config, user_dir, out)
    assert sharing_producers(manifest)["producer-2"] == ["producer-1", "producer-3"]
