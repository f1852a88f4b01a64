"""``freqfleet demo --futures --live`` as a user runs it: every bot trades the simulator's
USDT perpetuals, the consumer live on the account's futures wallet (the producers in
dry-run), and the consumer shorts on a producer's signal with the leverage the sample
strategy gives that entry tag."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from freqfleet.fleet.manifest import FleetManifest
from tests.kit.cli import log_tail
from tests.kit.demo_plan import bot_get, simulator_url
from tests.kit.waiting import wait_until


def consumer_trades(manifest: FleetManifest) -> list[dict[str, Any]]:
    closed = bot_get(manifest, "consumer", "trades")["trades"]
    return [*closed, *bot_get(manifest, "consumer", "status")]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_futures_demo_consumer_shorts_live_on_the_futures_wallet(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    plan_dir = root / "fleet"
    out = tmp_path / "demo.out"
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    command = [sys.executable, "-m", "freqfleet", "demo", "--futures", "--live"]
    command += ["--producers", "2", "--pairs", "8", "--max-open-trades", "3"]
    command += ["--minutes", "8", "--dir", str(root)]
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

        assert wait_until(consumer_answers, 180, interval=1), out.read_text()[-3000:]
        manifest = FleetManifest.load(plan_dir)
        shown = bot_get(manifest, "consumer", "show_config")
        assert (shown["trading_mode"], shown["margin_mode"]) == ("futures", "isolated")
        assert shown["dry_run"] is False
        for producer in manifest.producers:
            config = bot_get(manifest, producer.name, "show_config")
            assert config["dry_run"] is True and config["trading_mode"] == "futures"

        shorts: list[dict[str, Any]] = []

        def consumer_shorted() -> bool:
            shorts[:] = [t for t in consumer_trades(manifest) if t["is_short"]]
            return bool(shorts)

        assert wait_until(consumer_shorted, 360, interval=5), out.read_text()[-3000:]
        short = shorts[0]
        assert short["pair"].endswith("/USDT:USDT")
        assert (short["enter_tag"], short["leverage"]) == ("ema_cross_down", 3.0)
        account = httpx.get(f"{simulator_url(plan_dir)}/sim/account", timeout=10).json()
        symbol = short["pair"].split("/")[0] + "USDT"
        sells = [
            order
            for order in account["futures"]["orders"]
            if order["symbol"] == symbol and order["side"] == "SELL"
        ]
        assert sells, account["futures"]["orders"]  # the short's order, on the futures wallet
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=90)
            except subprocess.TimeoutExpired:
                demo.kill()
        print(log_tail(plan_dir / "user_data" / "logs" / "consumer.log"))
