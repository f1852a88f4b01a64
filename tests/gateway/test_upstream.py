"""Coalescing, the shared budget and back-off, with a real upstream the test controls.

The gateway app runs in-process behind uvicorn; between it and the real simulator sits a
scripted upstream (:mod:`tests.gateway.servers`) that can hold answers or answer 429/418.
Where the simulator itself must enforce a weight limit, its app runs in-process too, on a
clock whose minute lasts a few seconds (the gateway's budget window the same seconds).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import ccxt
import httpx
import pytest

from freqfleet.gateway.app import GatewayApp
from freqfleet.gateway.profile import BINANCE_SPOT
from freqfleet.sim.app import create_app
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.models.synthetic import SyntheticModel
from tests.gateway.servers import ScriptedUpstream, dropping_first_connection, serving
from tests.kit.sim_requests import days_ago_ms, symbol

KLINES = "/api/v3/klines"


def closed_range(sim, index: int, days: int = 2) -> dict:
    return {"symbol": symbol(sim, index), "interval": "5m", "startTime": days_ago_ms(days)}


def gateway_app(upstream_url: str, **options) -> GatewayApp:
    options.setdefault("share", 0.5)
    options.setdefault("live_ttl", 2.0)
    return GatewayApp(upstream_url, BINANCE_SPOT, **options)


def test_identical_concurrent_requests_make_one_upstream_call(simulator):
    upstream = ScriptedUpstream(simulator.url)
    asked = closed_range(simulator, 3)
    with serving(upstream.app()) as upstream_url:
        app = gateway_app(upstream_url)
        with serving(app) as url:

            async def run() -> list[httpx.Response]:
                async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                    upstream.hold()
                    tasks = [
                        asyncio.ensure_future(client.get(KLINES, params=asked)) for _ in range(8)
                    ]
                    while app.upstream.coalescer.joined < 7:
                        await asyncio.sleep(0.01)
                    upstream.release.set()
                    return await asyncio.gather(*tasks)

            answers = asyncio.run(run())
    assert upstream.paths().count(KLINES) == 1
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len(answers[0].json()) == 500


def test_a_series_being_fetched_serves_a_request_that_differs_by_milliseconds(simulator):
    """Two producers of one pair start together: each asks for the pair's latest candles
    with a start time of its own clock (milliseconds apart), so the queries differ and
    cannot be coalesced; the second waits for the first's answer and is served from it."""
    upstream = ScriptedUpstream(simulator.url)
    start = time.time_ns() // 1_000_000 - 300 * 60_000
    first = {"symbol": symbol(simulator, 9), "interval": "1m", "startTime": start, "limit": 1000}
    second = {**first, "startTime": start + 7}
    with serving(upstream.app()) as upstream_url:
        app = gateway_app(upstream_url)
        with serving(app) as url:

            async def run() -> list[httpx.Response]:
                async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                    upstream.hold()
                    one = asyncio.ensure_future(client.get(KLINES, params=first))
                    while upstream.paths().count(KLINES) < 1:
                        await asyncio.sleep(0.01)
                    two = asyncio.ensure_future(client.get(KLINES, params=second))
                    while app.counters.series_waits < 1:
                        await asyncio.sleep(0.01)
                    upstream.release.set()
                    return list(await asyncio.gather(one, two))

            answers = asyncio.run(run())
            direct = httpx.get(simulator.url + KLINES, params=second).json()
    assert upstream.paths().count(KLINES) == 1
    assert [a.status_code for a in answers] == [200, 200]
    served = answers[1].json()
    # What the exchange itself answers to the second query (the candle in progress moves
    # between the two reads: compared up to the last closed candle).
    assert served[:-1] == direct[: len(served) - 1]
    assert served[0][0] >= second["startTime"] and len(served) == len(answers[0].json())
    assert app.counters.hits == 1


def test_one_budget_for_all_clients_queues_instead_of_failing(simulator):
    upstream = ScriptedUpstream(simulator.url)
    window = 2.0
    with serving(upstream.app()) as upstream_url:
        # 6000 * 0.001 = 6 weight per window: three kline requests (weight 2 each).
        app = gateway_app(upstream_url, share=0.001, budget_window=window)
        # The window each request's weight was spent in, by the gateway's clock (the
        # upstream stamps an arrival a few ms later: one sent just before a window's end
        # arrives in the next).
        spent_in: list[int] = []
        acquire = app.budget.acquire

        async def acquire_and_note(weight: int, *args: Any, **kwargs: Any) -> None:
            await acquire(weight, *args, **kwargs)
            spent_in.extend([int(time.time() // window)] * weight)

        app.budget.acquire = acquire_and_note  # type: ignore[method-assign]
        with serving(app) as url:

            async def client_requests(indexes: list[int]) -> list[int]:
                async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                    answers = await asyncio.gather(
                        *(client.get(KLINES, params=closed_range(simulator, i)) for i in indexes)
                    )
                return [a.status_code for a in answers]

            async def two_clients() -> list[list[int]]:
                return await asyncio.gather(client_requests([4, 5, 6]), client_requests([7, 8]))

            statuses = asyncio.run(two_clients())
    assert statuses == [[200, 200, 200], [200, 200]]
    assert len([path for _, path in upstream.arrivals if path == KLINES]) == 5
    # Ten weight against six a window: spent over two windows, never more than six in one.
    weight_per_window = Counter(spent_in)
    assert len(weight_per_window) >= 2 and max(weight_per_window.values()) <= 6, spent_in
    assert app.budget.queued >= 1


def _early_in_window(window: float) -> None:
    """Sleep to a fifth into a budget window (away from its boundaries)."""
    phase = time.time() % window
    time.sleep((0.2 * window - phase) % window)


def test_the_exchanges_used_weight_header_counts_against_the_budget(simulator):
    upstream = ScriptedUpstream(simulator.url, used_weight=6)
    window = 2.0
    with serving(upstream.app()) as upstream_url:
        app = gateway_app(upstream_url, share=0.001, budget_window=window)
        with serving(app) as url:
            _early_in_window(window)
            first = httpx.get(url + KLINES, params=closed_range(simulator, 9))
            second = httpx.get(url + KLINES, params=closed_range(simulator, 10))
    assert first.status_code == second.status_code == 200
    first_at, second_at = (t for t, path in upstream.arrivals if path == KLINES)
    # The header said the window's weight was used up: the second waited for the next one.
    assert int(second_at // window) > int(first_at // window)


@pytest.mark.parametrize("status", [429, 418])
def test_a_429_or_418_stops_upstream_calls_for_everyone(simulator, status):
    upstream = ScriptedUpstream(simulator.url)
    cached = closed_range(simulator, 11, days=4)
    with serving(upstream.app()) as upstream_url, serving(gateway_app(upstream_url)) as url:
        assert httpx.get(url + KLINES, params=cached).status_code == 200
        upstream.refusals.append((status, "2"))
        refused = httpx.get(url + KLINES, params=closed_range(simulator, 0, days=5))
        calls = len(upstream.arrivals)

        other = httpx.get(url + KLINES, params=closed_range(simulator, 1, days=5))
        from_cache = httpx.get(url + KLINES, params=cached)
        bot = ccxt.binance({"enableRateLimit": False, "urls": {"api": {"public": url + "/api/v3"}}})
        with pytest.raises(ccxt.DDoSProtection):
            bot.publicGetKlines({"symbol": symbol(simulator, 2), "interval": "5m"})
        stats = httpx.get(url + "/gateway/stats").json()
        during = len(upstream.arrivals)

        time.sleep(2.2)
        after = httpx.get(url + KLINES, params=closed_range(simulator, 1, days=5))

    assert refused.status_code == status
    assert refused.headers["retry-after"] == "2"
    assert other.status_code == status
    assert 1 <= int(other.headers["retry-after"]) <= 2
    assert from_cache.status_code == 200
    assert during == calls  # nothing went upstream while backing off
    assert stats["back_off"]["status"] == status
    assert stats["answered_back_off"] >= 2
    assert stats["upstream"][f"answered_{status}"] == 1
    assert stats["upstream"][f"answered_{({429, 418} - {status}).pop()}"] == 0
    assert after.status_code == 200
    assert len(upstream.arrivals) == during + 1


def test_a_429_without_retry_after_backs_off_for_the_profiles_default(simulator):
    upstream = ScriptedUpstream(simulator.url)
    upstream.refusals.append((429, None))
    with serving(upstream.app()) as upstream_url, serving(gateway_app(upstream_url)) as url:
        refused = httpx.get(url + KLINES, params=closed_range(simulator, 3, days=6))
        stats = httpx.get(url + "/gateway/stats").json()
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert 55 <= stats["back_off"]["retry_after"] <= 60


def test_an_exchange_that_does_not_answer_is_a_502_not_a_hang(simulator):
    with serving(gateway_app("http://127.0.0.1:9", timeout=2.0)) as url:
        answer = httpx.get(url + KLINES, params=closed_range(simulator, 4))
        stats = httpx.get(url + "/gateway/stats").json()
        bot = ccxt.binance({"enableRateLimit": False, "urls": {"api": {"public": url + "/api/v3"}}})
        with pytest.raises(ccxt.ExchangeNotAvailable):
            bot.publicGetKlines({"symbol": symbol(simulator, 4), "interval": "5m"})
    assert answer.status_code == 502
    assert "did not answer" in answer.json()["msg"]
    assert stats["upstream"]["failures"] == 1


def test_a_connection_the_exchange_closed_unanswered_is_asked_again_not_a_502():
    with (
        dropping_first_connection(b'{"serverTime": 1}') as (upstream_url, seen),
        serving(gateway_app(upstream_url, timeout=5.0)) as url,
    ):
        answer = httpx.get(url + "/api/v3/time")
        stats = httpx.get(url + "/gateway/stats").json()
    assert answer.status_code == 200
    assert answer.json() == {"serverTime": 1}
    assert seen[0] == 2
    assert stats["upstream"]["reconnects"] == 1
    assert stats["upstream"]["failures"] == 0


def fast_minutes(window: float):
    """A simulator clock (ms) near now whose minutes last ``window`` real seconds and
    start when ``int(time.time() // window)`` changes, as the gateway's budget windows."""
    speed = 60.0 / window
    now_ms = time.time_ns() // 1_000_000
    offset = (now_ms - int(time.time() * 1000 * speed)) // 60_000 * 60_000
    return lambda: offset + int(time.time() * 1000 * speed)


def test_a_burst_beyond_the_exchanges_weight_limit_queues_instead_of_a_429():
    window = 4.0
    simulator = SimExchange(SyntheticModel(pairs=12, seed=7), clock=fast_minutes(window))
    sim_app = create_app(simulator, weight_limit=100)
    # 30 order books at weight 5: 150, more than the simulator's 100 a (4 s) minute.
    asked = [
        {"symbol": market.symbol, "limit": str(limit)}
        for market in simulator.markets
        for limit in (5, 10, 20)
    ][:30]
    with serving(sim_app) as sim_url:
        # Budget: 0.9 x 100 = 90 a window, 18 order books.
        app = gateway_app(sim_url, share=0.9, weight_limit=100, budget_window=window)
        with serving(app) as url:

            async def burst() -> list[int]:
                async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                    answers = await asyncio.gather(
                        *(client.get("/api/v3/depth", params=params) for params in asked)
                    )
                return [answer.status_code for answer in answers]

            _early_in_window(window)
            statuses = asyncio.run(burst())
            stats = httpx.get(url + "/gateway/stats").json()
        sim_stats = httpx.get(sim_url + "/sim/stats").json()
    upstream = stats["upstream"]
    assert statuses == [200] * 30
    assert sim_stats["requests"]["/api/v3/depth"] == 30
    assert sim_stats["errors"] == {}  # no 429 reached (or came from) the simulator
    assert (upstream["answered_429"], upstream["answered_418"]) == (0, 0)
    assert (upstream["budget_per_minute"], upstream["limit_per_minute"]) == (90, 100)
    assert upstream["queued"] >= 12  # what did not fit the first window waited for the next
    assert upstream["queued_seconds"] > 0
    assert upstream["queued_now"] == upstream["dropped"] == 0


def test_a_request_whose_client_hung_up_while_queued_is_dropped_unsent(simulator):
    upstream = ScriptedUpstream(simulator.url)
    window = 3.0
    with serving(upstream.app()) as upstream_url:
        # A budget of 2 a window: one kline request (weight 2) fills it.
        app = gateway_app(upstream_url, share=1.0, weight_limit=2, budget_window=window)
        with serving(app) as url:
            _early_in_window(window)
            first = httpx.get(url + KLINES, params=closed_range(simulator, 5, days=7))
            with pytest.raises(httpx.ReadTimeout):
                httpx.get(url + KLINES, params=closed_range(simulator, 6, days=7), timeout=0.5)
            time.sleep(window + 0.5)  # into the next window, when it would have gone
            stats = httpx.get(url + "/gateway/stats").json()
    assert first.status_code == 200
    assert upstream.paths().count(KLINES) == 1
    assert stats["upstream"]["dropped"] == 1
    assert stats["upstream"]["queued"] == 1
    assert stats["upstream"]["queued_now"] == 0
