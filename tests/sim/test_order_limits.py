"""The ORDERS limits: new orders per 10-second window and per UTC day, refused with
Binance's ``429 -1015`` text, counted in its headers, windows aligned as Binance's are."""

from __future__ import annotations

import threading

import pytest

from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.order_limits import (
    ORDERS_PER_10S,
    ORDERS_PER_DAY,
    OrderLimits,
    too_many_orders,
)
from tests.kit.clock import NOW_MS

TEN_S = 10_000
DAY = 86_400_000
WINDOW = NOW_MS - NOW_MS % TEN_S  # the 10-second window NOW_MS lies in
TODAY = NOW_MS - NOW_MS % DAY


def refusal(limits: OrderLimits, now_ms: int) -> BinanceError:
    with pytest.raises(BinanceError) as refused:
        limits.spend(now_ms)
    return refused.value


def counts(limits: OrderLimits, now_ms: int) -> tuple[int, int]:
    headers = limits.headers(now_ms)
    assert set(headers) == {"X-MBX-ORDER-COUNT-10S", "X-MBX-ORDER-COUNT-1D"}
    return int(headers["X-MBX-ORDER-COUNT-10S"]), int(headers["X-MBX-ORDER-COUNT-1D"])


def test_the_defaults_are_binances_spot_limits() -> None:
    limits = OrderLimits()
    assert (limits.per_10s, limits.per_day) == (ORDERS_PER_10S, ORDERS_PER_DAY) == (100, 200_000)


def test_the_refusal_is_binances_429_with_the_limit_and_interval() -> None:
    error = too_many_orders(7, "10 SECOND")
    assert (error.status, error.code) == (429, -1015)
    assert error.msg == "Too many new orders; current limit is 7 orders per 10 SECOND."


def test_the_limit_per_10_seconds_refuses_the_next_order_and_does_not_count_it() -> None:
    limits = OrderLimits(per_10s=3, per_day=100)
    assert counts(limits, NOW_MS) == (0, 0)
    for n in range(1, 4):
        limits.spend(WINDOW + n)
        assert counts(limits, WINDOW + n) == (n, n)
    error = refusal(limits, WINDOW + TEN_S - 1)  # the window's last millisecond
    assert (error.status, error.code) == (429, -1015)
    assert error.msg == "Too many new orders; current limit is 3 orders per 10 SECOND."
    assert counts(limits, WINDOW + TEN_S - 1) == (3, 3)  # the refused order is not counted


def test_the_10_second_window_turns_on_its_boundary_and_the_day_goes_on() -> None:
    limits = OrderLimits(per_10s=2, per_day=100)
    for _ in range(2):
        limits.spend(WINDOW + TEN_S - 1)
    refusal(limits, WINDOW + TEN_S - 1)
    limits.spend(WINDOW + TEN_S)  # a millisecond later: a new window, not a sliding one
    assert counts(limits, WINDOW + TEN_S) == (1, 3)
    # An older window's counts are not shown as the current one's.
    assert counts(limits, WINDOW + 3 * TEN_S) == (0, 3)


def test_the_daily_limit_holds_across_windows_until_the_utc_day_turns() -> None:
    limits = OrderLimits(per_10s=2, per_day=5)
    start = TODAY + DAY - 3 * TEN_S  # the day's last three windows
    for window in range(3):
        for _ in range(2 if window < 2 else 1):
            limits.spend(start + window * TEN_S)
    assert counts(limits, start + 2 * TEN_S) == (1, 5)
    error = refusal(limits, start + 2 * TEN_S)
    assert error.msg == "Too many new orders; current limit is 5 orders per DAY."
    assert error.status == 429 and error.code == -1015
    limits.spend(TODAY + DAY)  # midnight UTC
    assert counts(limits, TODAY + DAY) == (1, 1)


def test_retry_after_is_the_whole_seconds_until_the_window_turns() -> None:
    limits = OrderLimits()
    assert limits.retry_after(WINDOW) == 10
    assert limits.retry_after(WINDOW + 1) == 10  # 9.999 s: rounded up, never too early
    assert limits.retry_after(WINDOW + 5_000) == 5
    assert limits.retry_after(WINDOW + 5_001) == 5
    assert limits.retry_after(WINDOW + TEN_S - 1) == 1


def test_orders_placed_at_once_from_many_threads_are_counted_exactly() -> None:
    limits = OrderLimits(per_10s=50, per_day=1000)
    accepted: list[int] = []
    refused: list[int] = []

    def place() -> None:
        for _ in range(20):
            try:
                limits.spend(WINDOW + 1)
                accepted.append(1)
            except BinanceError:
                refused.append(1)

    threads = [threading.Thread(target=place) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(accepted), len(refused)) == (50, 8 * 20 - 50)
    assert counts(limits, WINDOW + 1) == (50, 50)
