"""A plain bot and a fleet enter the same pairs on the same candles, on spot and on futures
(real processes on the simulator).

The two runs (spot_entry_parity.py, futures_entry_parity.py: each a plain bot and a
planned fleet per setup, on a simulator of its own) wait most of their time for 1m
candles, so they run at the same time, each in a thread: the suite waits for the candles
once. Each test then asserts on its own run.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from tests.scenarios.parity import futures_entry_parity, spot_entry_parity

RUN_TIMEOUT = 840.0
"""Seconds a run may take, from its simulator's start to its reconciliation."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[Any]]]:
    """The spot and the futures run, started together."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="entry-parity") as pool:
        yield {
            "spot": pool.submit(spot_entry_parity.run, tmp_path_factory.mktemp("spot")),
            "futures": pool.submit(futures_entry_parity.run, tmp_path_factory.mktemp("futures")),
        }


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT + 60)
def test_plain_bot_and_fleet_enter_the_same_pairs_on_the_same_candles(
    runs: dict[str, Future[Any]],
) -> None:
    run: spot_entry_parity.SpotRun = runs["spot"].result(timeout=RUN_TIMEOUT)
    print("\n" + run.report)
    for comparison in run.comparisons:
        assert len(comparison.union) >= spot_entry_parity.MIN_COMPARED[comparison.setup], run.report
        assert comparison.parity >= spot_entry_parity.MIN_PARITY, run.report
    for _, result in run.wallets:
        assert result.clean and result.placed > 0, run.report


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT + 60)
def test_futures_bot_and_fleet_enter_the_same_pairs_and_sides(
    runs: dict[str, Future[Any]],
) -> None:
    run: futures_entry_parity.FuturesRun = runs["futures"].result(timeout=RUN_TIMEOUT)
    print("\n" + run.report)
    minimum = futures_entry_parity.MIN_COMPARED
    for comparison in run.comparisons:
        assert len(comparison.union) >= minimum[comparison.setup], run.report
        assert comparison.parity >= futures_entry_parity.MIN_PARITY, run.report
    sides = {side for comparison in run.comparisons for _, side, _ in comparison.union}
    assert "short" in sides, run.report
    result = run.reconciliation
    assert result.clean and not result.skipped and run.trades, run.report
    assert any(i["incomeType"] == "FUNDING_FEE" for i in run.futures["income"]), run.report
    # The consumer's leverage came from the producers' entry tags (3x long, 2x short).
    assert all(t["leverage"] == (2 if t["is_short"] else 3) for t in run.trades), run.report
