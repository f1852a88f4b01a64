"""The newest snapshot, taken on a thread of its own every ``interval`` seconds.

Why one taker for every viewer: each snapshot asks every bot several questions; ten
browser tabs and a Prometheus scrape must not multiply that. The page, the event stream
and ``/metrics`` read what the taker last wrote, numbered so a stream sends each snapshot
once.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

from freqfleet.dashboard.snapshot import Snapshot

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 2.0


class SnapshotFeed:
    """Takes snapshots with ``take`` until stopped; readers get the newest one."""

    def __init__(self, take: Callable[[], Snapshot], interval: float = DEFAULT_INTERVAL) -> None:
        self.take = take
        self.interval = interval
        self.serial = 0
        self._latest: Snapshot | None = None
        self._text = "null"
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def latest(self) -> Snapshot | None:
        with self._lock:
            return self._latest

    def latest_json(self) -> tuple[int, str]:
        """The newest snapshot's number and JSON text (encoded once for every viewer)."""
        with self._lock:
            return self.serial, self._text

    def refresh(self) -> None:
        """Take one snapshot now."""
        try:
            snapshot = self.take()
        except Exception:  # a bug must not end the dashboard; it is logged each time
            logger.exception("dashboard: taking a snapshot failed")
            return
        text = json.dumps(snapshot.as_json())
        with self._lock:
            self._latest = snapshot
            self._text = text
            self.serial += 1

    def start(self) -> None:
        self.refresh()
        self._thread = threading.Thread(target=self._run, name="freqfleet-dashboard", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.refresh()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


__all__ = ["DEFAULT_INTERVAL", "SnapshotFeed"]
