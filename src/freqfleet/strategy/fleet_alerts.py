"""Fleet events sent through the consumer's own channels (Telegram, Discord, webhook) as
strategy messages: a producer stale and back, pairs without a producer, rejected producer
messages, freqtrade version drift, analysis slower than a quarter of a candle.

Why from the consumer strategy with ``dp.send_msg``: the user already reads the consumer's
notifications; a fleet that goes wrong should speak where its trades are reported, with no
second notifier to configure. freqtrade delivers strategy messages only to channels with
``allow_custom_messages: true`` (a webhook also needs a ``strategy_msg`` entry).
Why edges, not levels: the consumer loops about once a second; each event is said once
when it starts and once when it ends, never per loop. ``dp.send_msg``'s own de-duplication
(once per candle per text) would repeat a lasting problem every candle, so messages are
sent with ``always_send`` and this module decides.
Threads: :meth:`FleetAlerts.on_loop` runs on the bot thread; the version watch asks the
producers' REST APIs on a thread of its own and hands over a copy under its lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from freqtrade.exchange import timeframe_to_seconds

from freqfleet.botapi import BotApi, BotApiError
from freqfleet.fleet_state import FleetState
from freqfleet.section import ProducerApi

if TYPE_CHECKING:
    from freqfleet.strategy.consumer import FleetConsumer

logger = logging.getLogger("freqfleet.strategy.consumer")

PREFIX = "freqfleet: "
CHECK_SECS = 5.0
"""Seconds between two looks at the consumer's report (it is cheap, not free)."""
QUIET_SECS = 600.0
"""A producer's rejections are reported again after this long without a new one."""
VERSION_SECS = 300.0
QUARTER = 0.25


def _listed(names: set[str] | list[str], most: int = 8) -> str:
    shown = sorted(names)
    more = f" and {len(shown) - most} more" if len(shown) > most else ""
    return ", ".join(shown[:most]) + more


class FleetAlerts:
    """Turns successive consumer reports into messages, each once per change of state."""

    def __init__(self, own_version: str, quiet_secs: float = QUIET_SECS) -> None:
        self.own_version = own_version
        self.quiet_secs = quiet_secs
        self.stale: set[str] = set()
        self.slow: set[str] = set()
        self.unrouted: set[str] = set()
        self.drift: dict[str, str] = {}
        self._rejected: dict[str, int] = {}
        self._rejecting_since: dict[str, float] = {}

    def check(
        self, report: FleetState, now: float, versions: Mapping[str, str] | None = None
    ) -> list[str]:
        """The messages this report calls for (``now``: epoch seconds)."""
        messages = [
            *self._staleness(report, now),
            *self._unrouted(report),
            *self._rejections(report, now),
            *self._analysis(report),
            *self._versions(versions or {}),
        ]
        return [PREFIX + message for message in messages]

    def _staleness(self, report: FleetState, now: float) -> list[str]:
        if not report.timeframe:
            return []
        candle = timeframe_to_seconds(report.timeframe)
        newest_closed = (int(now) // candle - 1) * candle
        allowance = report.max_signal_age or 1
        stale = set()
        for name, producer in report.producers.items():
            if producer.newest_candle is None or not producer.pairs:
                continue
            lag = (newest_closed - int(producer.newest_candle.timestamp())) // candle
            if lag > allowance:
                stale.add(name)
        messages = [
            f"producer {name} is stale: its newest analysis is older than {allowance} "
            f"candle(s); no entries on its {report.producers[name].pairs} pairs"
            for name in sorted(stale - self.stale)
        ]
        messages += [f"producer {name} is fresh again" for name in sorted(self.stale - stale)]
        self.stale = stale
        return messages

    def _unrouted(self, report: FleetState) -> list[str]:
        unrouted = set(report.unrouted_pairs)
        messages = []
        if unrouted - self.unrouted:
            messages.append(
                f"no producer serves {len(unrouted)} pair(s): {_listed(unrouted)}; "
                "no entries on them"
            )
        elif self.unrouted and not unrouted:
            messages.append("every pair has a producer again")
        self.unrouted = unrouted
        return messages

    def _rejections(self, report: FleetState, now: float) -> list[str]:
        messages = []
        for name, producer in sorted(report.producers.items()):
            total = sum(producer.rejected.values())
            before = self._rejected.get(name, 0)
            self._rejected[name] = total
            if total <= before:
                since = self._rejecting_since.get(name)
                if since is not None and now - since > self.quiet_secs:
                    del self._rejecting_since[name]  # quiet long enough: say the next one
                continue
            if name not in self._rejecting_since:
                reasons = ", ".join(f"{r} {c}" for r, c in sorted(producer.rejected.items()))
                messages.append(f"rejected messages from producer {name}: {reasons}")
            self._rejecting_since[name] = now
        return messages

    def _analysis(self, report: FleetState) -> list[str]:
        if not report.timeframe:
            return []
        limit = QUARTER * timeframe_to_seconds(report.timeframe)
        took = {name: p.analysis_secs for name, p in report.producers.items()}
        slow = {name for name, secs in took.items() if secs is not None and secs > limit}
        messages = [
            f"producer {name} took {took[name]:.1f} s for its share of a candle, more than "
            f"a quarter of the candle ({limit:.0f} s): fewer pairs per producer, or more "
            "producers"
            for name in sorted(slow - self.slow)
        ]
        messages += [
            f"producer {name} analyses within a quarter of a candle again"
            for name in sorted(self.slow - slow)
        ]
        self.slow = slow
        return messages

    def _versions(self, versions: Mapping[str, str]) -> list[str]:
        drift = {name: v for name, v in versions.items() if v != self.own_version}
        messages = []
        if drift and drift != self.drift:
            running = ", ".join(f"{name} {v}" for name, v in sorted(drift.items()))
            messages.append(
                f"freqtrade version drift: the consumer runs {self.own_version}, {running}; "
                "run every bot on one release"
            )
        elif self.drift and not drift:
            messages.append(f"every producer runs freqtrade {self.own_version} again")
        self.drift = drift
        return messages


class VersionWatch:
    """Each reachable producer's freqtrade version, asked every ``interval`` seconds."""

    def __init__(self, producers: Mapping[str, ProducerApi], interval: float = VERSION_SECS):
        self.producers = dict(producers)
        self.interval = interval
        self._versions: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def versions(self) -> dict[str, str]:
        with self._lock:
            return dict(self._versions)

    def ask(self) -> None:
        for name, access in self.producers.items():
            try:
                with BotApi(access.url, access.username, access.password, timeout=5) as api:
                    version = api.version().get("version")
            except BotApiError:
                continue  # unreachable: staleness says so, not drift
            if version:
                with self._lock:
                    self._versions[name] = str(version)

    def start(self) -> None:
        if self.producers:
            threading.Thread(target=self._run, name="freqfleet-versions", daemon=True).start()

    def _run(self) -> None:
        wait = 10.0
        while not self._stopping.wait(wait):
            wait = self.interval
            self.ask()

    def stop(self) -> None:
        self._stopping.set()


class AlertHook:
    """What the consumer's hooks call: a look every ``CHECK_SECS`` on the bot thread."""

    def __init__(
        self,
        report: Callable[[], FleetState],
        send: Callable[[str], None],
        alerts: FleetAlerts,
        versions: VersionWatch | None = None,
        check_secs: float = CHECK_SECS,
    ) -> None:
        self.report = report
        self.send = send
        self.alerts = alerts
        self.versions = versions
        self.check_secs = check_secs
        self._next = 0.0

    def on_loop(self) -> None:
        if time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self.check_secs
        seen = self.versions.versions() if self.versions else None
        for message in self.alerts.check(self.report(), datetime.now(UTC).timestamp(), seen):
            logger.info("Fleet alert: %s", message.removeprefix(PREFIX))
            self.send(message)

    def stop(self) -> None:
        if self.versions is not None:
            self.versions.stop()


def alert_hook(strategy: Any, consumer: FleetConsumer) -> AlertHook | None:
    """The hook for a consumer strategy whose ``fleet.alerts`` is on (else None)."""
    from freqtrade import __version__

    dp = getattr(strategy, "dp", None)
    if dp is None or not consumer.settings.alerts:
        return None
    versions = VersionWatch(consumer.settings.producer_api)
    versions.start()
    return AlertHook(
        consumer.report,
        lambda message: dp.send_msg(message, always_send=True),
        FleetAlerts(__version__),
        versions,
    )


__all__ = ["PREFIX", "AlertHook", "FleetAlerts", "VersionWatch", "alert_hook"]
