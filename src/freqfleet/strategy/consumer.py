"""The consumer's side of a fleet: producer data in, one analysed frame per pair out.

``FleetConsumer`` is plain Python; the fleet strategy's mixin only forwards freqtrade's
hooks to it. Two threads meet here:

- freqtrade's message thread delivers producer messages. Each is checked where it
  arrives (``intake``), then stored under the consumer's lock: the newest frame per
  producer and pair, the newest whitelist per producer. That is all it does: it never
  touches the merge cache nor freqtrade's analysed frames.
- the bot thread, once per loop (``analyze``, under the same lock), refreshes the routes
  once and, for every pair whose candles or producer data changed, merges the producer's
  columns onto the consumer's candles and hands freqtrade the frame (freqtrade itself
  stores analysed frames on the bot thread only).

A third thread, the access watch (``access_watch``), only reports: the bot thread reads a
copy of what it found. What the message thread does is in ``producer_inbox``; freshness
logging in ``freshness``; the report the state file holds in ``consumer_report``.

The merged frame is a view of the producer's rows, so a consumer holds its producers'
data about once. freqtrade replaces a producer's frame with a longer copy on every new
candle; the pair's next analysis (the next loop) merges onto the new copy and so frees the
replaced one.

A pair's frame only moves forward when the producer's analysis of the consumer's newest
candle has arrived; until then it stays the previous complete frame (what a plain bot
holds while it analyses) and no new entry is taken on it.

New entries of a candle also wait for the pairs whose producer is merely behind
(``entry_wait``); meanwhile the bot thread waits inside ``analyze`` for the missing rows
(woken by each arrival, at most ``LOOP_WAIT_SECS`` a loop) rather than sleeping out
freqtrade's throttle, so the entries follow the last row at once.

With ``fleet.consumer_candles`` "producers" (the default) a producer's frame is also the
pair's candles: nothing to merge, none downloaded (``compat.ProducerCandles``), and a
pair's lag is counted from the candle the clock says has closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any

from freqtrade.exchange import timeframe_to_seconds
from pandas import DataFrame

from freqfleet.compat import (
    ProducerCandles,
    bot_exchange,
    column_values,
    set_analyzed_frame,
    watch_producer_messages,
)
from freqfleet.files import dump_json, write_atomic
from freqfleet.fleet_state import STATE_FILE, FleetState
from freqfleet.strategy.access_watch import AccessWatch
from freqfleet.strategy.consumer_report import consumer_report, iso
from freqfleet.strategy.entry_wait import EntryWait
from freqfleet.strategy.exit_pricing import ExitPrices
from freqfleet.strategy.freshness import FreshnessLog
from freqfleet.strategy.intake import IntakeRules, Rejections, limit_producer_complaints
from freqfleet.strategy.merge import MergeCache, last_date_ns
from freqfleet.strategy.pair_entry import merged_entry, producer_entry
from freqfleet.strategy.producer_inbox import ProducerInbox
from freqfleet.strategy.routing import ProducerData, ProducerRouter
from freqfleet.strategy.settings import ConsumerSettings

logger = logging.getLogger(__name__)

STATE_INTERVAL_SECS = 5.0
LOOP_WAIT_SECS = 5.0
"""The longest one loop's ``analyze`` waits for rows still missing: open trades' exits are
checked after the analysis, so the loop goes on and the next loop waits again."""


class FleetConsumer:
    """Routing, merge cache, freshness and state of one consumer bot."""

    def __init__(self, settings: ConsumerSettings) -> None:
        self.settings = settings
        self.router = ProducerRouter(settings.producer_names, settings.routes)
        self.cache = MergeCache()
        self.rejections = Rejections()
        self.follower: Any = None
        self.rules: IntakeRules | None = None
        self._lock = threading.Lock()
        self.inbox = ProducerInbox(self._lock, self.rejections)
        self.freshness = FreshnessLog(settings.max_signal_age)
        self._state_written = 0.0
        self._dp: Any = None
        self.state_path: Path | None = None
        self._candle_ns = 0
        self._candle_type: Any = None
        self._stopping = threading.Event()
        self.access_watch = AccessWatch(self.inbox.last_heard, self._stopping)
        self.entry_wait = EntryWait(settings.max_signal_age)
        self.candles: ProducerCandles | None = None
        """The pairs' candles from the producers' frames (``fleet.consumer_candles``
        "producers"); None: the consumer downloads its own, as freqtrade does."""
        self.strategy_files: dict[str, str] = {}  # sha256 by file, set by the strategy
        self._served: frozenset[str] | None = None
        self._said_no: dict[str, DataFrame] = {}
        """Pair -> the analysed frame freqtrade's own entry check last said "no" to."""
        self._closed_ns = 0
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
        self.inbox.rules = self.rules
        self._candle_type = candle_type
        self._candle_ns = self.rules.candle_ns
        self.state_path = state_path
        if self.settings.consumer_candles == "producers":
            candles = ProducerCandles(bot_exchange(dp), timeframe, candle_type, self._serves)
            if candles.install():
                self.candles = candles
                if self.rules.shares is not None:
                    self._served = frozenset().union(*self.rules.shares.values())
        limit_producer_complaints()
        watch_producer_messages(
            dp,
            check_frame=self.inbox.check_frame,
            stored=self.inbox.frame_stored,
            check_whitelist=self.inbox.check_whitelist,
        )

    @property
    def timeframe(self) -> str:
        assert self.rules is not None, "attach() first"
        return self.rules.timeframe

    # -- the bot thread -------------------------------------------------------------------

    def _refresh_routes(self) -> None:
        inbox = self.inbox
        if not inbox.whitelists_changed and self.router.rebuilds:
            return
        inbox.whitelists_changed = False
        if self.router.refresh(inbox.whitelists):
            served = self.router.served()
            if self.rules is not None and self.rules.shares is None and served:
                self._served = served
            logger.info(
                "Fleet routes: %s",
                ", ".join(f"{n} {c} pairs" for n, c in self.router.pair_counts().items()),
            )

    def _serves(self, pair: str) -> bool:
        """Whether the producers give ``pair``'s candles (none downloaded). Until a first
        whitelist arrives every pair is taken as served: a consumer starting with its
        producers downloads nothing; a pair no producer lists (an open trade's, left out
        of every whitelist) is downloaded, as freqtrade does."""
        if self.inbox.whitelists_changed:
            with self._lock:
                self._refresh_routes()
        served = self._served
        return served is None or pair in served

    def analyze(self, pairs: list[str]) -> None:
        """One loop: hand freqtrade the analysed frame of every pair that changed; while
        entries wait for rows another thread is delivering, wait for them here."""
        deadline = time.monotonic() + LOOP_WAIT_SECS
        arrival = self.inbox.arrival
        while True:
            arrival.clear()
            self._analyze_all(pairs)
            remaining = deadline - time.monotonic()
            if (
                self.entry_wait.open
                or remaining <= 0
                or self._stopping.is_set()
                or not self.inbox.rows_come_meanwhile()
            ):
                break
            arrival.wait(remaining)
        self.write_state()

    def _analyze_all(self, pairs: list[str]) -> None:
        with self._lock:
            self._refresh_routes()
            candle_ns = self._candle_ns
            if candle_ns:
                # The newest candle the clock says has closed (its open date).
                self._closed_ns = (time.time_ns() // candle_ns - 1) * candle_ns
            for pair in pairs:
                self._analyze_pair(pair)
            keep = set(pairs)
            self.cache.forget(keep)
            self.freshness.forget(keep)
            if self.candles is not None:
                self.candles.forget(keep)
            for pair in [p for p in self._said_no if p not in keep]:
                del self._said_no[pair]
            cache = self.cache
            self.entry_wait.update([cache.get(p) for p in pairs], pairs, self._candle_ns)
            self.inbox.await_rows(self.entry_wait.awaited)

    def _analyze_pair(self, pair: str) -> None:
        if self.candles is not None:
            name, data = self.router.choose(pair, lambda n: self.inbox.frame(n, pair))
            if data is not None:
                self._take_producer_frame(pair, name, data)
                return
        candles = self._dp.ohlcv(pair, self.timeframe, copy=False, candle_type=self._candle_type)
        if not isinstance(candles, DataFrame) or candles.empty:
            return
        name, data = self.router.choose(pair, lambda n: self.inbox.frame(n, pair))
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
        entry = merged_entry(candles, key, name, data, consumer_newest, self._candle_ns, cached)
        if entry is not cached:
            self.cache.store(pair, entry)
            set_analyzed_frame(self._dp, pair, self.timeframe, entry.frame, self._candle_type)
        self.freshness.note(pair, entry)

    def _take_producer_frame(self, pair: str, name: str | None, data: ProducerData) -> None:
        """The producer's frame is the pair's candles (``pair_entry.producer_entry``)."""
        key = (self._closed_ns, name, id(data[0]), data[1])
        cached = self.cache.get(pair)
        if cached is not None and cached.key == key:
            return
        entry = producer_entry(key, name, data, self._closed_ns, self._candle_ns, cached)
        if entry is None:
            return
        if entry is not cached:
            self.cache.store(pair, entry)
            assert self.candles is not None
            self.candles.store(pair, entry.frame)
            set_analyzed_frame(self._dp, pair, self.timeframe, entry.frame, self._candle_type)
        self.freshness.note(pair, entry)

    # -- what the strategy asks -----------------------------------------------------------

    def has_producer_data(self, pair: str) -> bool:
        entry = self.cache.get(pair)
        return entry is not None and entry.producer is not None

    def entry_allowed(self, pair: str) -> bool:
        """New entries need the producer's analysis of the consumer's newest candle, of
        every pair's whose producer is not stale (or a quarter of a candle gone by)."""
        entry = self.cache.get(pair)
        return (
            self.entry_wait.open and entry is not None and entry.lag is not None and entry.lag <= 0
        )

    def said_no(self, pair: str, frame: DataFrame) -> None:
        """freqtrade's own entry check found no entry in ``frame`` (bot thread)."""
        self._said_no[pair] = frame

    def no_entry(self, pair: str) -> bool:
        """Whether freqtrade's entry check of ``pair`` can be skipped: it said "no" to the
        frame the pair still has (a signal comes only from the frame; time only expires
        one) and no followed entry waits."""
        entry = self.cache.get(pair)
        if entry is None or self._said_no.get(pair) is not entry.frame:
            return False
        follower = self.follower
        return follower is None or follower.entry_signal(pair) is None

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
        self.freshness.callback_skipped(pair, callback)

    # -- producers that do not let the consumer in -----------------------------------------

    @property
    def access(self) -> dict[str, str]:
        """Producer -> why the consumer cannot use it (``token_rejected``, ...): a copy."""
        return self.access_watch.problems()

    def watch_access(
        self, producers: list[dict[str, Any]], interval: float = 60.0, first: float = 10.0
    ) -> None:
        """Check, in the background, producers that sent nothing for ``interval`` seconds
        (:class:`~freqfleet.strategy.access_watch.AccessWatch`)."""
        self.access_watch.start(producers, interval, first)

    def stop(self) -> None:
        if self.candles is not None:
            self.candles.undo()
        self._stopping.set()
        self.inbox.arrival.set()

    # -- state file -----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Routing, freshness and intake summary (what ``fleet-state.json`` holds), as
        plain JSON values; from any thread."""
        return self.report().as_json()

    def report(self) -> FleetState:
        """The same summary, typed (:class:`~freqfleet.fleet_state.FleetState`)."""
        with self._lock:
            return self._report()

    def _report(self) -> FleetState:
        return consumer_report(
            producer_names=self.settings.producer_names,
            timeframe=self.rules.timeframe if self.rules else None,
            cache=self.cache,
            router=self.router,
            freshness=self.freshness,
            rejected=self.rejections.snapshot(),
            access=self.access_watch.problems(),
            follower=self.follower,
            exit_prices=self.exit_prices,
            analyzed=lambda producer, pair: (self.inbox.frame(producer, pair) or (None, None))[1],
            candle_ns=self._candle_ns,
            frames=self.inbox.frame,
            agreement=self.inbox.agreement,
            strategy_files=self.strategy_files,
        )

    def write_state(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.state_path is None or (
            not force and now - self._state_written < STATE_INTERVAL_SECS
        ):
            return
        self._state_written = now
        state = self.state()
        try:
            write_atomic(self.state_path, dump_json(state))
        except OSError as error:
            logger.warning("Fleet: could not write %s: %s", self.state_path.name, error)


__all__ = ["STATE_FILE", "FleetConsumer", "iso"]
