"""Status of bots that cannot answer: a state in the table, never a traceback."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from rich.console import Console

from freqfleet.cli import main
from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.run.status import collect_status, render_status


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


def test_consumer_report_feeds_the_table(tmp_path: Path) -> None:
    manifest = manifest_with_unreachable_bots(tmp_path)
    (tmp_path / "user_data").mkdir()
    (tmp_path / "user_data" / "fleet-state.json").write_text(
        json.dumps(
            {
                "role": "consumer",
                "updated": "2026-01-01T00:00:00+00:00",
                "unrouted_pairs": ["XRP/USDT"],
                "stale_pairs": ["ETH/USDT", "SOL/USDT"],
                "follow": {"followed_exits": 4},
            }
        )
    )
    status = collect_status(tmp_path, manifest, timeout=2)
    assert status.unrouted_pairs == ["XRP/USDT"]
    assert status.stale_pairs == ["ETH/USDT", "SOL/USDT"]
    console = Console(record=True, width=160)
    console.print(render_status(status))
    text = console.export_text()
    assert "pairs with no producer: 1: XRP/USDT" in text
    assert "stale pairs: 2: ETH/USDT, SOL/USDT" in text
    assert "followed_exits 4" in text


def test_commands_refuse_a_folder_without_a_plan(tmp_path: Path, capsys) -> None:
    assert main(["status", str(tmp_path)]) == 2
    assert main(["up", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "freqfleet plan" in err
    assert "Traceback" not in err
