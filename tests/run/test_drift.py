"""Drift: bots running another freqtrade or strategy file than the plan's, found from the
bots' own REST answers and the files on disk."""

from __future__ import annotations

import hashlib
import io
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import freqtrade
from rich.console import Console

from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.run.drift import bot_drift, fleet_drift, strategy_files, usual_strategy_version
from freqfleet.run.status import BotStatus, bot_status, collect_status
from freqfleet.run.status_table import render_status
from tests.kit.freqtrade_api import API_PASSWORD, API_USERNAME, freqtrade_bot_api

STRATEGY = "user_data/strategies/my_strategy.py"


def planned_folder(tmp_path: Path, port: int, version: str = "2026.9") -> FleetManifest:
    """A plan whose one strategy file is on disk as planned, written an hour ago."""
    path = tmp_path / STRATEGY
    path.parent.mkdir(parents=True)
    path.write_text("class MyStrategy: ...\n")
    hour_ago = time.time() - 3600
    os.utime(path, (hour_ago, hour_ago))
    bots = [
        BotEntry(
            name="producer-1",
            role="producer",
            config_files=["producer-1.json"],
            api_port=port,
            username=API_USERNAME,
            password=API_PASSWORD,
        ),
        BotEntry(
            name="consumer",
            role="consumer",
            config_files=["consumer.json"],
            api_port=port,
            username=API_USERNAME,
            password=API_PASSWORD,
        ),
    ]
    manifest = FleetManifest(
        strategy="MyStrategyFleet",
        timeframe="5m",
        bots=bots,
        freqtrade_version=version,
        strategy_hashes={STRATEGY: hashlib.sha256(path.read_bytes()).hexdigest()},
    )
    manifest.save(tmp_path)
    return manifest


def facts(**values: object) -> BotStatus:
    status = BotStatus(name="producer-1", role="producer", url="http://x", state="running")
    for key, value in values.items():
        setattr(status, key, value)
    return status


def test_a_real_bot_api_on_the_plans_release_and_files_shows_no_drift(tmp_path: Path) -> None:
    started = int(time.time())
    config = {"strategy": "MyStrategyFleet"}
    with freqtrade_bot_api(config, strategy_version="1.0", started_ts=started) as port:
        manifest = planned_folder(tmp_path, port, version=freqtrade.__version__)
        answered = bot_status(manifest.producers[0], "5m", now=datetime.now(UTC))
        assert (answered.freqtrade, answered.strategy) == (freqtrade.__version__, "MyStrategyFleet")
        assert (answered.strategy_version, answered.started_ts) == ("1.0", float(started))
        status = collect_status(tmp_path, manifest, timeout=5)
    assert [bot.drift for bot in status.bots] == [[], []]
    assert status.strategy_files_changed == []


def test_a_real_bot_on_another_release_and_strategy_is_flagged(tmp_path: Path) -> None:
    started = int(time.time()) - 7200  # before the plan wrote the strategy file
    config = {"strategy": "OtherStrategy"}
    with freqtrade_bot_api(config, strategy_version=None, started_ts=started) as port:
        manifest = planned_folder(tmp_path, port, version="2020.1")
        status = collect_status(tmp_path, manifest, timeout=5)
    producer = status.bots[0]
    assert (
        producer.drift[0].startswith("runs freqtrade ") and "the plan 2020.1" in producer.drift[0]
    )
    assert producer.drift[1] == "runs strategy OtherStrategy, the plan MyStrategyFleet"
    assert producer.drift[2] == f"started before the plan wrote {STRATEGY}: runs an older one"
    console = Console(record=True, width=250, file=io.StringIO())
    console.print(render_status(status))
    text = " ".join(console.export_text().split())
    assert "warning: drift: producer-1 runs freqtrade" in text and "(drift)" in text


def test_a_file_edited_after_the_plan_is_named_and_so_are_bots_started_since(
    tmp_path: Path,
) -> None:
    manifest = planned_folder(tmp_path, port=9)
    (tmp_path / STRATEGY).write_text("class MyStrategy: pass  # tuned\n")
    files = strategy_files(tmp_path, manifest)
    assert [file.path for file in files if file.changed] == [STRATEGY]
    assert bot_drift(manifest, facts(started_ts=time.time() + 5), files) == [
        f"runs {STRATEGY} as edited after the plan"
    ]
    assert bot_drift(manifest, facts(started_ts=time.time() - 60), files) == []
    (tmp_path / STRATEGY).unlink()
    assert strategy_files(tmp_path, manifest)[0].on_disk is None


def test_the_odd_strategy_version_out(tmp_path: Path) -> None:
    manifest = planned_folder(tmp_path, port=9)
    bots = [facts(name=f"p{i}", strategy_version=v) for i, v in enumerate(["2", "2", "1", None])]
    assert usual_strategy_version(bots) == "2"
    assert fleet_drift(tmp_path, manifest, bots) == {"p2": ["strategy version 1, the others 2"]}
    assert usual_strategy_version(bots[:2]) is None


def test_the_consumer_is_judged_by_the_files_it_reports_running(tmp_path: Path) -> None:
    """Its start time says nothing once it reports content: a consumer that took the
    plan's file by reload_config after the plan shows no drift, one still on the old file
    does, and one running the file as edited on disk is named so."""
    manifest = planned_folder(tmp_path, port=9)
    planned = manifest.strategy_hashes[STRATEGY]
    name = STRATEGY.removeprefix("user_data/strategies/")
    consumer = facts(name="consumer", started_ts=time.time() - 7200)  # before the plan
    assert fleet_drift(tmp_path, manifest, [consumer]) == {
        "consumer": [f"started before the plan wrote {STRATEGY}: runs an older one"]
    }
    assert fleet_drift(tmp_path, manifest, [consumer], {name: planned}) == {}
    older = hashlib.sha256(b"class MyStrategy: pass  # old\n").hexdigest()
    assert fleet_drift(tmp_path, manifest, [consumer], {name: older}) == {
        "consumer": [f"runs another {STRATEGY} than the plan's"]
    }
    edited = b"class MyStrategy: pass  # tuned\n"
    (tmp_path / STRATEGY).write_bytes(edited)
    assert fleet_drift(
        tmp_path, manifest, [consumer], {name: hashlib.sha256(edited).hexdigest()}
    ) == {"consumer": [f"runs {STRATEGY} as edited after the plan"]}
    # A producer reports no files: still judged by its start time.
    producer = facts(started_ts=time.time() + 5)
    assert fleet_drift(tmp_path, manifest, [producer], {name: planned}) == {
        "producer-1": [f"runs {STRATEGY} as edited after the plan"]
    }
