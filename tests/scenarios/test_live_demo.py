"""``freqfleet demo --live`` as a user runs it: the consumer trades live (``dry_run``
false) on the simulator's account, its ``/api/v1/balance`` is that account's balances as
the simulator holds them (``GET /sim/account``), the producers stay dry-run, and the
account's key is in the account file and the consumer's config only."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from freqfleet.fleet.manifest import FleetManifest
from freqfleet.run.demo import ACCOUNT_FILE
from tests.kit.cli import log_tail
from tests.kit.demo_plan import bot_get, simulator_url
from tests.kit.waiting import wait_until


def exchange_balances(balance: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal]]:
    """The consumer's ``/balance`` as asset -> (free, locked), exact as reported."""
    return {
        entry["currency"]: (Decimal(repr(entry["free"])), Decimal(repr(entry["used"])))
        for entry in balance["currencies"]
        if not entry["is_position"]
    }


def account_balances(account: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal]]:
    """The simulator's account as asset -> (free, locked), assets it holds any of."""
    held = {
        asset: (Decimal(values["free"]), Decimal(values["locked"]))
        for asset, values in account["balances"].items()
    }
    return {asset: amounts for asset, amounts in held.items() if any(amounts)}


@pytest.mark.slow
@pytest.mark.timeout(360)
def test_live_demo_consumer_trades_the_simulators_account(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    plan_dir = root / "fleet"
    out = tmp_path / "demo.out"
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    command = [sys.executable, "-m", "freqfleet", "demo", "--live", "--producers", "2"]
    command += ["--pairs", "8", "--max-open-trades", "3", "--minutes", "1.5", "--dir", str(root)]
    with out.open("wb") as output:
        demo = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    try:

        def consumer_answers() -> bool:
            try:
                manifest = FleetManifest.load(plan_dir)
                return bot_get(manifest, "consumer", "ping") == {"status": "pong"}
            except Exception:
                return False

        assert wait_until(consumer_answers, 120, interval=1), out.read_text()[-3000:]
        manifest = FleetManifest.load(plan_dir)
        shown = bot_get(manifest, "consumer", "show_config")
        assert shown["dry_run"] is False and shown["runmode"] == "live"
        for producer in manifest.producers:
            assert bot_get(manifest, producer.name, "show_config")["dry_run"] is True

        url = simulator_url(plan_dir)
        account = httpx.get(f"{url}/sim/account", timeout=10).json()  # unsigned
        started = json.loads((root / ACCOUNT_FILE).read_text())["balances"]
        assert {asset: Decimal(units) for asset, units in started.items()} == {
            "USDT": Decimal(10_000)
        }
        if not account["trades"]:  # nothing filled yet (a loaded machine may be past a close)
            assert account_balances(account) == {"USDT": (Decimal(10_000), Decimal(0))}
        seen: dict[str, Any] = {}

        def balances_match() -> bool:
            # The bot reads its wallet after each fill: a fill just made may not be in yet.
            seen["bot"] = exchange_balances(bot_get(manifest, "consumer", "balance"))
            seen["sim"] = account_balances(httpx.get(f"{url}/sim/account", timeout=10).json())
            return seen["bot"] == seen["sim"]

        assert wait_until(balances_match, 30, interval=1), seen

        # The account file is private, and its key reaches no other file of the plan.
        account_file = root / ACCOUNT_FILE
        assert stat.S_IMODE(account_file.stat().st_mode) == 0o600
        credentials = json.loads(account_file.read_text())
        holders = sorted(
            path.relative_to(root).as_posix()
            for path in root.rglob("*")
            if path.is_file()
            and any(credentials[k].encode() in path.read_bytes() for k in ("key", "secret"))
        )
        assert holders == sorted([ACCOUNT_FILE, "fleet/consumer.json"])

        assert demo.wait(timeout=300) == 0, out.read_text()[-3000:]
        text = " ".join(out.read_text().split())
        assert "consumer trades LIVE on binance with your key (exchange.key, exchange.secret)" in (
            text
        )
        assert f"freqfleet status {plan_dir}" in text
        assert re.search(r"simulator account: (\w+ [0-9.]+ free, [0-9.]+ locked; )*USDT", text)
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=60)
            except subprocess.TimeoutExpired:
                demo.kill()
        print(log_tail(plan_dir / "user_data" / "logs" / "consumer.log"))
