"""A plan's inputs for building bots' configs in tests: a resolved strategy, the fleet
section as validated, the bots' secrets."""

from __future__ import annotations

from typing import Any

from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.secrets import bot_secrets
from freqfleet.fleet.stubs import StrategyInfo

INFO = StrategyInfo(
    name="MyStrategy",
    fleet_name="MyStrategyFleet",
    timeframe="5m",
    startup_candle_count=30,
    source=None,
    is_fleet=False,
)


def spec_of(config: dict[str, Any]) -> FleetSpec:
    return FleetSpec.model_validate(config["fleet"])


def secrets_of(spec: FleetSpec) -> dict[str, dict[str, str]]:
    return bot_secrets([*spec.producer_names, "consumer"], {}, rotate=False)
