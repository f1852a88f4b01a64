"""``freqfleet sim`` and ``freqfleet sim config`` on the command line."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from freqtrade.configuration.config_validation import validate_config_schema
from freqtrade.configuration.load_config import load_config_file

from freqfleet.cli import main

pytestmark = pytest.mark.timeout(120)


def test_sim_config_writes_the_exchange_section(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    target = tmp_path / "exchange.json"
    assert main(["sim", "config", "--port", "8601", "--pairs", "7", "-o", str(target)]) == 0
    assert "8601" in capsys.readouterr().out
    section = load_config_file(str(target))["exchange"]
    assert section["name"] == "binance" and section["enable_ws"] is True
    assert section["key"] == section["secret"] == ""
    assert (
        section["pair_whitelist"][:2] == ["BTC/USDT", "ETH/USDT"]
        and len(section["pair_whitelist"]) == 7
    )
    for key in ("ccxt_config", "ccxt_async_config"):
        assert section[key]["urls"]["api"]["public"] == "http://127.0.0.1:8601/api/v3"
        assert section[key]["options"]["fetchMarkets"]["types"] == ["spot"]
        api = dict(section[key]["urls"]["api"])
        streams = api.pop("ws")
        assert all(url.startswith("http://127.0.0.1:8601/") for url in api.values())
        # Every websocket entry of ccxt.pro's binance, nested ones alike, leads here too.
        assert streams["spot"] == "ws://127.0.0.1:8601/ws"
        nested = streams.pop("ws-api")
        stream_urls = [*streams.values(), *nested.values()]
        assert all(url.startswith("ws://127.0.0.1:8601/") for url in stream_urls)
    bot = {
        "max_open_trades": 3,
        "stake_currency": "USDT",
        "stake_amount": 10,
        "dry_run": True,
        "timeframe": "1m",
        "entry_pricing": {"price_side": "same"},
        "exit_pricing": {"price_side": "same"},
        "pairlists": [{"method": "StaticPairList"}],
        "exchange": section,
    }
    validate_config_schema(bot)


def test_sim_config_no_websocket_turns_freqtrades_websockets_off(
    capsys: pytest.CaptureFixture,
) -> None:
    assert main(["sim", "config", "--pairs", "3", "--no-websocket"]) == 0
    section = json.loads(capsys.readouterr().out)["exchange"]
    assert section["enable_ws"] is False
    # The stream URLs stay on the simulator all the same.
    assert section["ccxt_config"]["urls"]["api"]["ws"]["spot"] == "ws://127.0.0.1:8500/ws"


def test_sim_config_futures_writes_a_futures_bots_keys(capsys: pytest.CaptureFixture) -> None:
    assert main(["sim", "config", "--port", "8602", "--pairs", "4", "--futures"]) == 0
    keys = json.loads(capsys.readouterr().out)
    assert (keys["trading_mode"], keys["margin_mode"]) == ("futures", "isolated")
    section = keys["exchange"]
    assert section["pair_whitelist"] == [
        "BTC/USDT:USDT",
        "ETH/USDT:USDT",
        "BNB/USDT:USDT",
        "SOL/USDT:USDT",
    ]
    assert section["ccxt_config"]["urls"]["api"]["fapiPublic"] == "http://127.0.0.1:8602/fapi/v1"
    bot = {
        "max_open_trades": 3,
        "stake_currency": "USDT",
        "stake_amount": 10,
        "dry_run": True,
        "timeframe": "1m",
        "entry_pricing": {"price_side": "same"},
        "exit_pricing": {"price_side": "same"},
        "pairlists": [{"method": "StaticPairList"}],
        **keys,
    }
    validate_config_schema(bot)


def test_sim_config_prints_replay_pairs(capsys: pytest.CaptureFixture) -> None:
    assert main(["sim", "config", "--model", "replay", "--dataset", "binance-2018"]) == 0
    section = json.loads(capsys.readouterr().out)["exchange"]
    assert "ETH/BTC" in section["pair_whitelist"] and len(section["pair_whitelist"]) == 10
    assert section["ccxt_config"]["urls"]["api"]["public"] == "http://127.0.0.1:8500/api/v3"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (["--pairs", "0"], "--pairs"),
        (["--port", "0"], "--port"),
        (["--model", "replay", "--data-dir", "EMPTY"], "--data-dir"),
        (["--data-dir", "EMPTY"], "--model replay"),
        (["--weight-limit", "0"], "--weight-limit"),
        (["--order-limit", "0"], "--order-limit"),
        (["--funding-interval", "7m"], "--funding-interval 7m"),
        (["--funding-interval", "8 hours"], "--funding-interval"),
        (["--account", "BAD_ACCOUNT"], "'secret' must be 64"),
    ],
)
def test_bad_options_fail_in_one_line_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture, arguments: list[str], field: str
) -> None:
    bad_account = tmp_path / "account.json"
    bad_account.write_text('{"key": "' + "k" * 64 + '", "secret": "short", "balances": {}}')
    arguments = [str(tmp_path) if a == "EMPTY" else a for a in arguments]
    arguments = [str(bad_account) if a == "BAD_ACCOUNT" else a for a in arguments]
    target = tmp_path / "exchange.json"
    assert main(["sim", "config", *arguments, "-o", str(target)]) == 2
    error = capsys.readouterr().err.strip()
    assert field in error and len(error.splitlines()) == 1
    assert not target.exists()


def test_sim_prints_the_section_serves_and_stops_on_sigterm() -> None:
    command = [sys.executable, "-m", "freqfleet.cli", "sim", "--port", "0", "--pairs", "3"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.rstrip() == "}":
                break
        text = "".join(line for line in lines if not line.startswith("#"))
        section = json.loads(text)["exchange"]
        url = section["ccxt_config"]["urls"]["api"]["public"]
        assert section["pair_whitelist"] == ["BTC/USDT", "ETH/USDT", "BNB/USDT"]
        assert httpx.get(url + "/ping", timeout=10).json() == {}
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_simulator_log_names_unknown_paths_and_counts_requests() -> None:
    from freqfleet.sim.launcher import running_simulator

    with running_simulator(pairs=2) as sim:
        httpx.get(f"{sim.url}/api/v3/klines", params={"symbol": "ETHUSDT", "interval": "1m"})
        assert httpx.get(f"{sim.url}/sapi/v1/capital/config/getall").status_code == 404
        sim.process.send_signal(signal.SIGTERM)
        assert sim.process.wait(timeout=30) == 0
        log = sim.log_text()
    assert "Not simulated: GET /sapi/v1/capital/config/getall" in log
    assert "Stopped after 2 requests" in log and "'/api/v3/klines': 1" in log


def test_sim_config_with_an_account_writes_a_private_live_section(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    account_path, target = tmp_path / "account.json", tmp_path / "exchange-live.json"
    assert main(["sim", "config", "--pairs", "2", "--account", str(account_path)]) == 2
    refused = capsys.readouterr()
    assert "-o FILE" in refused.err and len(refused.err.strip().splitlines()) == 1
    account = json.loads(account_path.read_text())  # created all the same, mode 0600
    assert stat.S_IMODE(account_path.stat().st_mode) == 0o600
    assert account["secret"] not in refused.out + refused.err
    arguments = ["sim", "config", "--pairs", "2", "--account", str(account_path)]
    assert main([*arguments, "-o", str(target)]) == 0
    printed = capsys.readouterr()
    assert account["secret"] not in printed.out + printed.err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    section = load_config_file(str(target))["exchange"]
    assert (section["key"], section["secret"]) == (account["key"], account["secret"])


def test_sim_with_an_account_prints_where_it_is_never_the_secret(tmp_path: Path) -> None:
    account_path = tmp_path / "account.json"
    command = [sys.executable, "-m", "freqfleet.cli", "sim", "--port", "0", "--pairs", "2"]
    process = subprocess.Popen(
        [*command, "--account", str(account_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if not line or line.startswith("# Account:"):
                break
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    text = "".join(lines) + rest
    assert f"# Account: {account_path} (10000 USDT)" in text
    secret = json.loads(account_path.read_text())["secret"]
    assert secret not in text
