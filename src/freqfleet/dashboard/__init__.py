"""freqfleet.dashboard: one live, read-only web page and ``/metrics`` for a fleet
(``freqfleet dashboard DIR``, also started by ``freqfleet up``).

What other parts of freqfleet use:

- ``take_snapshot(plan_dir, manifest)`` and ``Snapshot``: the fleet as the page shows it,
  built on ``freqfleet status``'s collection (:mod:`.snapshot`);
- ``SnapshotFeed``: the newest snapshot, taken on one thread for every viewer (:mod:`.feed`);
- ``create_app(feed, username, password, title)``: the HTTP app (:mod:`.app`), its page
  (:mod:`.page`) and its metrics (``metrics_text``, :mod:`.metrics`);
- ``dashboard_spec``, ``default_port``, ``listen_address``, ``dashboard_url``: how ``up``
  runs it beside the bots (:mod:`.address`).
"""

from freqfleet.dashboard.address import (
    PROCESS_NAME,
    dashboard_spec,
    dashboard_url,
    default_port,
    listen_address,
)
from freqfleet.dashboard.app import create_app
from freqfleet.dashboard.feed import SnapshotFeed
from freqfleet.dashboard.metrics import metrics_text
from freqfleet.dashboard.snapshot import Snapshot, take_snapshot

__all__ = [
    "PROCESS_NAME",
    "Snapshot",
    "SnapshotFeed",
    "create_app",
    "dashboard_spec",
    "dashboard_url",
    "default_port",
    "listen_address",
    "metrics_text",
    "take_snapshot",
]
