"""The dashboard of a real fleet (simulator, two producers, a consumer, 1m candles) as
``freqfleet up`` serves it, in a real headless Chromium: every planned bot, a new trade of
the consumer, a producer stopped with ``down --only`` and its pairs stale within a
candle; no console error throughout. One fleet for the module's tests."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from freqfleet.fleet import FleetManifest, validate_fleet_config, write_plan
from freqfleet.ports import free_ports
from freqfleet.run import DemoOptions, demo_config, local_api_url
from freqfleet.sim import running_simulator
from tests.kit.browser import Page, browser_page, load
from tests.kit.cli import log_tail, run_freqfleet

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PAIRS = 6  # the stable split gives producer-2 two of them


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Iterator[tuple[FleetManifest, Path, Page]]:
    root = tmp_path_factory.mktemp("fleet-page")
    plan_dir = root / "fleet"
    # A slot more than pairs: the test's forced entry never finds the demo's own trades
    # holding every slot.
    options = DemoOptions(producers=2, pairs=PAIRS, max_open_trades=PAIRS + 1)
    with running_simulator(pairs=PAIRS, seed=5) as sim:
        config = demo_config(sim.exchange_config(sim.pairs), options)
        config["force_entry_enable"] = True  # the test opens a trade through the API
        # and watches it open: no exit signal closes it a loop later (a trade of 0.7 s
        # between two snapshots was never shown), so no exits to follow either.
        config["use_exit_signal"] = False
        config["fleet"]["follow"] = []
        manifest = write_plan(config, validate_fleet_config(config), plan_dir)
        port = free_ports(1)[0]
        up = run_freqfleet("up", str(plan_dir), "--detach", "--dashboard-port", str(port))
        assert up.returncode == 0, up.stdout + up.stderr
        try:
            login = (manifest.consumer.username, manifest.consumer.password)
            with browser_page(root / "profile", login) as page:
                load(page, f"http://127.0.0.1:{port}/")
                yield manifest, plan_dir, page
        finally:
            down = run_freqfleet("down", str(plan_dir))
            assert down.returncode == 0, down.stdout + down.stderr


def test_every_planned_bot_and_pair(fleet) -> None:
    manifest, plan_dir, page = fleet
    nodes = json.dumps([[bot.name, "1"] for bot in manifest.bots], separators=(",", ":"))
    shown = (
        "[...document.querySelectorAll('#topology tr')].map(r => [r.dataset.node, r.dataset.up])"
    )
    page.wait_for(f"JSON.stringify({shown}) === '{nodes}'", 60, "every bot up")
    page.wait_for(
        f"document.querySelectorAll('#pairs tr[data-freshness=fresh]').length === {PAIRS}",
        150,
        "every pair fresh",
    )
    assert page.errors() == [], log_tail(plan_dir / "run" / "dashboard.console.log")


def test_a_new_trade_shows(fleet) -> None:
    manifest, _, page = fleet
    consumer = manifest.consumer
    auth = (consumer.username, consumer.password)
    held = httpx.get(f"{local_api_url(consumer)}/api/v1/status", auth=auth, timeout=30).json()
    shown = page.evaluate("[...document.querySelectorAll('#pairs tr')].map(r => r.dataset.pair)")
    # A pair the demo strategy holds no trade in (freqtrade allows one trade a pair).
    pair = next(p for p in shown if p not in {trade["pair"] for trade in held})
    answer = httpx.post(
        f"{local_api_url(consumer)}/api/v1/forceenter",
        json={"pair": pair},
        auth=auth,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    trade_id = answer.json()["trade_id"]
    page.wait_for(
        f"!!document.querySelector('#trades tr[data-trade-id=\"{trade_id}\"]')", 20, "the trade"
    )
    assert pair in page.evaluate("document.querySelector('#trades').textContent")
    assert page.errors() == []


def test_a_stopped_producers_pairs_turn_stale_within_a_candle(fleet) -> None:
    manifest, plan_dir, page = fleet
    victim = manifest.producers[-1]
    down = run_freqfleet("down", str(plan_dir), "--only", victim.name)
    assert down.returncode == 0, down.stdout + down.stderr
    stopped = time.monotonic()
    page.wait_for(
        f"document.querySelector('#topology tr[data-node=\"{victim.name}\"]').dataset.up === '0'",
        60,
        f"{victim.name} down",
    )
    expected = json.dumps(sorted(victim.pairs), separators=(",", ":"))
    stale = (
        "[...document.querySelectorAll('#pairs tr')].filter(r => r.dataset.freshness === 'stale')"
    )
    page.wait_for(
        f"JSON.stringify({stale}.map(r => r.dataset.pair).sort()) === '{expected}'", 60, "stale"
    )
    assert time.monotonic() - stopped < 60  # within one 1m candle
    assert page.errors() == []
