"""Status of bots that cannot answer (a state in the table, never a traceback) and of the
consumer strategy's own report (its age always, its pair lists only while the consumer runs),
and the gateway's line."""

from __future__ import annotations

import io
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console

from freqfleet.cli import main
from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.gateway import running_gateway
from freqfleet.run import status as status_module
from freqfleet.run.status import BotStatus, collect_status, gateway_status
from freqfleet.run.status_table import gateway_line, render_status
from tests.kit.gateway_fleet import plan, user_config


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manifest_with_unreachable_bots(tmp_path: Path) -> FleetManifest:
    bots = [
        BotEntry(
            name="producer-1",
            role="producer",
            config_files=["p1.json"],
            api_port=closed_port(),
            username="u",
            password="secret-password-1",
            pairs=["BTC/USDT"],
        ),
        BotEntry(
            name="consumer",
            role="consumer",
            config_files=["c.json"],
            api_port=closed_port(),
            username="u",
            password="secret-password-2",
        ),
    ]
    manifest = FleetManifest(strategy="FleetSampleStrategy", timeframe="1m", bots=bots)
    manifest.save(tmp_path)
    return manifest


def test_unreachable_bots_show_as_unreachable(tmp_path: Path) -> None:
    manifest = manifest_with_unreachable_bots(tmp_path)
    status = collect_status(tmp_path, manifest, timeout=2)
    assert [bot.state for bot in status.bots] == ["unreachable", "unreachable"]
    console = Console(record=True, width=160)
    console.print(render_status(status))
    text = console.export_text()
    assert "producer-1" in text and "unreachable" in text
    assert "not available on this host" in text


def test_status_command_json_and_exit_code(tmp_path: Path, capsys) -> None:
    manifest_with_unreachable_bots(tmp_path)
    assert main(["status", str(tmp_path), "--json"]) == 1
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert {bot["name"]: bot["state"] for bot in report["bots"]} == {
        "producer-1": "unreachable",
        "consumer": "unreachable",
    }
    assert "secret-password" not in out.out + out.err
    assert "Traceback" not in out.err


def write_report(folder: Path, report: object) -> Path:
    path = folder / "user_data" / "fleet-state.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(report))
    return path


REPORT = {
    "role": "consumer",
    "unrouted_pairs": [f"PAIR{index}/USDT" for index in range(12)],
    "stale_pairs": ["ETH/USDT", "SOL/USDT"],
    "follow": {"followed_exits": 4},
    "producers": {
        "producer-1": {
            "pairs": 3,
            "rejected": {"duplicate": 2, "producer_not_serving": 3},
            "access": "token_rejected",
        }
    },
}


def running_bots(monkeypatch) -> None:
    """Every bot answers "running" (the REST side is covered by the fleet end to end)."""

    def answer(bot: BotEntry, timeframe: str, now: datetime, timeout: float = 5.0) -> BotStatus:
        return BotStatus(name=bot.name, role=bot.role, url="http://x", state="running")

    monkeypatch.setattr(status_module, "bot_status", answer)


def rendered(status) -> str:
    """The table as text, runs of blanks and line breaks made one space (captions wrap)."""
    console = Console(record=True, width=250, file=io.StringIO())
    console.print(render_status(status))
    return " ".join(console.export_text().split())


def test_running_consumer_report_feeds_the_table(tmp_path: Path, monkeypatch, capsys) -> None:
    manifest = manifest_with_unreachable_bots(tmp_path)
    written = datetime.now(UTC) - timedelta(seconds=30)
    write_report(tmp_path, {**REPORT, "updated": written.isoformat()})
    running_bots(monkeypatch)
    status = collect_status(tmp_path, manifest, timeout=2)
    assert status.consumer_running
    assert status.unrouted_pairs == REPORT["unrouted_pairs"]
    assert 29 <= status.consumer_state_age_s < 60
    producer = status.bots[0]
    assert producer.rejected == {"duplicate": 2, "producer_not_serving": 3}
    assert producer.access == "token_rejected"
    text = rendered(status)
    assert "consumer strategy report: written 30 s ago" in text
    assert (
        "unserved pairs: 12 (PAIR0/USDT, PAIR1/USDT, PAIR2/USDT, PAIR3/USDT, PAIR4/USDT, "
        "PAIR5/USDT, ...): the consumer expects them but no producer serves them"
    ) in text
    assert "stale pairs: 2 (ETH/USDT, SOL/USDT)" in text
    assert "token_rejected; rejected 5 (duplicate 2, producer_not_serving 3)" in text
    assert "followed_exits 4" in text

    assert main(["status", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unrouted_pairs"] == REPORT["unrouted_pairs"]
    assert report["bots"][0]["access"] == "token_rejected"
    assert report["bots"][0]["rejected"] == {"duplicate": 2, "producer_not_serving": 3}
    assert report["consumer_running"] is True
    assert report["consumer_state_age_s"] >= 29


def test_stopped_consumer_report_shows_its_age_not_its_pairs(tmp_path: Path) -> None:
    manifest = manifest_with_unreachable_bots(tmp_path)
    written = datetime.now(UTC) - timedelta(hours=3)
    write_report(tmp_path, {**REPORT, "updated": written.isoformat()})
    status = collect_status(tmp_path, manifest, timeout=2)
    assert not status.consumer_running
    assert status.unrouted_pairs == [] and status.stale_pairs == []
    assert status.bots[0].access is None
    text = rendered(status)
    assert "written 3.0 h ago (the consumer is not running: its pair lists are not shown)" in text
    assert "PAIR0/USDT" not in text and "ETH/USDT" not in text
    assert "token_rejected" not in text


def test_a_report_that_is_not_the_schema_is_named_in_one_line(tmp_path: Path, monkeypatch) -> None:
    manifest = manifest_with_unreachable_bots(tmp_path)
    running_bots(monkeypatch)
    path = write_report(
        tmp_path,
        {
            "role": "consumer",
            "updated": 12,
            "unrouted_pairs": "BTC/USDT",
            "stale_pairs": None,
            "follow": [1],
            "producers": {"producer-1": {"rejected": {"odd": "x", "kept": 2, "flag": True}}},
        },
    )
    status = collect_status(tmp_path, manifest, timeout=2)
    assert status.unrouted_pairs == [] and status.stale_pairs == [] and status.follow == {}
    assert status.bots[0].rejected == {}
    assert status.bots[0].access is None
    assert status.consumer_state_age_s is not None  # from the file's time
    assert status.consumer_state_problem == (
        "fleet-state.json: producers.producer-1.rejected.odd: Input should be a valid "
        "integer, unable to parse string as an integer (and 3 more)"
    )
    assert "consumer strategy report: fleet-state.json: producers.producer-1" in rendered(status)
    assert "unserved pairs" not in rendered(status)
    for odd, problem in (
        ([1, 2], "not a JSON object but list"),
        ({"producers": [1], "role": "consumer"}, "producers: Input should be a valid dictionary"),
        ({"role": "consumer", "producers": {"producer-1": 3}}, "producers.producer-1: Input"),
        ({"role": "consumer", "version": 2}, "version 2, this freqfleet reads version 1; run"),
        ({"role": "consumer", "version": "x" * 300}, "version 'xxxxxxxxxxxxxxxxxxxx', this"),
        ({"stale_pairs": []}, "role: Field required"),
        ("{not json", "not JSON (Expecting property name enclosed in double quotes"),
    ):
        path.write_text(odd if isinstance(odd, str) else json.dumps(odd))
        status = collect_status(tmp_path, manifest, timeout=2)
        assert status.consumer_state_problem is not None
        assert status.consumer_state_problem.startswith(f"fleet-state.json: {problem}")
        assert "\n" not in status.consumer_state_problem
        assert status.consumer_state_age_s is not None
        rendered(status)
    path.unlink()
    status = collect_status(tmp_path, manifest, timeout=2)
    assert status.consumer_state_problem is None and status.consumer_state_age_s is None
    assert "not available on this host yet" in rendered(status)


def test_commands_refuse_a_folder_without_a_plan(tmp_path: Path, capsys) -> None:
    assert main(["status", str(tmp_path)]) == 2
    assert main(["up", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "freqfleet plan" in err
    assert "Traceback" not in err


def bots_running_freqtrade(monkeypatch, versions: dict[str, str | None]) -> None:
    """Every bot answers "running" and reports the freqtrade version given for it."""

    def answer(bot: BotEntry, timeframe: str, now: datetime, timeout: float = 5.0) -> BotStatus:
        return BotStatus(
            name=bot.name,
            role=bot.role,
            url="http://x",
            state="running",
            freqtrade=versions[bot.name],
        )

    monkeypatch.setattr(status_module, "bot_status", answer)


def test_mixed_freqtrade_versions_are_warned_about(tmp_path: Path, monkeypatch, capsys) -> None:
    manifest_with_unreachable_bots(tmp_path)
    bots_running_freqtrade(monkeypatch, {"producer-1": "2026.8", "consumer": "2026.9"})
    assert main(["status", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mixed_freqtrade_versions"] is True
    assert report["freqtrade_versions"] == {"2026.8": ["producer-1"], "2026.9": ["consumer"]}
    assert [bot["freqtrade"] for bot in report["bots"]] == ["2026.8", "2026.9"]

    assert main(["status", str(tmp_path)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "warning: the fleet's bots run mixed freqtrade versions: 2026.8 (producer-1); "
        "2026.9 (consumer)"
    ) in text


def test_one_freqtrade_version_is_shown_without_a_warning(tmp_path: Path, monkeypatch) -> None:
    manifest = manifest_with_unreachable_bots(tmp_path)
    # A bot that did not say (an old or unreachable one) does not make the fleet mixed.
    bots_running_freqtrade(monkeypatch, {"producer-1": "2026.9", "consumer": None})
    status = collect_status(tmp_path, manifest, timeout=2)
    assert status.freqtrade_versions == {"2026.9": ["producer-1"]}
    assert not status.mixed_freqtrade_versions
    text = rendered(status)
    assert "2026.9" in text and "mixed" not in text


class VersionClient:
    """Answers like FtRestClient: the version, ``None`` when unreachable."""

    def __init__(self, answer: object) -> None:
        self.answer = answer

    def version(self) -> object:
        return self.answer


def test_version_read_from_the_bot() -> None:
    read = status_module._freqtrade_version
    assert read(VersionClient({"version": "2026.7"}), {}) == "2026.7"
    # No /version answer: show_config carries the version too.
    assert read(VersionClient(None), {"version": "2026.6"}) == "2026.6"
    assert read(VersionClient({"detail": "Unauthorized"}), {}) is None


def test_status_shows_hit_rate_and_weight_against_the_limit(simulator, tmp_path: Path):
    config = user_config({"producers": 1, "gateway": True})
    manifest = plan(config, tmp_path / "plan")
    assert gateway_status(manifest, timeout=1) == {
        "state": "unreachable",
        "url": manifest.gateway.url,
    }
    with running_gateway(simulator.url) as gateway:
        port = int(gateway.url.rsplit(":", 1)[1])
        running = manifest.model_copy(
            update={"gateway": manifest.gateway.model_copy(update={"port": port})}
        )
        httpx.get(gateway.url + "/api/v3/ping")
        status = gateway_status(running)
    assert status["state"] == "running"
    line = gateway_line(status)
    assert "hit rate" in line
    assert "/min of 3000 allowed (exchange limit 6000)" in line
    assert "queued" not in line and "exchange answered" not in line  # none of either


def test_redundant_pairs_show_fresh_producers_and_disagreements(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    manifest = manifest_with_unreachable_bots(tmp_path)
    pairs = {
        "BTC/USDT": {"fresh_producers": 2, "planned_producers": 2},
        "ETH/USDT": {"fresh_producers": 1, "planned_producers": 2},
        "SOL/USDT": {"fresh_producers": 0, "planned_producers": 2},
        "XRP/USDT": {"fresh_producers": 2, "planned_producers": 2},
        "ADA/USDT": {},  # a consumer before the field: left out
    }
    producers = {"producer-1": {"pairs": 4, "disagreements": {"enter_long": 3, "enter_tag": 1}}}
    report = {**REPORT, "producers": producers, "pairs": pairs, "stale_pairs": ["SOL/USDT"]}
    write_report(tmp_path, {**report, "updated": datetime.now(UTC).isoformat()})
    running_bots(monkeypatch)
    status = collect_status(tmp_path, manifest, timeout=2)
    assert status.fresh_producers == {
        "BTC/USDT": (2, 2),
        "ETH/USDT": (1, 2),
        "SOL/USDT": (0, 2),
        "XRP/USDT": (2, 2),
    }
    assert status.bots[0].disagreements == {"enter_long": 3, "enter_tag": 1}
    text = rendered(status)
    assert "fresh producers per pair: 0 of 2: 1, 1 of 2: 1, 2 of 2: 2" in text
    assert "warning: 1 (ETH/USDT 1/2) pairs have fewer fresh producers than planned" in text
    assert "stale pairs: 1 (SOL/USDT)" in text
    assert "disagrees 4 (enter_long 3, enter_tag 1)" in text
    assert main(["status", str(tmp_path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["fresh_producers"]["ETH/USDT"] == [1, 2]


def test_one_producer_per_pair_adds_no_fresh_line(tmp_path: Path, monkeypatch) -> None:
    manifest = manifest_with_unreachable_bots(tmp_path)
    pairs = {"BTC/USDT": {"fresh_producers": 1, "planned_producers": 1}}
    write_report(tmp_path, {**REPORT, "pairs": pairs, "updated": datetime.now(UTC).isoformat()})
    running_bots(monkeypatch)
    assert "fresh producers" not in rendered(collect_status(tmp_path, manifest, timeout=2))
