"""Calls to the exchange: budgeted, coalesced, and watched for 429/418.

Why in one place: every byte the gateway asks upstream must pay into the shared budget,
report the exchange's used weight back into it, and start the fleet-wide back-off when
the exchange pushes back, whichever endpoint asked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from freqfleet.gateway.budget import BackingOff, Dropped, WeightBudget
from freqfleet.gateway.coalesce import Coalescer
from freqfleet.gateway.profile import ExchangeProfile

logger = logging.getLogger(__name__)

UPSTREAM_TIMEOUT = 30.0
BACK_OFF_STATUSES = frozenset({418, 429})


@dataclass(frozen=True)
class Answer:
    """An exchange answer as the gateway passes it on."""

    status: int
    body: bytes
    content_type: str
    retry_after: int | None
    sent_ms: int
    received: float  # time.monotonic() at arrival


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 7 * 86_400 else None


class Upstream:
    """The exchange's public REST API behind one budget and one coalescer."""

    def __init__(
        self, base_url: str, profile: ExchangeProfile, budget: WeightBudget, timeout: float
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.budget = budget
        self.coalescer: Coalescer[Answer] = Coalescer()
        self.requests = 0
        self.failures = 0
        self.reconnects = 0  # GETs sent again after a closed kept-alive connection
        # The exchange's 429 and 418 answers, by status.
        self.pushed_back: Counter[int] = Counter()
        self._client = httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            headers={"User-Agent": "freqfleet-gateway"},
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def get(
        self, path: str, query: str, weight: int, gone: asyncio.Event | None = None
    ) -> tuple[Answer, bool]:
        """``GET path?query`` once for all identical concurrent callers.

        Returns the answer and whether this caller joined another's call. Raises
        :class:`BackingOff` while the exchange's back-off lasts, and :class:`Dropped`
        when every caller hung up (``gone`` set) before the request left.
        """
        key = (path, query)
        return await self.coalescer.run(
            key,
            lambda: self._fetch(path, query, weight, lambda: self.coalescer.wanted(key)),
            gone,
        )

    async def _send(self, url: str) -> httpx.Response:
        """GET ``url``, once more when the exchange closed a kept-alive connection just as
        it was reused (the request never reached it: a server may close an idle connection
        at any moment, and the bots' own ccxt would retry it too, costing a 502 first)."""
        try:
            return await self._client.get(url)
        except httpx.RemoteProtocolError:
            self.reconnects += 1
            return await self._client.get(url)

    async def _fetch(
        self, path: str, query: str, weight: int, wanted: Callable[[], bool]
    ) -> Answer:
        await self.budget.acquire(weight, wanted)
        url = self.base_url + path + ("?" + query if query else "")
        sent_ms = time.time_ns() // 1_000_000
        self.requests += 1
        try:
            response = await self._send(url)
        except httpx.HTTPError as error:
            self.failures += 1
            logger.warning("Upstream GET %s failed: %s %s", path, type(error).__name__, error)
            # No exchange error code: ccxt then reads the status (502: ExchangeNotAvailable,
            # a network error freqtrade retries).
            body = (
                b'{"msg":"freqfleet gateway: the exchange did not answer ('
                + type(error).__name__.encode()
                + b')."}'
            )
            return Answer(502, body, "application/json", None, sent_ms, time.monotonic())
        received = time.monotonic()
        used = response.headers.get(self.profile.used_weight_header)
        if used is not None and used.isdigit():
            self.budget.observe_used(int(used))
        retry = _retry_after(response.headers.get("retry-after"))
        if response.status_code in BACK_OFF_STATUSES:
            self.pushed_back[response.status_code] += 1
            if retry is None:
                retry = self.profile.default_retry_after.get(response.status_code, 60.0)
            back_off = self.budget.stop(response.status_code, response.content, retry)
            logger.warning(
                "Exchange answered %s to GET %s: every upstream call waits %s s",
                response.status_code,
                path,
                back_off.retry_after(time.time()),
            )
        return Answer(
            response.status_code,
            response.content,
            response.headers.get("content-type", "application/json"),
            None if retry is None else max(1, round(retry)),
            sent_ms,
            received,
        )


__all__ = ["Answer", "BackingOff", "Dropped", "Upstream"]
