"""Longest files first, one file per worker at a time (``make test``: pytest-xdist).

Why not xdist's own ``--dist loadfile``: it reorders files by their number of tests (many
quick unit tests first, the few long end-to-end tests last) and hands every worker a
second file before it finished the first, so a long file can wait behind another long
file on a busy worker while other workers idle. Here the collection order is the plan:
``ordered`` sorts files by their recorded cost (``durations.json``, seconds per file from
a measured run), and ``LongestFirstScheduling`` hands files out in that order, the next
one only to a worker about to run out of tests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

DURATIONS = Path(__file__).parent.parent / "durations.json"
"""Seconds per test file from a measured run (``pytest --record-durations``)."""
UNKNOWN_SLOW_SECONDS = 300.0
"""Cost of a file with slow tests that has no recorded time yet: it starts early."""
UNKNOWN_SECONDS_PER_TEST = 0.5
LONG_TEST_SECONDS = 20.0
"""A worker waiting to start a test this long gets the shortest file left, not the longest."""


def recorded_seconds() -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(DURATIONS.read_text("utf-8")).items()}
    except (OSError, ValueError):
        return {}


def file_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def ordered(items: Sequence[pytest.Item]) -> list[pytest.Item]:
    """Files by cost, longest first; a file's tests keep their order and stay together."""
    recorded = recorded_seconds()
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(file_of(item), []).append(item)

    def cost(name: str) -> float:
        if name in recorded:
            return recorded[name]
        tests = files[name]
        if any(item.get_closest_marker("slow") is not None for item in tests):
            return UNKNOWN_SLOW_SECONDS
        return UNKNOWN_SECONDS_PER_TEST * len(tests)

    return [item for name in sorted(files, key=cost, reverse=True) for item in files[name]]


class DurationRecorder:
    """``--record-durations``: each file's seconds (setup, call, teardown of its tests) into
    ``durations.json`` when the run ends; files not run keep their recorded time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = report.nodeid.split("::", 1)[0]
        self.seconds[name] = self.seconds.get(name, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        merged = {**recorded_seconds(), **{k: round(v, 1) for k, v in self.seconds.items()}}
        text = json.dumps(dict(sorted(merged.items())), indent=1) + "\n"
        DURATIONS.write_text(text, encoding="utf-8")


def longest_first_scheduling(config: pytest.Config, log: Any) -> Any:
    """The scheduler for ``--dist loadfile`` (xdist's own one when that is not installed)."""
    from xdist.scheduler import LoadFileScheduling

    recorded = recorded_seconds()

    class LongestFirstScheduling(LoadFileScheduling):
        """Files in collection order, the next one to a worker left with one test to run.

        A worker holds its last test until it knows the next one (or is told to stop), so
        "one test pending" means it waits for work. When that test is short it gets the
        longest file left; when it is long (a one-test end-to-end file, say) it gets the
        shortest one instead, so that no long file waits behind it while other workers
        may be about to free up. The initial distribution is one file per worker."""

        def schedule(self) -> None:
            self.config.option.loadscopereorder = False
            super().schedule()

        def _reschedule(self, node: Any) -> None:
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) > 1:
                return
            self._assign(node, shortest=self._holds_a_long_test(node))

        def _holds_a_long_test(self, node: Any) -> bool:
            for scope, tests in self.assigned_work[node].items():
                if not all(tests.values()):
                    if scope not in recorded:
                        return len(tests) == 1  # a new end-to-end file is one long test
                    return recorded[scope] / len(tests) > LONG_TEST_SECONDS
            return False

        def _assign(self, node: Any, shortest: bool) -> None:
            scope, work_unit = self.workqueue.popitem(last=shortest)
            self.assigned_work.setdefault(node, {})[scope] = work_unit
            collection = self.registered_collections[node]
            node.send_runtest_some(
                [collection.index(nodeid) for nodeid, done in work_unit.items() if not done]
            )

    return LongestFirstScheduling(config, log)


__all__ = [
    "DURATIONS",
    "DurationRecorder",
    "file_of",
    "longest_first_scheduling",
    "ordered",
    "recorded_seconds",
]
