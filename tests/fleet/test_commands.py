"""The planning commands as a user runs them: exit codes, output, and no secret printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from freqfleet.cli import main
from freqfleet.fleet.manifest import FleetManifest
from freqfleet.fleet.secrets import SECRETS_NAME
from tests.kit.user_config import user_config, write_config


def all_secrets(plan_dir: Path) -> list[str]:
    data = json.loads((plan_dir / SECRETS_NAME).read_text())
    return [value for bot in data.values() for value in bot.values()]


def test_plan_command_writes_the_plan_and_prints_no_secret(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(user_dir, user_config())
    out = user_dir / "fleet"
    assert main(["plan", "-c", str(config), "-o", str(out)]) == 0
    assert main(["plan", "-c", str(config), "-o", str(out), "--rotate-secrets"]) == 0
    captured = capsys.readouterr()
    assert "Planned 3 producers and a consumer running MyStrategyFleet on 5m" in captured.out
    assert "http://127.0.0.1:8084" in captured.out
    manifest = FleetManifest.load(out)
    assert [bot.name for bot in manifest.bots] == [
        "producer-1",
        "producer-2",
        "producer-3",
        "consumer",
    ]
    for secret in all_secrets(out):
        assert secret not in captured.out and secret not in captured.err


def test_plan_command_bad_config_exits_2_with_the_field(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(user_dir, user_config(fleet={"producers": 2, "base_port": 80}))
    out = user_dir / "fleet"
    assert main(["plan", "-c", str(config), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "fleet.base_port: must be >= 1024, got 80" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_plan_command_missing_config_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "-c", str(tmp_path / "nope.json"), "-o", str(tmp_path / "f")]) == 2
    assert "not found" in capsys.readouterr().err


def test_plan_warns_about_remote_hosts_without_tls(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = {"producers": [{"name": "a"}, {"name": "b", "host": "192.168.1.20"}]}
    config = write_config(user_dir, user_config(fleet=fleet))
    assert main(["plan", "-c", str(config), "-o", str(user_dir / "fleet")]) == 0
    err = capsys.readouterr().err
    assert "warning: producers on 192.168.1.20 are reached without TLS" in err


def test_console_script_exit_codes(user_dir: Path) -> None:
    """The installed command as scripts call it (a separate process, real stdout/stderr)."""
    good = write_config(user_dir, user_config())
    bad = write_config(user_dir, user_config(fleet={"producers": "two"}), name="bad.json")
    env = {**os.environ, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "freqfleet.cli", "plan"]
    ok = subprocess.run(
        [*command, "-c", str(good), "-o", "fleet"],
        cwd=user_dir,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    failed = subprocess.run(
        [*command, "-c", str(bad), "-o", "fleet"],
        cwd=user_dir,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 2
    assert "fleet.producers: must be a number or a list, got str 'two'" in failed.stderr
    for secret in all_secrets(user_dir / "fleet"):
        for output in (ok.stdout, ok.stderr, failed.stdout, failed.stderr):
            assert secret not in output


def test_plan_finds_the_strategy_in_userdir(user_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = write_config(elsewhere, user_config())
    out = tmp_path / "fleet"
    assert main(["plan", "-c", str(config), "-o", str(out)]) == 2  # not next to this config
    assert not out.exists()
    userdir = str(user_dir / "user_data")
    assert main(["plan", "-c", str(config), "--userdir", userdir, "-o", str(out)]) == 0
    assert (out / "user_data" / "strategies" / "MyStrategyFleet.py").is_file()


def _not_utf8(user_dir: Path) -> list[str]:
    config = write_config(user_dir, user_config())
    config.write_bytes(config.read_bytes().replace(b"a user's config", b"a user\xe2s config"))
    return ["-c", str(config), "-o", str(user_dir / "fleet")]


def _output_under_a_file(user_dir: Path) -> list[str]:
    (user_dir / "afile").write_text("mine")
    config = write_config(user_dir, user_config())
    return ["-c", str(config), "-o", str(user_dir / "afile" / "sub")]


def _output_in_proc(user_dir: Path) -> list[str]:
    if not Path("/proc").is_dir():
        pytest.skip("no /proc on this system")
    return ["-c", str(write_config(user_dir, user_config())), "-o", "/proc/freqfleet-xyz"]


def _strategy_raises(user_dir: Path) -> list[str]:
    source = user_dir / "user_data" / "strategies" / "my_strategy.py"
    source.write_text(source.read_text() + '\nraise RuntimeError("no API key set")\n')
    config = write_config(user_dir, user_config())
    return ["-c", str(config), "-o", str(user_dir / "fleet")]


def _unknown_timeframe(user_dir: Path) -> list[str]:
    config = write_config(user_dir, user_config(timeframe="7q"))
    return ["-c", str(config), "-o", str(user_dir / "fleet")]


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (
            _not_utf8,
            r"/.+/config\.json: is not UTF-8 text \(byte 0xe2 at offset \d+\); save it as UTF-8",
        ),
        (
            _output_under_a_file,
            r"-o .+/afile/sub: .+/afile is a file, not a directory; choose a plan directory",
        ),
        (
            _output_in_proc,
            r"-o /proc/freqfleet-xyz: cannot write the plan there \(.+\); choose a directory "
            "you can write to",
        ),
        (
            _strategy_raises,
            r"strategy: .+/my_strategy\.py cannot be imported \(RuntimeError: no API key set\)",
        ),
        (
            _unknown_timeframe,
            r"/.+/config\.json: timeframe: '7q' is not a timeframe freqtrade can parse; use ",
        ),
    ],
    ids=["config-not-utf8", "output-under-a-file", "output-in-proc", "strategy-raises", "7q"],
)
def test_plan_command_errors_are_one_line_and_write_nothing(
    user_dir: Path, capsys: pytest.CaptureFixture[str], make_args, message: str
) -> None:
    args = make_args(user_dir)
    before = sorted(user_dir.rglob("*"))
    assert main(["plan", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert re.match(r"freqfleet: " + message, err), err
    assert sorted(user_dir.rglob("*")) == before
    assert not Path(args[-1]).exists()


@pytest.mark.parametrize("listen", ["0.0.0.0", "::"])
def test_plan_warns_when_the_apis_listen_on_every_interface(
    user_dir: Path, capsys: pytest.CaptureFixture[str], listen: str
) -> None:
    from freqfleet.fleet.addresses import interface_addresses

    config = write_config(user_dir, user_config(fleet={"producers": 2, "listen": listen}))
    out = user_dir / "fleet"
    assert main(["plan", "-c", str(config), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    warning = next(line for line in captured.err.splitlines() if "every interface" in line)
    assert warning.startswith(f'warning: fleet.listen is "{listen}": the bots\' REST APIs')
    assert "(ports 8081, 8082, 8083)" in warning
    for address in interface_addresses(listen):
        if address not in ("127.0.0.1", "::1"):
            host = f"[{address}]" if ":" in address else address
            assert f"http://{host}:8081" in warning
    assert '"secure": true' in warning and "firewall" in warning
    # The bots listen where the config says; the plan's own clients use loopback.
    consumer = json.loads((out / "consumer.json").read_text())
    assert consumer["api_server"]["listen_ip_address"] == listen
    assert {p["host"] for p in consumer["external_message_consumer"]["producers"]} == {"127.0.0.1"}
    assert "http://127.0.0.1:8083" in captured.out


def test_plan_on_loopback_gives_no_listen_warning(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(user_dir, user_config(fleet={"producers": 2}))
    assert main(["plan", "-c", str(config), "-o", str(user_dir / "fleet")]) == 0
    assert "every interface" not in capsys.readouterr().err
