"""The page in a real headless Chromium (DevTools protocol): no console error, every planned
process shown, a stopped producer's pairs stale at once, a new trade shown, the charts
drawn by plotly.js served by the dashboard."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.dashboard.fake_fleet import FakeFleet, fake_fleet, trade
from tests.dashboard.server import running_dashboard
from tests.kit.browser import Page, browser_page, load

pytestmark = pytest.mark.timeout(180)

NODES = "[...document.querySelectorAll('#topology tr')].map(r => [r.dataset.node, r.dataset.up])"


def freshness(page: Page) -> dict[str, str]:
    rows = page.evaluate(
        "[...document.querySelectorAll('#pairs tr')].map(r => [r.dataset.pair, r.dataset.freshness])"
    )
    return dict(rows)


@pytest.fixture(scope="module")
def shown(tmp_path_factory) -> Iterator[tuple[FakeFleet, Page]]:
    root = tmp_path_factory.mktemp("page")
    with (
        fake_fleet(root / "fleet") as fleet,
        running_dashboard(fleet.plan_dir) as (url, _),
        browser_page(root / "profile", (fleet.consumer.username, fleet.consumer.password)) as page,
    ):
        load(page, url)
        yield fleet, page


def test_every_planned_bot_and_pair_without_console_errors(shown) -> None:
    fleet, page = shown
    assert page.evaluate(NODES) == [[bot.name, "1"] for bot in fleet.manifest.bots]
    pairs = freshness(page)
    assert set(pairs) == {pair for share in fleet.shares.values() for pair in share}
    assert set(pairs.values()) == {"fresh"}
    # plotly.js (from the dashboard) drew the heat map and both bar charts.
    for chart in ("heatmap", "producer-chart", "exchange-chart"):
        assert page.evaluate(f"!!document.querySelector('#{chart} .main-svg')"), chart
    assert page.evaluate("document.querySelector('#rejected').textContent") == "duplicate3"
    assert page.errors() == []


def test_a_stopped_producer_turns_its_pairs_stale(shown) -> None:
    fleet, page = shown
    fleet.stop("producer-2")
    page.wait_for(
        "document.querySelector('#topology tr[data-node=\"producer-2\"]').dataset.up === '0'",
        10,
        "producer-2 down",
    )
    pairs = freshness(page)
    assert {pair for pair, state in pairs.items() if state == "stale"} == set(
        fleet.shares["producer-2"]
    )
    assert page.errors() == []


def test_a_new_trade_shows_within_seconds(shown) -> None:
    fleet, page = shown
    assert page.evaluate("document.querySelectorAll('#trades tr').length") == 0
    started = time.monotonic()
    fleet.open_trades([trade(7, "P1X0/USDT")])
    page.wait_for("!!document.querySelector('#trades tr[data-trade-id=\"7\"]')", 10, "trade 7")
    took = time.monotonic() - started
    assert took < 5  # one snapshot interval (0.5 s) and the bots' answers
    assert "P1X0/USDT" in page.evaluate("document.querySelector('#trades').textContent")
    assert page.errors() == []
