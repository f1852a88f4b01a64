"""Background subscription to the producers' trade events.

One daemon thread runs its own asyncio loop with one task per producer: connect to the
producer's message websocket, subscribe to the trade events, and hand every followable
event to ``sink`` (thread-safe; the bot thread drains it). On every (re)connect the task
asks the producer's REST API for its open and recent closed trades, so exits that
happened while the consumer was away are still seen. Connection failures back off
exponentially (capped); nothing here ever blocks the bot loop, and the ws token never
appears in a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import websockets

from freqfleet.botapi import BotApi, BotApiError
from freqfleet.strategy.follow.events import (
    TRADE_EVENT_TYPES,
    FollowEvent,
    OpenTrades,
    from_closed_trade,
    from_message,
)

logger = logging.getLogger(__name__)

# The websockets library logs each request line, token included, at DEBUG level: give it
# a logger of its own that never goes below INFO, whatever the bot's verbosity.
websocket_logger = logging.getLogger(f"{__name__}.websocket")
websocket_logger.setLevel(logging.INFO)

CATCH_UP_CLOSED_TRADES = 100
"""Recent closed trades asked of a producer on (re)connect."""

STABLE_CONNECTION_SECS = 10.0
"""A connection that lasted this long resets the reconnect backoff."""


@dataclass(frozen=True)
class ProducerEndpoint:
    """Where to reach one producer (from ``external_message_consumer.producers`` and
    ``fleet.producer_api``)."""

    name: str
    host: str
    port: int
    ws_token: str = field(repr=False)
    secure: bool = False
    api_url: str | None = None
    api_username: str | None = None
    api_password: str | None = field(default=None, repr=False)

    @property
    def ws_url(self) -> str:
        scheme = "wss" if self.secure else "ws"
        return f"{scheme}://{self.host}:{self.port}/api/v1/message/ws?token={self.ws_token}"

    @property
    def display(self) -> str:
        """The endpoint without its token, for logs."""
        return f"{self.name} ({self.host}:{self.port})"


@dataclass
class ConnectionState:
    """What `freqfleet status` shows per producer."""

    connected: bool = False
    connects: int = 0
    failures: int = 0
    events: int = 0
    last_event: datetime | None = None
    catch_ups: int = 0
    catch_up_failures: int = 0
    producer_open_trades: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "connects": self.connects,
            "failures": self.failures,
            "events": self.events,
            "last_event": self.last_event.isoformat() if self.last_event else None,
            "catch_ups": self.catch_ups,
            "catch_up_failures": self.catch_up_failures,
            "producer_open_trades": self.producer_open_trades,
        }


Sink = Callable[[FollowEvent | OpenTrades], None]


class SubscriptionRunner:
    """Keeps one subscription per producer alive in a background thread."""

    def __init__(
        self,
        producers: list[ProducerEndpoint],
        sink: Sink,
        *,
        initial_backoff: float = 1.0,
        max_backoff: float = 30.0,
        message_size_limit: int = 8 * 1024 * 1024,
    ) -> None:
        self.producers = producers
        self.sink = sink
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.message_size_limit = message_size_limit
        self.states: dict[str, ConnectionState] = {p.name: ConnectionState() for p in producers}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task | None = None
        self._stopping = threading.Event()
        self._started = threading.Event()

    # -- lifecycle (called from the bot thread) -----------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="freqfleet-follow", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel the subscriptions and wait for the thread (idempotent)."""
        self._stopping.set()
        loop, main = self._loop, self._main
        if loop is not None and main is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(main.cancel)
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the background thread ----------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main_task())
        finally:
            loop.close()

    async def _main_task(self) -> None:
        self._main = asyncio.current_task()
        self._started.set()
        if self._stopping.is_set():
            return
        tasks = [asyncio.create_task(self._follow(p)) for p in self.producers]
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            pass
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for state in self.states.values():
                state.connected = False

    async def _follow(self, producer: ProducerEndpoint) -> None:
        state = self.states[producer.name]
        backoff = self.initial_backoff
        while not self._stopping.is_set():
            connected_at: float | None = None
            try:
                async with websockets.connect(
                    producer.ws_url,
                    max_size=self.message_size_limit,
                    open_timeout=10,
                    ping_interval=20,
                    ping_timeout=20,
                    close_timeout=2,
                    logger=websocket_logger,
                ) as ws:
                    await ws.send(json.dumps({"type": "subscribe", "data": TRADE_EVENT_TYPES}))
                    state.connected = True
                    state.connects += 1
                    connected_at = asyncio.get_running_loop().time()
                    logger.info("Following trades of producer %s", producer.display)
                    catch_up = asyncio.create_task(self._catch_up(producer))
                    try:
                        async for raw in ws:
                            self._receive(producer, raw)
                    finally:
                        catch_up.cancel()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: log without the token, then retry
                state.failures += 1
                logger.warning(
                    "Trade events of producer %s unavailable (%s); retrying in %.0f s",
                    producer.display,
                    _describe(exc, producer.ws_token),
                    backoff,
                )
            finally:
                state.connected = False
            if self._stopping.is_set():
                break
            if connected_at is not None and (
                asyncio.get_running_loop().time() - connected_at > STABLE_CONNECTION_SECS
            ):
                backoff = self.initial_backoff
            await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
            backoff = min(backoff * 2, self.max_backoff)

    def _receive(self, producer: ProducerEndpoint, raw: str | bytes) -> None:
        state = self.states[producer.name]
        received = datetime.now(UTC)
        try:
            msg = json.loads(raw)
        except ValueError:
            return
        if not isinstance(msg, dict) or msg.get("type") not in TRADE_EVENT_TYPES:
            return
        state.events += 1
        state.last_event = received
        event = from_message(producer.name, msg, received)
        if event is not None:
            self.sink(event)

    async def _catch_up(self, producer: ProducerEndpoint) -> None:
        """Ask the producer's REST API what happened while we were not listening."""
        if not producer.api_url:
            return
        state = self.states[producer.name]
        loop = asyncio.get_running_loop()
        try:
            open_trades, closed = await loop.run_in_executor(
                None, _read_trades, producer.api_url, producer
            )
        except BotApiError as problem:  # its message carries no secret
            state.catch_up_failures += 1
            logger.warning("Catch-up with producer %s failed (%s)", producer.display, problem)
            return
        except Exception as exc:
            state.catch_up_failures += 1
            logger.warning(
                "Catch-up with producer %s failed (%s)",
                producer.display,
                _describe(exc, producer.api_password or producer.ws_token),
            )
            return
        state.catch_ups += 1
        state.producer_open_trades = len(open_trades)
        self.sink(OpenTrades.from_status(producer.name, open_trades))
        received = datetime.now(UTC)
        for trade in closed:
            event = from_closed_trade(producer.name, trade, received)
            if event is not None:
                self.sink(event)


def _read_trades(
    api_url: str, producer: ProducerEndpoint
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Open trades and recent closed trades (most recently closed first)."""
    with BotApi(api_url, producer.api_username, producer.api_password, timeout=10) as api:
        open_trades = api.open_trades()
        closed = api.trades(limit=CATCH_UP_CLOSED_TRADES, newest_first=True)
    return open_trades, closed


def _describe(exc: BaseException, secret: str | None) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    if secret:
        text = text.replace(secret, "***")
    return text[:300]


__all__ = ["ConnectionState", "ProducerEndpoint", "SubscriptionRunner"]
