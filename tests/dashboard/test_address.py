"""Where the dashboard listens: the consumer's listen address, the first free port after
the consumer's that no planned process uses, and how ``up`` starts it."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from freqfleet.dashboard import dashboard_spec, dashboard_url, default_port, listen_address
from tests.dashboard.fake_fleet import fake_fleet


def test_listen_address_is_the_consumers(tmp_path: Path) -> None:
    with fake_fleet(tmp_path / "fleet") as fleet:
        assert listen_address(fleet.plan_dir, fleet.manifest) == "127.0.0.1"  # no config
        config = {"api_server": {"listen_ip_address": "0.0.0.0", "listen_port": 1}}
        (fleet.plan_dir / "consumer.json").write_text(json.dumps(config))
        assert listen_address(fleet.plan_dir, fleet.manifest) == "0.0.0.0"
        assert dashboard_url("0.0.0.0", 8123) == "http://127.0.0.1:8123/"


def test_default_port_skips_planned_and_busy_ports(tmp_path: Path) -> None:
    with fake_fleet(tmp_path / "fleet") as fleet:
        manifest = fleet.manifest
        consumer = manifest.consumer.api_port
        planned = {bot.api_port for bot in manifest.bots}
        port = default_port(manifest)
        assert port > consumer and port not in planned
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", port))
            assert default_port(manifest) > port


def test_up_runs_it_as_one_more_process(tmp_path: Path) -> None:
    with fake_fleet(tmp_path / "fleet") as fleet:
        spec = dashboard_spec(fleet.plan_dir, fleet.manifest, 8765)
    assert spec.name == spec.role == "dashboard"
    assert spec.argv == [
        sys.executable,
        "-m",
        "freqfleet",
        "dashboard",
        str(fleet.plan_dir.resolve()),
        "--port",
        "8765",
    ]
    assert spec.ping_url == "http://127.0.0.1:8765/healthz"
    assert spec.console_log == fleet.plan_dir.resolve() / "run" / "dashboard.console.log"
