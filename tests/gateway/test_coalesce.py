"""Identical requests in flight at the same time make one upstream call."""

from __future__ import annotations

import asyncio

from freqfleet.gateway.coalesce import Coalescer


def test_concurrent_callers_of_one_key_share_one_call() -> None:
    calls: list[str] = []

    async def scenario() -> list[tuple[str, bool]]:
        coalescer: Coalescer[str] = Coalescer()
        release = asyncio.Event()

        async def call(key: str) -> str:
            calls.append(key)
            await release.wait()
            return f"answer for {key}"

        tasks = [
            asyncio.ensure_future(coalescer.run(key, lambda key=key: call(key)))
            for key in ("a", "a", "b", "a")
        ]
        await asyncio.sleep(0)
        assert coalescer.waiting("a") and coalescer.waiting("b")
        release.set()
        results = await asyncio.gather(*tasks)
        assert not coalescer.waiting("a")
        assert coalescer.joined == 2
        return results

    results = asyncio.run(scenario())
    assert sorted(calls) == ["a", "b"]
    assert results == [
        ("answer for a", False),
        ("answer for a", True),
        ("answer for b", False),
        ("answer for a", True),
    ]


def test_a_caller_that_hangs_up_does_not_cancel_the_call_for_the_others() -> None:
    async def scenario() -> tuple[str, bool]:
        coalescer: Coalescer[str] = Coalescer()
        release = asyncio.Event()

        async def call() -> str:
            await release.wait()
            return "answer"

        first = asyncio.ensure_future(coalescer.run("k", call))
        second = asyncio.ensure_future(coalescer.run("k", call))
        await asyncio.sleep(0)
        first.cancel()
        release.set()
        return await second

    assert asyncio.run(scenario()) == ("answer", True)


def test_a_later_call_of_the_same_key_runs_again() -> None:
    count = 0

    async def call() -> int:
        nonlocal count
        count += 1
        return count

    async def scenario() -> list[tuple[int, bool]]:
        coalescer: Coalescer[int] = Coalescer()
        first = await coalescer.run("k", call)
        await asyncio.sleep(0)  # the finished call leaves the table
        return [first, await coalescer.run("k", call)]

    assert asyncio.run(scenario()) == [(1, False), (2, False)]


def test_a_call_is_wanted_while_one_of_its_callers_has_not_hung_up() -> None:
    async def scenario() -> list[bool]:
        coalescer: Coalescer[str] = Coalescer()
        release = asyncio.Event()
        seen: list[bool] = []

        async def call() -> str:
            await release.wait()
            seen.append(coalescer.wanted("k"))
            return "answer"

        first_gone, second_gone = asyncio.Event(), asyncio.Event()
        first = asyncio.ensure_future(coalescer.run("k", call, first_gone))
        second = asyncio.ensure_future(coalescer.run("k", call, second_gone))
        await asyncio.sleep(0)
        first_gone.set()
        seen.append(coalescer.wanted("k"))  # the second still waits
        second_gone.set()
        release.set()
        await asyncio.gather(first, second)
        seen.append(coalescer.wanted("other"))  # not through run(): nobody to ask
        return seen

    assert asyncio.run(scenario()) == [True, False, True]


def test_a_caller_cancelled_no_longer_wants_the_call() -> None:
    async def scenario() -> bool:
        coalescer: Coalescer[str] = Coalescer()
        release = asyncio.Event()

        async def call() -> str:
            await release.wait()
            return "answer"

        caller = asyncio.ensure_future(coalescer.run("k", call))
        await asyncio.sleep(0)
        caller.cancel()
        await asyncio.sleep(0)
        wanted = coalescer.wanted("k")
        release.set()
        await asyncio.sleep(0)
        return wanted

    assert asyncio.run(scenario()) is False
