"""``fleet.redundancy``: every pair in N producers' configs, its order in the plan."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import freqtrade

from freqfleet.fleet.manifest import FleetManifest
from freqfleet.fleet.partition import owners
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.strategy.settings import check_fleet_config
from tests.kit.user_config import PAIRS, user_config

NAMES = ["producer-1", "producer-2", "producer-3"]


def plan(config: dict[str, Any], user_dir: Path, out: Path) -> FleetManifest:
    return write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)


def read(plan_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((plan_dir / name).read_text())


def test_every_pair_goes_to_its_top_n_producers(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(user_config(fleet={"producers": 3, "redundancy": 2}), user_dir, out)
    assert manifest.redundancy == 2
    assert manifest.routes == {pair: owners(pair, NAMES, 2) for pair in PAIRS}
    for bot in manifest.producers:
        whitelist = read(out, f"{bot.name}.json")["exchange"]["pair_whitelist"]
        expected = [pair for pair in PAIRS if bot.name in owners(pair, NAMES, 2)]
        assert whitelist == bot.pairs == expected  # in the user's order
    consumer = read(out, "consumer.json")
    assert consumer["exchange"]["pair_whitelist"] == PAIRS  # each pair once
    settings = check_fleet_config(consumer)
    assert settings is not None
    assert settings.routes == {pair: tuple(owners(pair, NAMES, 2)) for pair in PAIRS}
    assert settings.shares == {bot.name: tuple(bot.pairs) for bot in manifest.producers}


def test_one_producer_per_pair_writes_the_consumer_config_as_before(
    user_dir: Path, tmp_path: Path
) -> None:
    implicit, explicit = tmp_path / "implicit", tmp_path / "explicit"
    plan(user_config(fleet={"producers": 3}), user_dir, implicit)
    plan(user_config(fleet={"producers": 3, "redundancy": 1}), user_dir, explicit)
    consumer = read(explicit, "consumer.json")
    assert "routes" not in consumer["fleet"]
    assert check_fleet_config(consumer).routes is None  # type: ignore[union-attr]
    for name in ["consumer.json", *(f"{name}.json" for name in NAMES)]:
        one, other = read(implicit, name), read(explicit, name)
        for config in (one, other):  # the bots' own secrets differ between the two plans
            config.pop("api_server")
            config.get("external_message_consumer", {}).pop("producers", None)
            config.get("fleet", {}).pop("producer_api", None)
        assert one == other


def test_the_plan_records_what_drift_is_checked_against(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(user_config(), user_dir, out)
    assert manifest.freqtrade_version == freqtrade.__version__
    assert manifest.strategy_hashes
    for path, digest in manifest.strategy_hashes.items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == digest
    assert FleetManifest.load(out) == manifest
