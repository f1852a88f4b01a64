"""The gateway's HTTP app: a plain ASGI callable in front of the exchange's public API.

Why plain ASGI (no framework routing): a cached kline answer is the common case and must
cost microseconds; it is one dictionary lookup on the raw query string, a freshness check
and one send. Everything else is read with the exchange profile:

- not public market data (a private path, a key or signature, a non-GET): refused with
  403 and a one-line reason, never forwarded;
- candles: answered from the candle cache when it holds the whole range, otherwise
  fetched (coalesced with identical requests in flight) and learned from; a request for a
  series another bot is fetching waits for that answer and looks at the cache again;
- other public paths: coalesced, and reused for the profile's ``answer_ttl``;
- while the exchange's back-off lasts: answered from cache where possible, otherwise with
  the exchange's own status and Retry-After, so the bot's ccxt backs off instead of
  waiting on a queue;
- a request queued for budget whose client hangs up (ccxt's timeout) is dropped, not
  sent: the bot asks again, and nobody would read the answer;
- ``/gateway/stats``: hits, misses, coalesced requests, upstream weight in the last
  minute against the budget, the exchange's 429/418 answers, requests queued for budget
  (and seconds waited, dropped), back-off state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson

from freqfleet.gateway.budget import MINUTE, BackingOff, Dropped, WeightBudget
from freqfleet.gateway.candles import CandleCache, Series
from freqfleet.gateway.profile import ExchangeProfile, KlineQuery
from freqfleet.gateway.settings import STATS_PATH
from freqfleet.gateway.upstream import UPSTREAM_TIMEOUT, Answer, Upstream

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

JSON = b"application/json"
MEMO_SIZE = 8192
# Answered to a request dropped while queued for budget (its client hung up: unread).
DROPPED = b'{"msg":"freqfleet gateway: dropped, the client hung up while it waited for budget."}'


@dataclass
class Counters:
    # Requests answered per path (cache or upstream), as the bots made them.
    requests: Counter[str] = field(default_factory=Counter)
    hits: int = 0
    misses: int = 0
    refused: int = 0
    backed_off: int = 0
    # Candle requests that waited for another bot's fetch of the same series first.
    series_waits: int = 0


@dataclass(frozen=True)
class Memo:
    """A built candle answer, valid while its series and candle in progress are."""

    series: Series
    version: int
    step: int
    current_open: int
    expires: float
    body: bytes


class GatewayApp:
    """ASGI app: the fleet's view of one exchange's public market data."""

    def __init__(
        self,
        upstream_url: str,
        profile: ExchangeProfile,
        share: float,
        live_ttl: float,
        timeout: float = UPSTREAM_TIMEOUT,
        budget_window: float = MINUTE,
        weight_limit: int | None = None,
    ) -> None:
        """``weight_limit``: the exchange's weight a minute (None: the profile's limit)."""
        self.profile = profile
        limit = weight_limit or profile.limit_per_minute
        self.budget = WeightBudget(limit, share, budget_window)
        self.upstream = Upstream(upstream_url, profile, self.budget, timeout)
        self.candles = {path: CandleCache(live_ttl) for path in profile.kline_paths}
        self.counters = Counters()
        self._memo: dict[tuple[str, bytes], Memo] = {}
        self._answers: dict[tuple[str, str], tuple[float, Answer]] = {}
        # Per (path, symbol, interval): set when the fetch in flight for it has ended.
        self._fetching: dict[tuple[str, str, int], asyncio.Event] = {}

    # -- ASGI -------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            query = scope["query_string"]
            memo = self._memo.get((path, query))
            if memo is not None and scope["method"] == "GET":
                now = time.monotonic()
                step = memo.step
                if (
                    memo.version == memo.series.version
                    and now < memo.expires
                    and time.time_ns() // 1_000_000 // step * step == memo.current_open
                ):
                    counters = self.counters
                    counters.hits += 1
                    counters.requests[path] += 1
                    await _send(send, 200, memo.body)
                    return
            await self._handle(scope, path, query.decode("latin-1"), receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.upstream.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _handle(
        self, scope: Scope, path: str, query: str, receive: Receive, send: Send
    ) -> None:
        if path == STATS_PATH:
            await _send(send, 200, orjson.dumps(self.stats()))
            return
        params = dict(parse_qsl(query, keep_blank_values=True))
        headers = {name.decode("latin-1").lower() for name, _ in scope["headers"]}
        reason = self.profile.refusal(scope["method"], path, params, dict.fromkeys(headers, ""))
        if reason is not None:
            self.counters.refused += 1
            logger.warning("Refused %s %s: %s", scope["method"], path, reason)
            body = orjson.dumps({"code": -1000, "msg": f"freqfleet gateway: {reason}."})
            await _send(send, 403, body)
            return
        self.counters.requests[path] += 1
        if path in self.candles:
            kline = self.profile.kline_query(path, params)
            if kline is not None:
                await self._klines(path, query, kline, receive, send)
                return
        await self._public(path, query, params, receive, send)

    # -- candles ----------------------------------------------------------------------------
    async def _klines(
        self, path: str, query: str, kline: KlineQuery, receive: Receive, send: Send
    ) -> None:
        cache = self.candles[path]
        series_key = (path, kline.symbol, kline.interval_ms)
        fetching = self._fetching.get(series_key)
        if fetching is not None and not self.upstream.coalescer.waiting((path, query)):
            # Another bot's fetch of this series is in flight (two producers of one pair
            # ask within milliseconds, with start times that differ by as much): its answer
            # may cover this one too. (The same query joins that fetch instead.)
            self.counters.series_waits += 1
            await fetching.wait()
        if await self._answer_from_cache(path, query, cache, kline, send):
            return
        self.counters.misses += 1
        weight = self.profile.weight(path, dict(parse_qsl(query)))
        done = asyncio.Event()
        if series_key not in self._fetching:
            self._fetching[series_key] = done
        try:
            async with _hang_up(receive) as gone:
                answer, _ = await self.upstream.get(path, query, weight, gone)
        except BackingOff as stop:
            await self._pass_back_off(stop, send)
            return
        except Dropped:
            await _send(send, 503, DROPPED)
            return
        finally:
            if self._fetching.get(series_key) is done:
                del self._fetching[series_key]
            done.set()
        if answer.status == 200:
            cache.ingest(kline, answer.body, answer.sent_ms, answer.received)
        await _send_answer(send, answer)

    async def _answer_from_cache(
        self, path: str, query: str, cache: CandleCache, kline: KlineQuery, send: Send
    ) -> bool:
        now_ms = time.time_ns() // 1_000_000
        body = cache.answer(kline, now_ms)
        if body is None:
            return False
        self.counters.hits += 1
        self._remember(path, query, cache, kline, now_ms, body)
        await _send(send, 200, body)
        return True

    def _remember(
        self, path: str, query: str, cache: CandleCache, kline: KlineQuery, now_ms: int, body: bytes
    ) -> None:
        series = cache.series[(kline.symbol, kline.interval_ms)]
        plan = cache.plan(kline, series, now_ms)
        if plan is None:
            return
        expires = float("inf")
        if plan.live_open is not None:
            expires = series.live_fetched + cache.live_ttl
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        step = kline.interval_ms
        self._memo[(path, query.encode("latin-1"))] = Memo(
            series, series.version, step, now_ms // step * step, expires, body
        )

    # -- other public market data -------------------------------------------------------------
    async def _public(
        self, path: str, query: str, params: dict[str, str], receive: Receive, send: Send
    ) -> None:
        key = (path, query)
        kept = self._answers.get(key)
        if kept is not None and time.monotonic() < kept[0]:
            self.counters.hits += 1
            await _send_answer(send, kept[1])
            return
        self.counters.misses += 1
        try:
            async with _hang_up(receive) as gone:
                weight = self.profile.weight(path, params)
                answer, _ = await self.upstream.get(path, query, weight, gone)
        except Dropped:
            await _send(send, 503, DROPPED)
            return
        except BackingOff as stop:
            if kept is not None:
                self.counters.hits += 1
                await _send_answer(send, kept[1])  # stale, but better than nothing now
                return
            await self._pass_back_off(stop, send)
            return
        ttl = self.profile.answer_ttl.get(path, 0.0)
        if ttl > 0 and answer.status == 200:
            if len(self._answers) >= MEMO_SIZE:
                self._answers.clear()
            self._answers[key] = (answer.received + ttl, answer)
        await _send_answer(send, answer)

    async def _pass_back_off(self, stop: BackingOff, send: Send) -> None:
        self.counters.backed_off += 1
        back_off = stop.back_off
        headers = [(b"retry-after", str(back_off.retry_after(time.time())).encode())]
        await _send(send, back_off.status, back_off.body, headers)

    # -- stats ------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        counters = self.counters
        answered = counters.hits + counters.misses
        budget = self.budget
        back_off = budget.current_back_off()
        pushed_back = self.upstream.pushed_back
        return {
            "exchange": self.profile.name,
            "hits": counters.hits,
            "misses": counters.misses,
            "hit_rate": round(counters.hits / answered, 4) if answered else None,
            "coalesced": self.upstream.coalescer.joined,
            "series_waits": counters.series_waits,
            "refused": counters.refused,
            "requests": dict(counters.requests),
            "answered_back_off": counters.backed_off,
            "upstream": {
                "requests": self.upstream.requests,
                "failures": self.upstream.failures,
                "reconnects": self.upstream.reconnects,
                "weight_last_minute": budget.spent_last_minute(),
                "used_weight_this_minute": budget.used_this_minute(),
                "budget_per_minute": budget.capacity,
                "limit_per_minute": budget.limit_per_minute,
                "share": budget.share,
                "answered_429": pushed_back[429],
                "answered_418": pushed_back[418],
                "queued": budget.queued,
                "queued_seconds": round(budget.queued_seconds, 1),
                "queued_now": budget.waiting,
                "dropped": budget.dropped,
            },
            "back_off": None
            if back_off is None
            else {"status": back_off.status, "retry_after": back_off.retry_after(time.time())},
            "cache": {path: cache.counts() for path, cache in sorted(self.candles.items())},
        }


@contextlib.asynccontextmanager
async def _hang_up(receive: Receive) -> AsyncIterator[asyncio.Event]:
    """An event set when the client hangs up while the block runs (the server's
    ``http.disconnect``), for a request that may wait for budget."""
    gone = asyncio.Event()

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    watcher = asyncio.ensure_future(watch())
    try:
        yield gone
    finally:
        watcher.cancel()


async def _send(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", JSON),
                (b"content-length", str(len(body)).encode()),
                *(headers or ()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_answer(send: Send, answer: Answer) -> None:
    headers = []
    if answer.retry_after is not None:
        headers.append((b"retry-after", str(answer.retry_after).encode()))
    await _send(send, answer.status, answer.body, headers)


__all__ = ["STATS_PATH", "GatewayApp"]
