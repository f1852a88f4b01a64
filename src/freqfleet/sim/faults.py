"""Injected faults: exchange failures a test asks for, on the next requests to a path.

Why: a live bot's hardest moments are the exchange's failures around an order, and what
makes them hard is whether the order exists: a 503 before processing (no order), the same
503 after it (the order exists, the bot was told it failed), an answer that comes too late
(the bot's client gave up, or the bot was stopped while waiting), a 429. A test posts the
fault, drives the bot, and reads the account.

    POST /sim/faults {"method": "POST", "path": "/api/v3/order", "kind": "error",
                      "status": 503, "after": true, "count": 1}

- ``error``: answer ``status`` (500, 502, 503 or 504) instead of the real answer; 503 is
  Binance's ``-1007`` "Timeout waiting for response from backend server. Send status
  unknown; execution status unknown." (ccxt: ``RequestTimeout``), the others a plain text
  body (ccxt: ``ExchangeNotAvailable``/``RequestTimeout`` from the status). ``after``:
  the request is processed first (the order is placed), then the error answered.
- ``delay``: the request is processed at once, its answer held ``delay_s`` seconds.
- ``rate_limit``: ``429 -1015`` (too many orders), the request not processed.
- ``reject``: ``400`` with one of Binance's order filter failures (``filter``:
  ``PRICE_FILTER``, ``LOT_SIZE``, ``NOTIONAL``, ``MIN_NOTIONAL``, ``PERCENT_PRICE_BY_SIDE``,
  ``MAX_NUM_ORDERS``; ``-1013 "Filter failure: <filter>"``), the request not processed:
  what a bot meets when the exchange tightened a market's filters after the bot loaded
  its markets.

``count`` requests (default 1) matching ``method`` and ``path`` are affected, in the order
they arrive; then the rule is gone. ``DELETE /sim/faults`` removes every rule; ``GET
/sim/faults`` lists them with how many requests each has hit. The simulator's own ``/sim/``
paths cannot be faulted.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

KINDS = ("error", "delay", "rate_limit", "reject")
FILTERS = (
    "PRICE_FILTER",
    "LOT_SIZE",
    "NOTIONAL",
    "MIN_NOTIONAL",
    "PERCENT_PRICE_BY_SIDE",
    "MAX_NUM_ORDERS",
)
ERROR_STATUSES = (500, 502, 503, 504)
METHODS = ("GET", "POST", "DELETE", "PUT")
MAX_DELAY_S = 600.0
TIMEOUT_MSG = (
    "Timeout waiting for response from backend server. Send status unknown; "
    "execution status unknown."
)
_PLAIN = {500: b"Internal Server Error", 502: b"Bad Gateway", 504: b"Gateway Timeout"}


@dataclass
class Fault:
    method: str
    path: str
    kind: str
    status: int = 503
    after: bool = False
    delay_s: float = 0.0
    count: int = 1
    filter: str = "NOTIONAL"
    hits: int = 0


def parse_fault(spec: Any) -> Fault:
    """A rule from ``POST /sim/faults``'s JSON; ValueError naming the field to fix."""
    if not isinstance(spec, dict):
        raise ValueError("send a JSON object with method, path and kind")
    fields = {"method", "path", "kind", "status", "after", "delay_s", "count", "filter"}
    unknown = sorted(set(spec) - fields)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    method = spec.get("method")
    path = spec.get("path")
    kind = spec.get("kind")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("/sim/"):
        raise ValueError("path must be an exchange path such as /api/v3/order")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    status = spec.get("status", 503)
    if kind == "error" and status not in ERROR_STATUSES:
        raise ValueError(f"status must be one of {', '.join(map(str, ERROR_STATUSES))}")
    after = spec.get("after", False)
    if not isinstance(after, bool):
        raise ValueError("after must be true or false")
    delay = spec.get("delay_s", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 600:
        raise ValueError("delay_s must be a number of seconds from 0 to 600")
    count = spec.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be a whole number of requests, at least 1")
    chosen = spec.get("filter", "NOTIONAL")
    if chosen not in FILTERS:
        raise ValueError(f"filter must be one of {', '.join(FILTERS)}")
    return Fault(method, path, kind, int(status), after, float(delay), count, chosen)


class Faults:
    """The rules in force, first posted first applied."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._rules.append(fault)

    def clear(self) -> int:
        with self._lock:
            count = len(self._rules)
            self._rules.clear()
            return count

    def take(self, method: str, path: str) -> Fault | None:
        """The rule for this request, if any (counted; gone once its count is used)."""
        with self._lock:
            for fault in self._rules:
                if fault.method == method and fault.path == path:
                    fault.hits += 1
                    if fault.hits >= fault.count:
                        self._rules.remove(fault)
                    return fault
        return None

    def active(self) -> bool:
        return bool(self._rules)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(fault) for fault in self._rules]


class FaultMiddleware:
    """Applies :class:`Faults` to matching HTTP requests; others pass untouched."""

    def __init__(self, app: ASGIApp, faults: Faults, rate_limit_msg: str) -> None:
        self.app = app
        self.faults = faults
        self.rate_limit_msg = rate_limit_msg

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.active():
            await self.app(scope, receive, send)
            return
        fault = self.faults.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        what = f"{scope['method']} {scope['path']}"
        if fault.kind in ("rate_limit", "reject") or (fault.kind == "error" and not fault.after):
            logger.info("Injected fault: %s %s answered at once", fault.kind, what)
            await self._answer(send, fault)
            return
        held: list[Message] = []

        async def keep(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, keep)
        if fault.kind == "error":
            logger.info("Injected fault: %s processed, answered %s", what, fault.status)
            await self._answer(send, fault)
            return
        logger.info("Injected fault: %s processed, answer held %.1f s", what, fault.delay_s)
        await asyncio.sleep(fault.delay_s)
        for message in held:
            await send(message)

    async def _answer(self, send: Send, fault: Fault) -> None:
        headers = [(b"content-type", b"application/json;charset=UTF-8")]
        if fault.kind == "rate_limit":
            status = 429
            body = orjson.dumps({"code": -1015, "msg": self.rate_limit_msg})
            headers.append((b"retry-after", b"10"))
        elif fault.kind == "reject":
            status = 400
            body = orjson.dumps({"code": -1013, "msg": f"Filter failure: {fault.filter}"})
        elif fault.status == 503:
            status, body = 503, orjson.dumps({"code": -1007, "msg": TIMEOUT_MSG})
        else:
            status, body = fault.status, _PLAIN[fault.status]
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


__all__ = ["Fault", "FaultMiddleware", "Faults", "parse_fault"]
