"""A multi-host fleet with ``fleet.redundancy``: a pair's producers on distinct hosts."""

from __future__ import annotations

import json
from pathlib import Path

from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from tests.kit.user_config import PAIRS, user_config

HOSTS = {"a": "10.0.0.1", "b": "10.0.0.1", "c": "10.0.0.2", "d": "10.0.0.2"}


def test_a_pairs_producers_land_on_different_hosts(user_dir: Path, tmp_path: Path) -> None:
    producers = [
        {"name": name, "host": host, "port": 9000 + index}
        for index, (name, host) in enumerate(HOSTS.items())
    ]
    config = user_config(fleet={"producers": producers, "redundancy": 2, "secure": True})
    out = tmp_path / "plan"
    manifest = write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    assert manifest.hosts == HOSTS
    assert manifest.routes is not None and set(manifest.routes) == set(PAIRS)
    for pair, names in manifest.routes.items():
        assert {HOSTS[name] for name in names} == {"10.0.0.1", "10.0.0.2"}, pair
    compose = (out / "docker-compose.yml").read_text()
    consumer = json.loads((out / "consumer.json").read_text())
    assert consumer["fleet"]["routes"] == manifest.routes
    for name in HOSTS:  # each producer's service carries its host's profile
        whitelist = json.loads((out / f"producer-{name}.json").read_text())["exchange"]
        assert whitelist["pair_whitelist"] == [p for p in PAIRS if name in manifest.routes[p]]
    assert "host-10-0-0-1" in compose and "host-10-0-0-2" in compose
