"""The newest snapshot, taken on a thread of its own every ``interval`` seconds while
somebody reads it.

Why one taker for every viewer: each snapshot asks every bot several questions; ten
browser tabs and a Prometheus scrape must not multiply that. The page, the event stream
and ``/metrics`` read what the taker last wrote, numbered so a stream sends each snapshot
once. Why it rests when nobody reads: a dashboard left running beside a fleet would
otherwise ask every bot (and, through a live consumer's balance, its exchange account)
every two seconds for nobody; a reader after a rest wakes it, and ``/snapshot`` and
``/metrics`` then wait for the fresh snapshot rather than answer an old one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from freqfleet.dashboard.snapshot import Snapshot

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 2.0
IDLE_AFTER = 120.0
"""Seconds without a reader after which the taker rests (longer than Prometheus' default
scrape interval of a minute, so a scraped dashboard never rests)."""
FRESH_WAIT = 10.0
"""Seconds a reader waits for the snapshot a wake-up takes."""


class SnapshotFeed:
    """Takes snapshots with ``take`` until stopped; readers get the newest one."""

    def __init__(
        self,
        take: Callable[[], Snapshot],
        interval: float = DEFAULT_INTERVAL,
        idle_after: float = IDLE_AFTER,
    ) -> None:
        self.take = take
        self.interval = interval
        self.idle_after = idle_after
        self.serial = 0
        self._latest: Snapshot | None = None
        self._text = "null"
        self._read_at = time.monotonic()
        self._changed = threading.Condition()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- readers ------------------------------------------------------------------------------
    def latest(self, *, wait: bool = True) -> Snapshot | None:
        """The newest snapshot; after a rest, the one the wake-up takes (``wait``)."""
        self._reading(wait)
        with self._changed:
            return self._latest

    def latest_json(self, *, wait: bool = True) -> tuple[int, str]:
        """The newest snapshot's number and JSON text (encoded once for every viewer);
        ``wait=False`` for a reader that must not block (the event stream's loop)."""
        self._reading(wait)
        with self._changed:
            return self.serial, self._text

    def has_snapshot(self) -> bool:
        """Whether a snapshot was ever taken (a health check: not a reader, no wake-up)."""
        with self._changed:
            return self._latest is not None

    @property
    def resting(self) -> bool:
        """No reader for ``idle_after`` seconds: the taker takes nothing until the next."""
        return time.monotonic() - self._read_at > self.idle_after

    def _reading(self, wait: bool) -> None:
        """Count a read; a read while the taker rests wakes it (and waits for its snapshot)."""
        was_resting = self.resting
        self._read_at = time.monotonic()
        if self._thread is None or not was_resting:
            return
        with self._changed:
            serial = self.serial
        self._wake.set()
        if wait:
            with self._changed:
                self._changed.wait_for(
                    lambda: self.serial != serial or self._stopping.is_set(), FRESH_WAIT
                )

    # -- the taker ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Take one snapshot now."""
        try:
            snapshot = self.take()
        except Exception:  # a bug must not end the dashboard; it is logged each time
            logger.exception("dashboard: taking a snapshot failed")
            return
        text = json.dumps(snapshot.as_json())
        with self._changed:
            self._latest = snapshot
            self._text = text
            self.serial += 1
            self._changed.notify_all()

    def start(self) -> None:
        self.refresh()
        self._thread = threading.Thread(target=self._run, name="freqfleet-dashboard", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self.resting:
                self._wake.wait()
            else:
                self._wake.wait(self.interval)
            self._wake.clear()
            if not self._stopping.is_set():
                self.refresh()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)


__all__ = ["DEFAULT_INTERVAL", "FRESH_WAIT", "IDLE_AFTER", "SnapshotFeed"]
