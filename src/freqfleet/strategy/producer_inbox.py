"""What freqtrade's message thread delivers to the consumer, checked and stored.

Why: the consumer's bot thread must never wait for, nor be changed by, the message
thread except through this one place. Each producer message is checked where it arrives
(:mod:`~freqfleet.strategy.intake`); what passes is stored under the consumer's lock (the
newest frame per producer and pair, the newest whitelist per producer) and nothing else
happens on the message thread: the bot thread merges, routes and hands freqtrade its
frames. The inbox also wakes a bot thread that waits for rows still missing.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

from pandas import DataFrame

from freqfleet.strategy.agreement import Agreement
from freqfleet.strategy.intake import IntakeRules, Rejections, frame_problem, whitelist_problems
from freqfleet.strategy.routing import ProducerData

logger = logging.getLogger("freqfleet.strategy.consumer")
"""The consumer's logger: its lines read as they did when this was part of it."""


class ProducerInbox:
    """Producer frames and whitelists as the message thread leaves them for the bot thread."""

    def __init__(self, lock: threading.Lock, rejections: Rejections) -> None:
        self.lock = lock
        """The consumer's lock: held to store here and to read here."""
        self.rejections = rejections
        self.rules: IntakeRules | None = None
        self.frames: dict[str, dict[str, ProducerData]] = {}
        self.whitelists: dict[str, list[str]] = {}
        self.whitelists_changed = False
        self.agreement = Agreement()
        """Whether a pair's producers agree on its decisions (redundant fleets)."""
        self.arrival = threading.Event()
        """Set when the last of the awaited rows arrived (or to stop a wait)."""
        self._awaited: set[str] = set()
        self._last_message: dict[str, float] = {}
        self._delivering_thread: int | None = None
        self._timeframe_warned: set[str] = set()

    # -- the message thread -----------------------------------------------------------

    def check_frame(
        self, producer: str, pair: Any, timeframe: Any, candle_type: Any, frame: Any
    ) -> bool:
        """Whether freqtrade may store an ``analyzed_df`` message (else it is counted)."""
        assert self.rules is not None
        self._last_message[producer] = time.monotonic()
        try:
            problem = frame_problem(
                self.rules, producer, pair, timeframe, candle_type, frame, time.time_ns()
            )
        except Exception:  # nothing a producer sends may raise here
            problem = "malformed"
        if problem is None:
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

    def frame_stored(
        self,
        producer: str,
        pair: str,
        timeframe: str,
        candle_type: Any,
        frame: DataFrame,
        last_analyzed: datetime,
    ) -> None:
        """Keep the frame freqtrade stored (no copy) for the bot thread's next look."""
        self._delivering_thread = threading.get_ident()
        with self.lock:
            self._compare(producer, pair, frame)
            self.frames.setdefault(producer, {})[pair] = (frame, last_analyzed)
            awaited = self._awaited
            if pair in awaited:
                awaited.discard(pair)
                if not awaited:
                    self.arrival.set()

    def _compare(self, producer: str, pair: str, frame: DataFrame) -> None:
        """The frame's newest row against the first producer's row of that candle."""
        try:
            self.agreement.check(producer, pair, frame, self.frames)
        except Exception:  # nothing a producer sends may raise here
            logger.debug("Fleet: could not compare %s's %s", producer, pair, exc_info=True)

    def check_whitelist(self, producer: str, pairs: Any) -> list[str] | None:
        """The pairs of a whitelist message freqtrade may store (the rest are counted)."""
        assert self.rules is not None
        self._last_message[producer] = time.monotonic()
        try:
            kept, dropped = whitelist_problems(self.rules, producer, pairs)
        except Exception:
            kept, dropped = [], {"malformed": (1, None)}
        for reason, (count, example) in dropped.items():
            self.rejections.add(producer, reason, example, count)
        with self.lock:
            self.whitelists[producer] = kept
            self.whitelists_changed = True
        return kept

    # -- the bot thread (under the lock) and the access watch --------------------------

    def frame(self, producer: str, pair: str) -> ProducerData | None:
        return self.frames.get(producer, {}).get(pair)

    def await_rows(self, pairs: set[str]) -> None:
        """The pairs whose rows the entries of this candle still wait for."""
        self._awaited = pairs

    def rows_come_meanwhile(self) -> bool:
        """Whether waiting can help: rows arrive on freqtrade's message thread, not on
        this one (a caller feeding messages itself would only wait for nothing)."""
        delivering = self._delivering_thread
        return delivering is not None and delivering != threading.get_ident()

    def last_heard(self, producer: str) -> float | None:
        """When (``time.monotonic``) the producer's newest message arrived."""
        return self._last_message.get(producer)


__all__ = ["ProducerInbox"]
