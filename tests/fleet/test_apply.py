"""``freqfleet apply --dry-run``: the diff, its order and the pairs' gaps, nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from freqfleet import compat
from freqfleet.cli import main
from freqfleet.fleet.apply import (
    RESTART_GAP_SECS,
    ProducerChange,
    diff_fleet,
    pair_gaps,
)
from freqfleet.fleet.manifest import FleetManifest
from freqfleet.fleet.partition import routes
from freqfleet.fleet.replan import replan
from freqfleet.fleet.spec import validate_fleet_config
from tests.kit.user_config import PAIRS, user_config, write_config


def planned(user_dir: Path, fleet: dict[str, Any]) -> Path:
    path = write_config(user_dir, user_config(fleet=fleet))
    assert main(["plan", "-c", str(path), "-o", str(user_dir / "fleet")]) == 0
    return user_dir / "fleet"


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def dry_run(
    user_dir: Path, fleet: dict[str, Any], capsys: pytest.CaptureFixture[str], **changes: Any
) -> list[str]:
    path = write_config(user_dir, user_config(fleet=fleet, **changes), "changed.json")
    capsys.readouterr()
    before = files_of(user_dir / "fleet")
    assert main(["apply", str(user_dir / "fleet"), "-c", str(path), "--dry-run"]) == 0
    assert files_of(user_dir / "fleet") == before  # a dry run writes nothing
    return capsys.readouterr().out.splitlines()


def test_the_same_config_changes_nothing(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned(user_dir, {"producers": 3})
    lines = dry_run(user_dir, {"producers": 3}, capsys)
    assert lines == [f"{user_dir / 'fleet'}: nothing to change (redundancy 1)"]


def test_a_new_producer_starts_first_and_only_unshared_pairs_go_blind(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = planned(user_dir, {"producers": 3})
    old = FleetManifest.load(out)
    config = user_config(fleet={"producers": 4})
    plan = replan(out, config, validate_fleet_config(config), config_dir=user_dir)
    ports = {bot.name: bot.api_port for bot in plan.new.bots}
    # The kept bots keep their ports and secrets; the new one takes a free port.
    assert {bot.name: bot.api_port for bot in old.bots} == {
        name: port for name, port in ports.items() if name != "producer-4"
    }
    assert ports["producer-4"] not in {bot.api_port for bot in old.bots}
    assert (
        plan.new_config("producer-1.json")["api_server"]
        == plan.old_config("producer-1.json")["api_server"]
    )
    diff = diff_fleet(plan)
    actions = {change.name: change.action for change in diff.producers}
    new_routes = routes(PAIRS, ["producer-1", "producer-2", "producer-3", "producer-4"])
    moved = [pair for pair in PAIRS if new_routes[pair] == ["producer-4"]]
    assert actions["producer-4"] == "start"
    assert next(c for c in diff.producers if c.name == "producer-4").added == tuple(moved)
    losers = {name for name in actions if name != "producer-4" and actions[name] == "restart"}
    assert losers == {bot.name for bot in old.producers if set(bot.pairs) & set(moved)}
    assert diff.steps[0].action == "start"
    assert diff.steps[-1].bot == "consumer" and diff.steps[-1].action == "reload_config"
    # A pair that moves to the new producer is served by it while its old one restarts;
    # a pair that stays on a restarting producer has no other.
    restarting = {bot.name for bot in old.producers if bot.name in losers}
    expected = {
        pair: 0.0 if pair in moved or old_owner not in restarting else RESTART_GAP_SECS
        for pair, (old_owner,) in routes(PAIRS, [b.name for b in old.producers]).items()
    }
    assert diff.gaps == expected
    lines = dry_run(user_dir, {"producers": 4}, capsys)
    assert any(line.startswith("  1. start producer-4: wait until") for line in lines)
    assert any("takes it by freqtrade's reload_config" in line for line in lines)
    blind = [line for line in lines if line.startswith("blind:")]
    assert blind and "fleet.redundancy" in blind[0]


def test_with_two_producers_per_pair_a_producer_leaves_without_a_gap(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = planned(
        user_dir, {"producers": [{"name": "a"}, {"name": "b"}, {"name": "c"}], "redundancy": 2}
    )
    config = user_config(fleet={"producers": [{"name": "a"}, {"name": "b"}], "redundancy": 2})
    diff = diff_fleet(replan(out, config, validate_fleet_config(config), config_dir=user_dir))
    assert {c.name: c.action for c in diff.producers}["c"] == "stop"
    assert diff.steps[-2].action == "stop"  # removed producers stop last, then the consumer
    assert diff.gaps == {pair: 0.0 for pair in PAIRS}
    assert diff.blind == []


def test_an_api_change_restarts_the_consumer(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned(user_dir, {"producers": 2})
    lines = dry_run(user_dir, {"producers": 2, "consumer_port": 9555}, capsys)
    consumer = next(line for line in lines if line.strip().startswith("consumer"))
    assert "must restart" in consumer and "api_server.listen_port" in consumer
    assert not any(line.strip().startswith("producer-1") and "restart" in line for line in lines)


def test_an_edited_strategy_restarts_the_producers_and_reloads_the_consumer(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned(user_dir, {"producers": 2})
    strategy = user_dir / "user_data" / "strategies" / "my_strategy.py"
    strategy.write_text(strategy.read_text() + "\n# tuned\n")
    lines = dry_run(user_dir, {"producers": 2}, capsys)
    assert any(
        "strategy files changed: user_data/strategies/my_strategy.py" in line for line in lines
    )
    assert [line.split()[1] for line in lines if line.startswith("  producer-")] == [
        "restart",
        "restart",
    ]
    consumer = next(line for line in lines if line.strip().startswith("consumer"))
    assert "reload_config (changed: strategy files)" in consumer, consumer
    assert lines[lines.index("Order:") + 3] == (
        "  3. reload_config consumer: once no order is in flight; wait until it runs the new "
        "whitelist and producers and strategy files"
    )


def test_an_edited_strategy_restarts_a_consumer_whose_freqtrade_keeps_the_old_code(
    user_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    planned(user_dir, {"producers": 2})
    strategy = user_dir / "user_data" / "strategies" / "my_strategy.py"
    strategy.write_text(strategy.read_text() + "\n# tuned\n")
    # A freqtrade whose resolver loads strategies otherwise (the check itself: test_behaviour)
    monkeypatch.setattr(compat, "reloads_strategy_files", lambda: False)
    lines = dry_run(user_dir, {"producers": 2}, capsys)
    consumer = next(line for line in lines if line.strip().startswith("consumer"))
    assert consumer.endswith("must restart: reload_config cannot take strategy files"), consumer


def test_gaps_follow_the_order_of_the_steps() -> None:
    old = {"X": ["a"], "Y": ["b"]}
    new = {"X": ["a", "b"], "Y": ["b", "a"]}
    steps = [ProducerChange("a", "restart"), ProducerChange("b", "restart")]
    # a restarts while b still runs its old share (Y only): X is blind; b then restarts
    # while a serves its new share (X and Y): Y keeps its analysis.
    assert pair_gaps(old, new, steps, restart_secs=10) == {"X": 10, "Y": 0}
    started = [ProducerChange("c", "start"), *steps]
    assert pair_gaps(old, {"X": ["a", "c"], "Y": ["b", "c"]}, started) == {"X": 0, "Y": 0}


def test_without_dry_run_and_no_running_fleet_the_new_plan_is_written(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = planned(user_dir, {"producers": 2})
    old = FleetManifest.load(out)
    path = write_config(user_dir, user_config(fleet={"producers": 3}), "changed.json")
    assert main(["apply", str(out), "-c", str(path)]) == 0
    assert "No fleet runs there" in capsys.readouterr().out
    new = FleetManifest.load(out)
    assert [bot.name for bot in new.producers] == ["producer-1", "producer-2", "producer-3"]
    kept = {bot.name: bot.api_port for bot in old.bots}
    assert {bot.name: bot.api_port for bot in new.bots if bot.name in kept} == kept
    assert (out / "producer-3.json").is_file()
