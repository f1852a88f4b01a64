"""One weight budget per exchange minute for the whole fleet: requests that do not fit
wait for the next minute; the exchange's header and its 429/418 are obeyed by everyone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import time_machine

from freqfleet.gateway.budget import BackingOff, Dropped, WeightBudget

# 10 s into a minute: past the grace in which the exchange's header may be last minute's.
MINUTE_START = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
INSIDE = datetime(2026, 3, 4, 5, 6, 10, tzinfo=UTC)
NEXT_MINUTE = datetime(2026, 3, 4, 5, 7, 0, 100_000, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(INSIDE, tick=False) as traveller:
        yield traveller


def test_capacity_is_the_share_of_the_limit(clock) -> None:
    assert WeightBudget(6000, 0.5).capacity == 3000
    assert WeightBudget(10, 0.01).capacity == 1  # never zero


def test_spending_counts_within_the_minute_and_rolls_over(clock) -> None:
    budget = WeightBudget(100, 0.5)
    asyncio.run(budget.acquire(20))
    asyncio.run(budget.acquire(30))
    assert budget.used_this_minute() == 50
    assert budget.spent_last_minute() == 50
    clock.move_to(NEXT_MINUTE)
    assert budget.used_this_minute() == 0
    assert budget.spent_last_minute() == 50  # sliding: the last 60 s still hold them
    clock.shift(61)
    assert budget.spent_last_minute() == 0


def test_a_request_that_does_not_fit_waits_for_the_next_minute(clock) -> None:
    budget = WeightBudget(100, 0.5)

    async def scenario() -> tuple[bool, int]:
        await budget.acquire(45)
        waiting = asyncio.ensure_future(budget.acquire(10))
        await asyncio.sleep(0.3)
        still_waiting = not waiting.done()
        clock.move_to(NEXT_MINUTE)
        await asyncio.wait_for(waiting, timeout=10)
        return still_waiting, budget.used_this_minute()

    still_waiting, used = asyncio.run(scenario())
    assert still_waiting
    assert used == 10
    assert (budget.queued, budget.waiting, budget.dropped) == (1, 0, 0)
    assert budget.queued_seconds >= 0.3


def test_requests_behind_a_waiting_one_queue_too_and_are_counted_once(clock) -> None:
    budget = WeightBudget(100, 0.5)

    async def scenario() -> int:
        await budget.acquire(45)
        waiting = [asyncio.ensure_future(budget.acquire(10)) for _ in range(3)]
        await asyncio.sleep(0.1)
        now = budget.waiting
        clock.move_to(NEXT_MINUTE)
        await asyncio.wait_for(asyncio.gather(*waiting), timeout=10)
        return now

    assert asyncio.run(scenario()) == 3
    assert (budget.queued, budget.waiting) == (3, 0)
    assert budget.used_this_minute() == 30


def test_a_waiting_request_nobody_wants_any_more_is_dropped_unspent(clock) -> None:
    budget = WeightBudget(100, 0.5)
    wanted = True

    async def scenario() -> None:
        nonlocal wanted
        await budget.acquire(45)
        waiting = asyncio.ensure_future(budget.acquire(10, lambda: wanted))
        await asyncio.sleep(0.1)
        wanted = False  # its client hung up
        clock.move_to(NEXT_MINUTE)
        with pytest.raises(Dropped):
            await asyncio.wait_for(waiting, timeout=10)

    asyncio.run(scenario())
    assert budget.dropped == 1
    assert budget.used_this_minute() == 0


def test_a_request_heavier_than_the_budget_goes_alone_in_its_minute(clock) -> None:
    budget = WeightBudget(100, 0.5)
    asyncio.run(budget.acquire(80))
    assert budget.used_this_minute() == 80


def test_the_exchanges_header_raises_the_count_after_the_grace_only(clock) -> None:
    budget = WeightBudget(100, 0.5)
    asyncio.run(budget.acquire(5))
    budget.observe_used(3)  # lower than our own count: ours stands
    assert budget.used_this_minute() == 5
    budget.observe_used(40)  # others on the same IP spent too
    assert budget.used_this_minute() == 40
    clock.move_to(MINUTE_START.replace(minute=7))  # first moment of a new minute
    budget.observe_used(90)  # may be the last minute's count: not trusted
    assert budget.used_this_minute() == 0


def test_a_429_stops_every_caller_until_retry_after(clock) -> None:
    budget = WeightBudget(100, 0.5)
    back_off = budget.stop(429, b'{"code":-1003}', retry_after=30)
    assert back_off.retry_after(INSIDE.timestamp()) == 30
    with pytest.raises(BackingOff) as raised:
        asyncio.run(budget.acquire(1))
    assert raised.value.back_off == back_off
    # A shorter later back-off does not shorten it; a longer one extends it.
    assert budget.stop(429, b"", retry_after=5) == back_off
    assert budget.stop(418, b"ban", retry_after=60).status == 418
    clock.shift(61)
    assert budget.current_back_off() is None
    asyncio.run(budget.acquire(1))
    assert budget.used_this_minute() == 1
