"""``freqfleet new-config``: a complete fleet config and strategy from options or questions."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from freqfleet.cli import main
from freqfleet.fleet.spec import load_fleet_config


def test_new_config_then_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.json"
    args = [
        "new-config",
        "-c",
        str(config),
        "--non-interactive",
        "--producers",
        "4",
        "--strategy",
        "MyNewStrategy",
        "--timeframe",
        "1m",
        "--stake-amount",
        "25",
        "--max-open-trades",
        "4",
        "--simulator",
        "http://127.0.0.1:9",
        "--pairs",
        "BTC/USDT,ETH/USDT,SOL/USDT,XRP/USDT,ADA/USDT",
    ]
    assert main(args) == 0
    loaded, spec = load_fleet_config(config)
    assert spec.producer_names == ["producer-1", "producer-2", "producer-3", "producer-4"]
    assert loaded["timeframe"] == "1m" and loaded["stake_amount"] == 25.0
    assert loaded["exchange"]["pair_whitelist"][0] == "BTC/USDT"
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    strategy = tmp_path / "user_data" / "strategies" / "MyNewStrategy.py"
    assert "class MyNewStrategy(IStrategy):" in strategy.read_text()
    for sub in ("data", "logs", "backtest_results"):
        assert (tmp_path / "user_data" / sub).is_dir()
    assert main(["plan", "-c", str(config), "-o", str(tmp_path / "fleet")]) == 0
    assert "MyNewStrategyFleet on 1m" in capsys.readouterr().out


def test_new_config_with_a_volume_pairlist(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    assert main(["new-config", "-c", str(config), "--non-interactive", "--volume-pairs", "20"]) == 0
    loaded, _ = load_fleet_config(config)
    assert loaded["pairlists"][0] == {
        "method": "VolumePairList",
        "number_assets": 20,
        "sort_key": "quoteVolume",
        "refresh_period": 1800,
    }
    assert loaded["exchange"]["pair_whitelist"] == []
    stub = tmp_path / "user_data" / "strategies" / "FleetSampleStrategy.py"
    assert "class FleetSampleStrategy(samples.FleetSampleStrategy):" in stub.read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--producers", "0"], "fleet.producers: a fleet needs 1 to 64 producers, got 0"),
        (["--stake-amount", "lots"], "--stake-amount: 'lots' is not a number"),
        (["--max-open-trades", "0"], "--max-open-trades: must be >= 1"),
        (["--strategy", "my-strategy"], "--strategy: 'my-strategy' is not a Python class name"),
        (["--timeframe", "7q"], "--timeframe: '7q' is not a timeframe freqtrade can parse; use"),
    ],
)
def test_new_config_bad_options_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    config = tmp_path / "config.json"
    assert main(["new-config", "-c", str(config), "--non-interactive", *extra]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_new_config_keeps_an_existing_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.json"
    config.write_text("{}")
    assert main(["new-config", "-c", str(config), "--non-interactive"]) == 2
    assert "exists already; pass --force" in capsys.readouterr().err
    assert config.read_text() == "{}"
    assert main(["new-config", "-c", str(config), "--non-interactive", "--force"]) == 0
    assert "fleet" in json.loads(config.read_text())


def test_new_config_without_a_terminal_asks_for_non_interactive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with open(os.devnull) as no_terminal:
        monkeypatch.setattr(sys, "stdin", no_terminal)
        assert main(["new-config", "-c", str(tmp_path / "c.json")]) == 2
    assert "pass --non-interactive" in capsys.readouterr().err


def test_interactive_questions_on_a_scripted_terminal(tmp_path: Path) -> None:
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from freqfleet.fleet.newconfig import DEFAULTS, ask, new_config_files

    erase = "\x7f" * 200
    keys = [
        erase + "MyStrat\r",  # strategy
        "\x1b[B\r",  # timeframe: one below the default 5m
        "\r",  # exchange
        "\r",  # trading mode: spot (no margin mode question then)
        "\r",  # stake currency
        erase + "20\r",  # stake amount
        "\r",  # max open trades
        "\r",  # dry-run
        erase + "\r",  # no static pairs ...
        erase + "12\r",  # ... so a VolumePairList of 12
        erase + "3\r",  # producers
        "\r",  # base port
    ]
    with create_pipe_input() as terminal:
        terminal.send_text("".join(keys))
        answers = ask(dict(DEFAULTS), input=terminal, output=DummyOutput())
    assert answers["strategy"] == "MyStrat"
    assert answers["timeframe"] == "15m"
    assert answers["stake_amount"] == 20.0
    assert answers["volume_pairs"] == 12 and answers["producers"] == 3
    files = new_config_files(answers, tmp_path / "config.json", Path("user_data"))
    config = json.loads(files[tmp_path / "config.json"][0])
    assert config["pairlists"][0]["number_assets"] == 12
    assert config["fleet"]["producers"] == 3


def test_interactive_futures_asks_the_margin_mode(tmp_path: Path) -> None:
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from freqfleet.fleet.newconfig import DEFAULTS, ask, new_config_files

    down = "\x1b[B"
    keys = ["\r", "\r", "\r", down + "\r", down + "\r", *["\r"] * 8]
    with create_pipe_input() as terminal:
        terminal.send_text("".join(keys))
        answers = ask(dict(DEFAULTS), input=terminal, output=DummyOutput())
    assert (answers["trading_mode"], answers["margin_mode"]) == ("futures", "cross")
    files = new_config_files(answers, tmp_path / "config.json", Path("user_data"))
    config = json.loads(files[tmp_path / "config.json"][0])
    assert config["margin_mode"] == "cross"
    assert config["exchange"]["pair_whitelist"][0] == "BTC/USDT:USDT"


def test_new_config_on_futures_then_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.json"
    args = ["new-config", "-c", str(config), "--non-interactive", "--trading-mode", "futures"]
    assert main([*args, "--pairs", "BTC/USDT,ETH/USDT:USDT,SOL/USDT"]) == 0
    out = capsys.readouterr().out
    assert "can_short = True" in out
    loaded, _ = load_fleet_config(config)
    assert (loaded["trading_mode"], loaded["margin_mode"]) == ("futures", "isolated")
    assert loaded["exchange"]["pair_whitelist"] == [
        "BTC/USDT:USDT",
        "ETH/USDT:USDT",
        "SOL/USDT:USDT",
    ]
    assert loaded["strategy"] == "FleetFuturesSampleStrategy"
    stub = tmp_path / "user_data" / "strategies" / "FleetFuturesSampleStrategy.py"
    assert "samples.FleetFuturesSampleStrategy" in stub.read_text()
    assert main(["plan", "-c", str(config), "-o", str(tmp_path / "fleet")]) == 0
    for name in ("producer-1.json", "producer-2.json", "consumer.json"):
        bot = json.loads((tmp_path / "fleet" / name).read_text())
        assert (bot["trading_mode"], bot["margin_mode"]) == ("futures", "isolated"), name
        assert all(pair.endswith(":USDT") for pair in bot["exchange"]["pair_whitelist"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--trading-mode", "margin"], "--trading-mode: 'margin' is not a trading mode; use spot"),
        (
            ["--trading-mode", "futures", "--margin-mode", "portfolio"],
            "--margin-mode: 'portfolio' is not a margin mode; use isolated or cross",
        ),
    ],
)
def test_new_config_bad_modes_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(["new-config", "-c", str(tmp_path / "c.json"), "--non-interactive", *extra]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
