"""A producer's prices from the exchange's ticker streams, REST only as a batched fallback.

Why: a producer keeps a virtual trade on every signalled pair and, when the consumer
follows its price-driven exits, checks each of them on every loop at a ticker
(``exchange.fetch_ticker``: Binance ``/api/v3/ticker/24hr``, weight 2 each). At 150 pairs
that was more weight than a whole single bot spends. Ticker streams cost no request
weight, so :class:`ProducerPricing` answers freqtrade's ``fetch_ticker`` from a cache fed
by ccxt.pro's ``watch_tickers`` for the pairs of the open trades, and when a pair's
ticker is not fresh it asks REST once per loop for up to :data:`REST_BATCH` pairs in one
``fetch_tickers`` (Binance: weight 2 for 1 to 20 symbols).

- Fresh means received at most :data:`FRESH_SECONDS` ago: the streams push every second,
  so 5 s tolerates a few late pushes on a busy machine while still being no older than
  the default 5 s loop a REST price would have been fetched in.
- A streamed ticker is used only with finite positive bid, ask and last.
- The stream runs in its own daemon thread and asyncio loop; a failure is logged once,
  prices come from REST meanwhile, and the stream retries with back-off (1 s to 60 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

logger = logging.getLogger(__name__)

FRESH_SECONDS = 5.0
REST_BATCH = 20
"""Most symbols per batched REST ticker call (Binance: 1-20 weigh 2, 21-100 weigh 40)."""
BACKOFF_FIRST = 1.0
BACKOFF_MOST = 60.0
WATCH_PARAMS = {"name": "ticker"}
"""ccxt.pro binance: the full 24hr ticker (bid and ask), not its default mini ticker."""

Ticker = dict[str, Any]
FetchTickers = Callable[[list[str]], dict[str, Ticker]]


def valid_ticker(ticker: Any) -> bool:
    """True when bid, ask and last are finite positive numbers (what pricing reads)."""
    if not isinstance(ticker, dict):
        return False
    for key in ("bid", "ask", "last"):
        value = ticker.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not math.isfinite(value) or value <= 0:
            return False
    return True


class ProducerPricing:
    """Tickers for a producer's open trades: streamed when fresh, else batched REST.

    ``fetch_tickers(symbols)``: the uncached REST batch call; ``stream``: a
    :class:`TickerStream` (None: REST only, e.g. an exchange without ``watchTickers``).
    """

    def __init__(
        self,
        fetch_tickers: FetchTickers,
        stream: TickerStream | None = None,
        *,
        fresh_seconds: float = FRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetch_tickers = fetch_tickers
        self.stream = stream
        self.fresh_seconds = fresh_seconds
        self.clock = clock
        self._streamed: dict[str, tuple[Ticker, float]] = {}
        self._loop_cache: dict[str, Ticker] = {}
        self._pairs: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._rejected: set[str] = set()
        self.counts = {"stream": 0, "rest": 0, "rest_calls": 0, "fallback": 0, "rejected": 0}
        if stream is not None:
            stream.on_tickers = self.received

    # -- the bot's side --------------------------------------------------------------
    def new_loop(self, open_pairs: Iterable[str]) -> None:
        """A new bot loop: REST answers of the last loop expire; the stream follows the
        open trades' pairs (resubscribing only when they changed)."""
        pairs = tuple(sorted(set(open_pairs)))
        with self._lock:
            self._loop_cache.clear()
            changed = pairs != self._pairs
            self._pairs = pairs
        if changed and self.stream is not None:
            self.stream.watch(pairs)

    def ticker(self, pair: str, fallback: Callable[[str], Ticker]) -> Ticker:
        """The ticker of ``pair``: streamed if fresh, from this loop's REST batch, or a new
        batch; ``fallback(pair)`` (freqtrade's own single fetch) when the batch lacks it."""
        now = self.clock()
        with self._lock:
            streamed = self._streamed.get(pair)
            if streamed is not None and now - streamed[1] <= self.fresh_seconds:
                self.counts["stream"] += 1
                return streamed[0]
            cached = self._loop_cache.get(pair)
            if cached is not None:
                self.counts["rest"] += 1
                return cached
            batch = [pair] + [
                p
                for p in self._pairs
                if p != pair
                and p not in self._loop_cache
                and not (p in self._streamed and now - self._streamed[p][1] <= self.fresh_seconds)
            ]
            batch = batch[:REST_BATCH]
        try:
            answer = self.fetch_tickers(batch)
        except Exception as error:  # the exchange's errors: freqtrade's own call retries
            logger.debug("Batched tickers failed (%s): asking for %s alone", error, pair)
            answer = {}
        with self._lock:
            self.counts["rest_calls"] += 1
            for symbol, value in answer.items():
                if symbol in batch and valid_ticker(value):
                    self._loop_cache[symbol] = value
            found = self._loop_cache.get(pair)
        if found is not None:
            self.counts["rest"] += 1
            return found
        self.counts["fallback"] += 1
        return fallback(pair)

    def streamed(self, pair: str) -> bool:
        """Whether ``pair`` has a fresh streamed ticker (asks nothing of the exchange)."""
        with self._lock:
            found = self._streamed.get(pair)
        return found is not None and self.clock() - found[1] <= self.fresh_seconds

    def close(self) -> None:
        if self.stream is not None:
            self.stream.stop()

    # -- the stream's side -----------------------------------------------------------
    def received(self, tickers: dict[str, Ticker]) -> None:
        """Tickers from the stream (its thread): kept when valid, else logged once a pair."""
        now = self.clock()
        with self._lock:
            for symbol, value in tickers.items():
                if valid_ticker(value):
                    self._streamed[symbol] = (value, now)
                    continue
                self.counts["rejected"] += 1
                self._streamed.pop(symbol, None)
                if symbol not in self._rejected:
                    self._rejected.add(symbol)
                    logger.warning(
                        "Streamed ticker of %s without finite positive bid/ask/last: "
                        "priced over REST instead",
                        symbol,
                    )


class TickerStream:
    """``watch_tickers`` for a set of symbols in a daemon thread with its own loop.

    ``make_client()``: a new ccxt.pro exchange (the bot's class and config); it is made
    again after each failure and each change of the symbols (a new subscription).
    """

    def __init__(self, make_client: Callable[[], Any], name: str = "producer") -> None:
        self.make_client = make_client
        self.on_tickers: Callable[[dict[str, Ticker]], None] = lambda tickers: None
        self._symbols: tuple[str, ...] = ()
        self._stopped = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name=f"{name}-tickers", daemon=True)
        self._started = threading.Event()
        self.failures = 0
        self._handed: dict[str, Ticker] = {}

    def start(self) -> None:
        self._thread.start()
        self._started.wait(5)

    def watch(self, symbols: Iterable[str]) -> None:
        self._symbols = tuple(symbols)
        self._wake()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped = True
        self._wake()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _wake(self) -> None:
        loop, changed = self._loop, self._changed
        if loop is not None and changed is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(changed.set)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._run())
        finally:
            loop.close()

    async def _run(self) -> None:
        self._changed = asyncio.Event()
        self._started.set()
        delay = BACKOFF_FIRST
        while not self._stopped:
            symbols = self._symbols
            if not symbols:
                await self._changed.wait()
                self._changed.clear()
                continue
            client = None
            try:
                client = self.make_client()
                while not self._stopped and symbols == self._symbols:
                    received = await self._next(client, list(symbols))
                    if received:
                        if self.failures:
                            logger.info("Ticker stream back: prices from the stream again")
                            self.failures = 0
                        delay = BACKOFF_FIRST
                        self.on_tickers(received)
            except Exception as error:  # any stream failure: REST prices meanwhile
                self.failures += 1
                if self.failures == 1:
                    logger.warning(
                        "Ticker stream failed (%s: %s): pricing over REST, retrying",
                        type(error).__name__,
                        error,
                    )
                await self._sleep(delay)
                delay = min(delay * 2, BACKOFF_MOST)
            finally:
                if client is not None:
                    try:
                        await client.close()
                    except Exception as error:
                        logger.debug("Closing the ticker stream's client: %s", error)

    async def _next(self, client: Any, symbols: list[str]) -> dict[str, Ticker]:
        """The next tickers, or {} when the symbols changed or the stream stops."""
        assert self._changed is not None
        watch = asyncio.ensure_future(client.watch_tickers(symbols, dict(WATCH_PARAMS)))
        changed = asyncio.ensure_future(self._changed.wait())
        done, _ = await asyncio.wait({watch, changed}, return_when=asyncio.FIRST_COMPLETED)
        if changed in done:
            self._changed.clear()
        else:
            changed.cancel()
        if watch in done:
            watch.result()  # raises the stream's error
            # One call resolves with one symbol's update; others parsed in the same read
            # are only in ``client.tickers``: hand over every ticker parsed since last time.
            known = getattr(client, "tickers", None) or {}
            fresh = {}
            for symbol in symbols:
                ticker = known.get(symbol)
                if ticker is not None and self._handed.get(symbol) is not ticker:
                    self._handed[symbol] = ticker
                    fresh[symbol] = ticker
            return fresh
        watch.cancel()
        await asyncio.gather(watch, return_exceptions=True)
        return {}

    async def _sleep(self, seconds: float) -> None:
        assert self._changed is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)
            self._changed.clear()


__all__ = [
    "FRESH_SECONDS",
    "REST_BATCH",
    "ProducerPricing",
    "TickerStream",
    "valid_ticker",
]
