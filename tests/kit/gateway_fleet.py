"""A fleet config for the ``fleet.gateway`` tests: the demo's (a sample strategy) for a
simulator that need not run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from freqfleet.fleet import FleetManifest, validate_fleet_config, write_plan
from freqfleet.run.demo import DemoOptions, demo_config
from freqfleet.sim import exchange_config

SIM = "http://127.0.0.1:9"


def user_config(fleet: dict[str, Any]) -> dict[str, Any]:
    """The demo's config (a sample strategy) for a simulator at ``SIM``, with ``fleet``."""
    config = demo_config(
        exchange_config(SIM, [f"{base}/USDT" for base in ("BTC", "ETH", "SOL", "XRP")]),
        DemoOptions(producers=2, pairs=4),
    )
    producers = fleet.get("producers", 2)
    if isinstance(producers, int):
        producers = config["fleet"]["producers"][:producers]
    return {**config, "fleet": {**config["fleet"], **fleet, "producers": producers}}


def plan(config: dict[str, Any], out: Path) -> FleetManifest:
    """``config`` planned into ``out``."""
    return write_plan(config, validate_fleet_config(config), out)
