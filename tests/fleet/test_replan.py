"""Planning a running fleet again: kept bots keep their ports, new ones take free ports."""

from __future__ import annotations

from pathlib import Path

from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.replan import keep_ports, replan
from freqfleet.fleet.spec import validate_fleet_config
from tests.kit.user_config import user_config


def bot(name: str, port: int) -> BotEntry:
    role = "consumer" if name == "consumer" else "producer"
    return BotEntry(
        name=name,
        role=role,
        config_files=[f"{name}.json"],
        api_port=port,
        username="u",
        password="p" * 32,
    )


def manifest(**ports: int) -> FleetManifest:
    return FleetManifest(
        strategy="S",
        timeframe="5m",
        bots=[bot(name.replace("_", "-"), port) for name, port in ports.items()],
    )


def test_kept_bots_keep_their_ports_and_a_new_producer_avoids_them() -> None:
    old = manifest(producer_1=8081, producer_2=8082, consumer=8083)
    kept = keep_ports(FleetSpec.model_validate({"producers": 3}), old)
    assert [kept.producer_port(i) for i in range(3)] == [8081, 8082, 8084]
    assert kept.consumer_api_port == 8083
    assert kept.producer_names == ["producer-1", "producer-2", "producer-3"]


def test_ports_the_config_names_win() -> None:
    old = manifest(a=9001, consumer=9002)
    spec = FleetSpec.model_validate(
        {"producers": [{"name": "a", "port": 9100}, {"name": "b"}], "consumer_port": 9200}
    )
    kept = keep_ports(spec, old)
    assert [kept.producer_port(i) for i in range(2)] == [9100, 8082]
    assert kept.consumer_api_port == 9200


def test_replan_keeps_the_running_bots_settings_and_writes_nothing(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "fleet"
    config = user_config(fleet={"producers": 2})
    write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    before = sorted(p.name for p in out.iterdir())
    grown = user_config(fleet={"producers": 3})
    plan = replan(out, grown, validate_fleet_config(grown), config_dir=user_dir)
    for name in ("producer-1.json", "producer-2.json", "consumer.json"):
        assert plan.new_config(name)["api_server"] == plan.old_config(name)["api_server"]
    assert plan.new.consumer.api_port == plan.old.consumer.api_port == 8083
    assert plan.strategy_files_changed() == []
    assert sorted(p.name for p in out.iterdir()) == before
