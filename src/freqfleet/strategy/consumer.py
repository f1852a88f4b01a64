"""The consumer's side of a fleet: producer data in, one analysed frame per pair out.

``FleetConsumer`` is plain Python; the fleet strategy's mixin only forwards freqtrade's
hooks to it. Two threads meet here:

- freqtrade's message thread delivers producer messages. Each is checked where it
  arrives (``intake``), then stored under the consumer's lock: the newest frame per
  producer and pair, the newest whitelist per producer.
- the bot thread, once per loop (``analyze``, under the same lock), refreshes the routes
  once and, for every pair whose candles or producer data changed, merges the producer's
  columns onto the consumer's candles and hands freqtrade the frame.

The merged frame is a view of the producer's rows, so a consumer holds its producers'
data about once. freqtrade replaces a producer's frame with a longer copy on every new
candle; so that the replaced frame is freed at once and not at the next loop, its
arrival re-points the pair's frame at the same rows of the new copy (equal values: rows
before the new candle are copied unchanged).

A pair's frame only moves forward when the producer's analysis of the consumer's newest
candle has arrived; until then it stays the previous complete frame (what a plain bot
holds while it analyses) and no new entry is taken on it.

New entries of a candle also wait until every pair whose producer is merely behind (not
stale) has its analysis of that candle, for at most a quarter of a candle after it
closed: a plain bot analyses every pair before it fills free slots in whitelist order,
and a consumer that entered pairs as their rows arrive would give the slots to the
fastest producer's pairs instead. While that wait lasts, the bot thread waits inside
``analyze`` for the missing rows (woken by each arrival, at most ``LOOP_WAIT_SECS`` a
loop) rather than sleeping out freqtrade's throttle: a plain bot's loop is busy analysing
in that time too, and the entries follow the last row at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from freqtrade.exchange import timeframe_to_seconds
from pandas import DataFrame

from freqfleet.compat import column_values, set_analyzed_frame, watch_producer_messages
from freqfleet.files import dump_json, write_atomic
from freqfleet.strategy.exit_pricing import ExitPrices
from freqfleet.strategy.intake import (
    IntakeRules,
    Rejections,
    frame_problem,
    limit_producer_complaints,
    whitelist_problems,
)
from freqfleet.strategy.merge import (
    MergeCache,
    MergedEntry,
    epoch_ns,
    last_date_ns,
    merge_producer_frame,
)
from freqfleet.strategy.routing import ProducerData, ProducerRouter, newest_candle
from freqfleet.strategy.settings import ConsumerSettings

logger = logging.getLogger(__name__)

STATE_FILE = "fleet-state.json"
STATE_INTERVAL_SECS = 5.0
ENTRY_WAIT_FRACTION = 0.25
"""How long after a candle closed entries wait for producers still behind, in candles
(freqtrade warns when a bot's analysis takes more than a quarter of a candle)."""
LOOP_WAIT_SECS = 5.0
"""The longest one loop's ``analyze`` waits for rows still missing: open trades' exits are
checked after the analysis, so the loop goes on and the next loop waits again."""


def iso(epoch_ns: int | None) -> str | None:
    """An epoch in nanoseconds as ISO text (None stays None; out of range gives None)."""
    if epoch_ns is None:
        return None
    try:
        return datetime.fromtimestamp(epoch_ns / 1e9, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


class FleetConsumer:
    """Routing, merge cache, freshness and state of one consumer bot."""

    def __init__(self, settings: ConsumerSettings) -> None:
        self.settings = settings
        self.router = ProducerRouter(settings.producer_names)
        self.cache = MergeCache()
        self.rejections = Rejections()
        self.follower: Any = None
        self.access: dict[str, str] = {}
        """Producer -> why the consumer cannot use it (``token_rejected``, ...)."""
        self.rules: IntakeRules | None = None
        self._frames: dict[str, dict[str, ProducerData]] = {}
        self._whitelists: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._incoming_first: dict[tuple[str, str], int] = {}
        self._whitelists_changed = False
        self._freshness: dict[str, str] = {}
        self._waiting_callbacks: dict[str, set[str]] = {}
        self._state_written = 0.0
        self._timeframe_warned: set[str] = set()
        self._dp: Any = None
        self.state_path: Path | None = None
        self._candle_ns = 0
        self._candle_type: Any = None
        self._last_message: dict[str, float] = {}
        self._stopping = threading.Event()
        self._entries_open = True
        self._entry_wait_logged: int | None = None
        self._arrival = threading.Event()
        self._awaited: set[str] = set()
        """Pairs whose rows the entries of this candle still wait for."""
        self._delivering_thread: int | None = None
        self.exit_prices: ExitPrices | None = None
        """When open trades' prices may be reused (``fleet.exit_price_secs``; None: never)."""
        if settings.exit_price_secs is not None:
            self.exit_prices = ExitPrices(
                settings.exit_price_secs,
                analysis=self.analysis_mark,
                exit_pending=self._followed_exit_pending,
                adjustment_pending=self._followed_adjustment_pending,
            )

    # -- wiring (bot thread, before the message thread starts) -------------------------

    @property
    def attached(self) -> bool:
        return self._dp is not None

    def attach(
        self,
        dp: Any,
        timeframe: str,
        candle_type: Any,
        *,
        stake_currency: str | None = None,
        market: Callable[[str], Mapping[str, Any] | None] | None = None,
        state_path: Path | None = None,
    ) -> None:
        """Bind to the bot's DataProvider, with the timeframe freqtrade finally runs."""
        self._dp = dp
        shares = self.settings.shares
        self.rules = IntakeRules(
            timeframe=timeframe,
            candle_type=str(candle_type),
            candle_ns=timeframe_to_seconds(timeframe) * 1_000_000_000,
            stake_currency=stake_currency,
            market=market,
            shares={name: frozenset(pairs) for name, pairs in shares.items()} if shares else None,
        )
        self._candle_type = candle_type
        self._candle_ns = self.rules.candle_ns
        self.state_path = state_path
        limit_producer_complaints()
        watch_producer_messages(
            dp,
            check_frame=self._check_frame,
            stored=self._frame_stored,
            check_whitelist=self._check_whitelist,
        )

    @property
    def timeframe(self) -> str:
        assert self.rules is not None, "attach() first"
        return self.rules.timeframe

    # -- the message thread ---------------------------------------------------------------

    def _check_frame(
        self, producer: str, pair: Any, timeframe: Any, candle_type: Any, frame: Any
    ) -> bool:
        assert self.rules is not None
        self._last_message[producer] = time.monotonic()
        try:
            problem = frame_problem(
                self.rules, producer, pair, timeframe, candle_type, frame, time.time_ns()
            )
        except Exception:  # nothing a producer sends may raise here
            problem = "malformed"
        if problem is None:
            self._incoming_first[(producer, pair)] = int(epoch_ns(column_values(frame, "date"))[0])
            return True
        if problem == "timeframe" and producer not in self._timeframe_warned:
            self._timeframe_warned.add(producer)
            logger.error(
                "Fleet: producer %s sends %s candles but this consumer runs %s; "
                "set the same timeframe on producers and consumer",
                producer,
                str(timeframe)[:10],
                self.rules.timeframe,
            )
        self.rejections.add(producer, problem, pair)
        return False

    def _frame_stored(
        self,
        producer: str,
        pair: str,
        timeframe: str,
        candle_type: Any,
        frame: DataFrame,
        last_analyzed: datetime,
    ) -> None:
        first_new = self._incoming_first.pop((producer, pair), None)
        self._delivering_thread = threading.get_ident()
        try:
            self._store_frame(producer, pair, frame, last_analyzed, first_new)
        finally:
            awaited = self._awaited
            if pair in awaited:
                awaited.discard(pair)
                if not awaited:
                    self._arrival.set()

    def _store_frame(
        self,
        producer: str,
        pair: str,
        frame: DataFrame,
        last_analyzed: datetime,
        first_new: int | None,
    ) -> None:
        with self._lock:
            self._frames.setdefault(producer, {})[pair] = (frame, last_analyzed)
            entry = self.cache.get(pair)
            if (
                entry is None
                or entry.producer != producer
                or entry.producer_newest is None
                or first_new is None
                or first_new <= entry.producer_newest
            ):
                return
            rebased = merge_producer_frame(entry.frame, frame)
            if len(rebased) == len(entry.frame):
                entry.frame = rebased
                set_analyzed_frame(self._dp, pair, self.timeframe, rebased, self._candle_type)

    def _check_whitelist(self, producer: str, pairs: Any) -> list[str] | None:
        assert self.rules is not None
        self._last_message[producer] = time.monotonic()
        try:
            kept, dropped = whitelist_problems(self.rules, producer, pairs)
        except Exception:
            kept, dropped = [], {"malformed": (1, None)}
        for reason, (count, example) in dropped.items():
            self.rejections.add(producer, reason, example, count)
        with self._lock:
            self._whitelists[producer] = kept
            self._whitelists_changed = True
        return kept

    # -- the bot thread -------------------------------------------------------------------

    def _refresh_routes(self) -> None:
        if not self._whitelists_changed and self.router.rebuilds:
            return
        self._whitelists_changed = False
        if self.router.refresh(self._whitelists):
            logger.info(
                "Fleet routes: %s",
                ", ".join(f"{n} {c} pairs" for n, c in self.router.pair_counts().items()),
            )

    def analyze(self, pairs: list[str]) -> None:
        """One loop: hand freqtrade the analysed frame of every pair that changed; while
        entries wait for rows another thread is delivering, wait for them here."""
        deadline = time.monotonic() + LOOP_WAIT_SECS
        while True:
            self._arrival.clear()
            self._analyze_all(pairs)
            remaining = deadline - time.monotonic()
            if (
                self._entries_open
                or remaining <= 0
                or self._stopping.is_set()
                or not self._rows_come_meanwhile()
            ):
                break
            self._arrival.wait(remaining)
        self.write_state()

    def _rows_come_meanwhile(self) -> bool:
        """Whether waiting can help: rows arrive on freqtrade's message thread, not on
        this one (a caller feeding messages itself would only wait for nothing)."""
        delivering = self._delivering_thread
        return delivering is not None and delivering != threading.get_ident()

    def _analyze_all(self, pairs: list[str]) -> None:
        with self._lock:
            self._refresh_routes()
            for pair in pairs:
                self._analyze_pair(pair)
            keep = set(pairs)
            self.cache.forget(keep)
            for pair in [p for p in self._freshness if p not in keep]:
                del self._freshness[pair]
            self._entries_open = self._entries_may_open(pairs)

    def _entries_may_open(self, pairs: list[str]) -> bool:
        """Whether this loop may take new entries (the per-candle wait, see above)."""
        behind: list[MergedEntry] = []
        awaited: set[str] = set()
        newest = 0
        for pair in pairs:
            entry = self.cache.get(pair)
            if entry is None or entry.lag is None:
                continue
            newest = max(newest, entry.key[0])
            if 0 < entry.lag <= self.settings.max_signal_age:
                behind.append(entry)
                awaited.add(pair)
        self._awaited = awaited  # one assignment: the message thread reads it unlocked
        if not behind:
            return True
        closed_ns = newest + self._candle_ns
        waited = time.time_ns() - closed_ns
        if waited < ENTRY_WAIT_FRACTION * self._candle_ns:
            return False
        if self._entry_wait_logged != newest:
            self._entry_wait_logged = newest
            late = sorted({entry.producer for entry in behind if entry.producer})
            logger.warning(
                "Fleet: entries of the candle closed at %s taken after %.0f s without the "
                "analysis of %d pair(s) from %s",
                iso(closed_ns),
                waited / 1e9,
                len(behind),
                ", ".join(late),
            )
        return True

    def _analyze_pair(self, pair: str) -> None:
        candles = self._dp.ohlcv(pair, self.timeframe, copy=False, candle_type=self._candle_type)
        if not isinstance(candles, DataFrame) or candles.empty:
            return
        name, data = self.router.choose(pair, lambda n: self._frames.get(n, {}).get(pair))
        consumer_newest = last_date_ns(candles)
        key = (
            consumer_newest,
            len(candles),
            column_values(candles, "close")[-1],
            name,
            None if data is None else id(data[0]),
            None if data is None else data[1],
        )
        cached = self.cache.get(pair)
        if cached is not None and cached.key == key:
            return
        entry = self._merge(pair, candles, key, name, data, consumer_newest, cached)
        if entry is not cached:
            set_analyzed_frame(self._dp, pair, self.timeframe, entry.frame, self._candle_type)
        self._log_freshness(pair, entry)

    def _merge(
        self,
        pair: str,
        candles: DataFrame,
        key: tuple[Any, ...],
        name: str | None,
        data: ProducerData | None,
        consumer_newest: int,
        cached: MergedEntry | None,
    ) -> MergedEntry:
        producer_newest = None if data is None else newest_candle(data[0])
        if data is None or producer_newest is None:
            # No producer data: the consumer's candles alone. No callback reads them (see
            # callbacks.py) and they carry no signal.
            entry = MergedEntry(key, candles.copy(), None, None, None)
            return self.cache.store(pair, entry)
        lag = (consumer_newest - producer_newest) // self._candle_ns
        if (
            cached is not None
            and cached.producer is not None
            and cached.producer_newest == producer_newest
            and cached.producer == name
            and lag > 0
        ):
            # A new consumer candle the producer has not analysed yet: keep the frame.
            cached.key = key
            cached.lag = lag
            return cached
        frame = merge_producer_frame(candles, data[0])
        if frame.empty:
            entry = MergedEntry(key, candles.copy(), None, None, None)
        else:
            entry = MergedEntry(key, frame, name, producer_newest, lag)
        return self.cache.store(pair, entry)

    # -- what the strategy asks -----------------------------------------------------------

    def has_producer_data(self, pair: str) -> bool:
        entry = self.cache.get(pair)
        return entry is not None and entry.producer is not None

    def entry_allowed(self, pair: str) -> bool:
        """New entries need the producer's analysis of the consumer's newest candle, of
        every pair's whose producer is not stale (or a quarter of a candle gone by)."""
        entry = self.cache.get(pair)
        return self._entries_open and entry is not None and entry.lag is not None and entry.lag <= 0

    def analysis_mark(self, pair: str) -> Hashable:
        """What identifies the producer analysis the pair's frame holds (producer, newest
        analysed candle, analysis time); None without producer data. An open trade's price
        taken before it changed is not reused: callbacks read the new analysis."""
        entry = self.cache.get(pair)
        if entry is None or entry.producer is None:
            return None
        return (entry.producer, entry.producer_newest, entry.key[-1])

    def _followed_exit_pending(self, pair: str) -> bool:
        follower = self.follower
        return follower is not None and bool(follower.exit_pending(pair))

    def _followed_adjustment_pending(self, pair: str) -> bool:
        follower = self.follower
        return follower is not None and bool(follower.adjustment_pending(pair))

    def serving_producer(self, pair: str) -> str | None:
        """The producer whose data the pair's frame holds (else the first routed one)."""
        entry = self.cache.get(pair)
        if entry is not None and entry.producer is not None:
            return entry.producer
        routed = self.router.producers_for(pair)
        return routed[0] if routed else None

    def callback_skipped(self, pair: str, callback: str) -> None:
        """Log once per pair (until data arrives) that callbacks get neutral answers."""
        waiting = self._waiting_callbacks.setdefault(pair, set())
        if not waiting:
            logger.info(
                "Fleet: no producer data for %s yet; its callbacks (%s, ...) get "
                "freqtrade's neutral answers until it arrives",
                pair,
                callback,
            )
        waiting.add(callback)

    # -- producers that do not let the consumer in -----------------------------------------

    def watch_access(
        self, producers: list[dict[str, Any]], interval: float = 60.0, first: float = 10.0
    ) -> None:
        """Check, in the background, producers that sent nothing for ``interval`` seconds.

        freqtrade's consumer only logs "HTTP 403 retrying" without naming the producer:
        this names it and the fix once (``access`` in the state file and `status`), and
        says when it lets the consumer in again.
        """
        thread = threading.Thread(
            target=self._access_loop,
            args=(producers, interval, first),
            name="freqfleet-access",
            daemon=True,
        )
        thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._arrival.set()

    def _access_loop(self, producers: list[dict[str, Any]], interval: float, first: float) -> None:
        from freqfleet.strategy.producer_access import (
            access_problem_message,
            check_producer_access,
        )

        wait = first
        while not self._stopping.wait(wait):
            wait = interval
            for index, producer in enumerate(producers):
                name = str(producer.get("name"))
                heard = self._last_message.get(name)
                if heard is not None and time.monotonic() - heard < interval:
                    self.access.pop(name, None)
                    continue
                problem = check_producer_access(
                    name,
                    str(producer.get("host")),
                    producer.get("port", 0),
                    str(producer.get("ws_token", "")),
                    bool(producer.get("secure", False)),
                )
                previous = self.access.get(name)
                if problem is None:
                    self.access.pop(name, None)
                    if previous is not None:
                        logger.info("Fleet: producer %s accepts this consumer again", name)
                elif problem != previous:
                    self.access[name] = problem
                    logger.error("Fleet: %s", access_problem_message(name, problem, index))

    # -- freshness ------------------------------------------------------------------------

    def _state_of(self, entry: MergedEntry) -> str:
        if entry.lag is None:
            return "missing"
        if entry.lag > self.settings.max_signal_age:
            return "stale"
        return "fresh"

    def _log_freshness(self, pair: str, entry: MergedEntry) -> None:
        state = self._state_of(entry)
        previous = self._freshness.get(pair)
        if previous == state:
            return
        self._freshness[pair] = state
        if state == "missing":
            logger.info("Fleet: no producer data for %s yet; no entries on it", pair)
        elif state == "stale":
            logger.warning(
                "Fleet: %s data for %s is %d candles old (fleet.max_signal_age %d); "
                "no entries on it until it is fresh",
                entry.producer,
                pair,
                entry.lag,
                self.settings.max_signal_age,
            )
        elif previous == "stale":
            logger.info("Fleet: %s data for %s is fresh again", entry.producer, pair)
        if state != "missing" and self._waiting_callbacks.pop(pair, set()):
            logger.info("Fleet: producer data for %s arrived; its callbacks run again", pair)

    # -- state file -----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Routing, freshness and intake summary (what ``fleet-state.json`` holds)."""
        newest: dict[str, int | None] = dict.fromkeys(self.settings.producer_names)
        stale, missing, unrouted = [], [], []
        for pair, entry in self.cache.pairs().items():
            state = self._state_of(entry)
            if state == "stale":
                stale.append(pair)
            elif state == "missing":
                missing.append(pair)
            if not self.router.producers_for(pair):
                unrouted.append(pair)
            if entry.producer is not None and entry.producer_newest is not None:
                current = newest.get(entry.producer)
                if current is None or entry.producer_newest > current:
                    newest[entry.producer] = entry.producer_newest
        counts = self.router.pair_counts()
        rejected = self.rejections.snapshot()
        follower = self.follower
        return {
            "role": "consumer",
            "updated": datetime.now(UTC).isoformat(),
            "timeframe": self.rules.timeframe if self.rules else None,
            "max_signal_age": self.settings.max_signal_age,
            "producers": {
                name: {
                    "pairs": counts.get(name, 0),
                    "newest_candle": iso(newest[name]),
                    "rejected": rejected.get(name, {}),
                    **({"access": self.access[name]} if name in self.access else {}),
                }
                for name in self.settings.producer_names
            },
            "unrouted_pairs": sorted(unrouted),
            "stale_pairs": sorted(stale),
            "missing_pairs": sorted(missing),
            "follow": follower.stats() if follower is not None else {},
            "exit_prices": (
                {}
                if self.exit_prices is None
                else {"reuse_secs": self.exit_prices.reuse_secs, **self.exit_prices.stats()}
            ),
        }

    def write_state(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.state_path is None or (
            not force and now - self._state_written < STATE_INTERVAL_SECS
        ):
            return
        self._state_written = now
        with self._lock:
            state = self.state()
        try:
            write_atomic(self.state_path, dump_json(state))
        except OSError as error:
            logger.warning("Fleet: could not write %s: %s", self.state_path.name, error)


__all__ = ["STATE_FILE", "FleetConsumer", "iso"]
