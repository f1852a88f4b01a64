"""The HTML report: self-contained, and its charts render in a real headless Chromium."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from freqfleet.backtest.commands import offline_markets
from freqfleet.backtest.engine import BacktestRequest, FleetBacktester
from freqfleet.backtest.report import comparison_table, write_html
from tests.kit.chromium import CHROMIUM_FLAGS, chromium


@pytest.fixture
def report(hand_made, tmp_path: Path) -> tuple[Path, object]:
    config_path, datadir, userdir = hand_made
    request = BacktestRequest(config_path, datadir=datadir, userdir=userdir, delayed=True)
    with (
        offline_markets(datadir) as exchange,
        FleetBacktester(request, exchange_override=exchange) as backtester,
    ):
        comparison = backtester.run()
    return write_html(comparison, "BTC", tmp_path / "report" / "fleet.html"), comparison


def test_report_is_self_contained(report) -> None:
    path, comparison = report
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    # plotly's library is inlined: no script or stylesheet is fetched from anywhere.
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"http", page)
    assert "Plotly.newPlot" in page
    assert [p.name for p in path.parent.iterdir()] == ["fleet.html"]
    for figure in comparison.figures:
        assert figure.name in page


def test_terminal_table_lists_every_run(report) -> None:
    _, comparison = report
    console = Console(record=True, width=200)
    console.print(comparison_table(comparison, "BTC"))
    text = console.export_text()
    assert "fleet (one wallet)" in text and "split (2 wallets)" in text
    assert "fleet, entries 1 candle late" in text


@pytest.mark.timeout(180)
def test_report_charts_render_in_chromium(report, tmp_path: Path) -> None:
    path, comparison = report
    browser = chromium()
    dom = subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    # plotly draws into SVG only when its JavaScript ran: two subplots, one line per curve.
    assert dom.count('class="subplot xy"') + dom.count('class="subplot x2y2"') >= 2
    curves = len(comparison.equity_curves()) + len(comparison.utilisation_curves())
    assert dom.count('class="js-line"') >= curves
    assert "Wallet value (realised)" in dom

    screenshot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile2'}",
            "--virtual-time-budget=10000",
            "--window-size=1200,1100",
            f"--screenshot={screenshot}",
            path.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert screenshot.stat().st_size > 20_000  # a blank page is a few kB
