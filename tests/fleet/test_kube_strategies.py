"""The strategy files of the Kubernetes export reach every pod at their paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from freqfleet.errors import ConfigError
from freqfleet.fleet import kube_strategies
from freqfleet.fleet.kubernetes import K8S_DIR
from tests.kit.kube_export import (
    cluster_config,
    export,
    plan,
    validate_all,
)
from tests.kit.kube_pods import (
    all_documents,
    lay_out_pod,
)

# --- strategy files ------------------------------------------------------------------------


def test_strategy_files_reach_the_pod_at_their_paths(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    strategies = user_dir / "user_data" / "strategies"
    (strategies / "helpers").mkdir()
    (strategies / "helpers" / "__init__.py").write_text("X = 1\n")
    (strategies / "helpers" / "table.bin").write_bytes(bytes(range(256)))
    (strategies / "big.py").write_text("# " + "x" * 3000 + "\n")
    monkeypatch.setattr(
        kube_strategies, "CONFIGMAP_BUDGET", 3500
    )  # big.py fits, but not beside the rest
    out = tmp_path / "plan"
    manifest = plan(cluster_config(), user_dir, out)
    manifests = export(out)
    maps = [d for d in all_documents(manifests) if d["kind"] == "ConfigMap"]
    assert len([d for d in maps if d["metadata"]["name"].startswith("strategies")]) > 1
    validate_all(out / K8S_DIR)
    root = tmp_path / "pod"
    lay_out_pod(manifests, "producer-1", root, {})
    planned = out / manifest.userdir / "strategies"
    in_pod = root / manifest.userdir / "strategies"
    expected = {
        str(p.relative_to(planned)): p.read_bytes() for p in planned.rglob("*") if p.is_file()
    }
    assert {
        str(p.relative_to(in_pod)): p.read_bytes() for p in in_pod.rglob("*") if p.is_file()
    } == expected
    assert "helpers/table.bin" in expected

    monkeypatch.setattr(kube_strategies, "CONFIGMAP_BUDGET", 1000)
    with pytest.raises(
        ConfigError, match=r"^strategy: big\.py has 2 KiB, more than a Kubernetes ConfigMap"
    ):
        plan(cluster_config(), user_dir, tmp_path / "too-big")
    assert not (tmp_path / "too-big").exists()
