"""What ``plan`` warns about, from the config and the fleet section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from freqfleet.fleet.plan_warnings import plan_warnings
from freqfleet.fleet.spec import validate_fleet_config
from tests.kit.user_config import PAIRS, user_config


def test_idle_producer_warning(user_dir: Path) -> None:
    config = user_config(fleet={"producers": 5})
    config["exchange"]["pair_whitelist"] = PAIRS[:2]
    warnings = plan_warnings(config, validate_fleet_config(config))
    assert len(warnings) == 1 and "got no pairs (2 pairs for 5 producers)" in warnings[0]


def redundancy_lines(fleet: dict[str, Any]) -> list[str]:
    config = user_config(fleet=fleet)
    return [w for w in plan_warnings(config, validate_fleet_config(config)) if "redundancy" in w]


def test_producers_of_a_pair_that_must_share_a_host_are_named() -> None:
    assert redundancy_lines({"producers": 3}) == []
    (one_machine,) = redundancy_lines({"producers": 3, "redundancy": 2})
    assert "every producer runs on one machine" in one_machine
    spread = [{"name": "a", "host": "10.0.0.1"}, {"name": "b", "host": "10.0.0.2"}]
    assert redundancy_lines({"producers": spread, "redundancy": 2, "secure": True}) == []
    (short,) = redundancy_lines(
        {
            "producers": [*spread, {"name": "c", "host": "10.0.0.2", "port": 9000}],
            "redundancy": 3,
            "secure": True,
        }
    )
    assert "run on 2 hosts (10.0.0.1, 10.0.0.2)" in short and "can take 2 of a pair's 3" in short


def test_one_producer_per_pair_on_kubernetes_warns_that_a_drain_blinds_it() -> None:
    (drain,) = redundancy_lines({"producers": 2, "kubernetes": {}})
    assert "any drain or eviction" in drain and "PodDisruptionBudget" in drain
    assert not [
        w
        for w in redundancy_lines({"producers": 2, "redundancy": 2, "kubernetes": {}})
        if "drain" in w
    ]


def test_an_export_from_the_kubernetes_flag_warns_too() -> None:
    config = user_config(fleet={"producers": 2})
    spec = validate_fleet_config(config)
    assert not [w for w in plan_warnings(config, spec) if "drain" in w]
    assert [w for w in plan_warnings(config, spec, kubernetes=True) if "any drain" in w]
