"""``freqfleet dashboard``'s mistakes are one line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest

from freqfleet.cli import main
from tests.dashboard.fake_fleet import fake_fleet


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--interval", "0.01"], "--interval 0.01: use seconds from 0.2 to 300"),
        (["--port", "70000"], "--port 70000: use a port from 0 to 65535"),
    ],
)
def test_bad_options(tmp_path: Path, capsys, extra: list[str], message: str) -> None:
    assert main(["dashboard", str(tmp_path), *extra]) != 0
    assert message in capsys.readouterr().err


def test_not_a_plan(tmp_path: Path, capsys) -> None:
    assert main(["dashboard", str(tmp_path / "nowhere")]) != 0
    assert "is not a folder; give the folder `freqfleet plan -o` wrote" in capsys.readouterr().err
    assert main(["dashboard", str(tmp_path)]) != 0
    assert "no fleet manifest here" in capsys.readouterr().err


def test_a_busy_port_is_one_line(tmp_path: Path, capsys) -> None:
    with fake_fleet(tmp_path / "fleet") as fleet:
        busy = str(fleet.manifest.consumer.api_port)
        assert main(["dashboard", str(fleet.plan_dir), "--port", busy]) != 0
    assert f"--host/--port 127.0.0.1:{busy} cannot be used" in capsys.readouterr().err
