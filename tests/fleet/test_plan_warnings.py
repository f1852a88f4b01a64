"""What ``plan`` warns about, from the config and the fleet section."""

from __future__ import annotations

from pathlib import Path

from freqfleet.fleet.plan_warnings import plan_warnings
from freqfleet.fleet.spec import validate_fleet_config
from tests.kit.user_config import PAIRS, user_config


def test_idle_producer_warning(user_dir: Path) -> None:
    config = user_config(fleet={"producers": 5})
    config["exchange"]["pair_whitelist"] = PAIRS[:2]
    warnings = plan_warnings(config, validate_fleet_config(config))
    assert len(warnings) == 1 and "got no pairs (2 pairs for 5 producers)" in warnings[0]
