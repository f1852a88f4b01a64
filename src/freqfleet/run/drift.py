"""Drift: a bot running another freqtrade or another strategy file than its plan's.

Why: the plan records the freqtrade release it was made with and the sha256 of every
strategy file it wrote (:class:`~freqfleet.fleet.manifest.FleetManifest`). A bot started
before the plan rewrote a strategy file still runs the old one; a file edited after the
plan runs in every bot started since; a bot on another host may run another freqtrade.
Each is a fleet whose producers may analyse differently from each other or from what the
consumer was planned for. A bot's own answers (``/api/v1/version``, ``/api/v1/show_config``
for its strategy class and ``version()``, ``/api/v1/health`` for when it started) are
compared with the plan and with the files on this host's disk. The consumer also reports
the sha256 of each strategy file it runs (``strategy_files`` in ``fleet-state.json``): its
files are compared by content, not by when it started.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from freqfleet.fleet import FleetManifest


class BotFacts(Protocol):
    """What a bot said about itself (:class:`~freqfleet.run.status.BotStatus`)."""

    name: str
    freqtrade: str | None
    strategy: str | None
    strategy_version: str | None
    started_ts: float | None


@dataclass(frozen=True)
class StrategyFile:
    """One strategy file of the plan, as planned and as on disk now."""

    path: str
    planned: str
    on_disk: str | None
    """sha256 of the file now (None: missing)."""
    mtime: float | None

    @property
    def changed(self) -> bool:
        return self.on_disk != self.planned


def strategy_files(plan_dir: Path, manifest: FleetManifest) -> list[StrategyFile]:
    """The plan's strategy files with their content and time on disk now."""
    files = []
    for path, planned in sorted(manifest.strategy_hashes.items()):
        location = Path(plan_dir) / path
        try:
            data = location.read_bytes()
            on_disk: str | None = hashlib.sha256(data).hexdigest()
            mtime: float | None = location.stat().st_mtime
        except OSError:
            on_disk, mtime = None, None
        files.append(StrategyFile(path, planned, on_disk, mtime))
    return files


def changed_files(files: list[StrategyFile]) -> list[str]:
    """Strategy files whose content on disk is not the plan's (edited or removed)."""
    return [file.path for file in files if file.changed]


def bot_drift(
    manifest: FleetManifest,
    bot: BotFacts,
    files: list[StrategyFile],
    usual_version: str | None = None,
    runs: Mapping[str, str] | None = None,
) -> list[str]:
    """Why ``bot`` does not run what the plan says (one short phrase each; none: it does).

    ``usual_version``: the strategy ``version()`` most bots report, to name the odd one.
    ``runs``: the strategy files the bot reports running (path in its strategies folder ->
    sha256), compared by content in place of its start time.
    """
    reasons = []
    planned = manifest.freqtrade_version
    if planned and bot.freqtrade and bot.freqtrade != planned:
        reasons.append(f"runs freqtrade {bot.freqtrade}, the plan {planned}")
    if bot.strategy and bot.strategy != manifest.strategy:
        reasons.append(f"runs strategy {bot.strategy}, the plan {manifest.strategy}")
    if usual_version is not None and bot.strategy_version not in (None, usual_version):
        reasons.append(f"strategy version {bot.strategy_version}, the others {usual_version}")
    if runs:
        return reasons + _runs_drift(manifest, runs, files)
    if bot.started_ts is not None:
        for file in files:
            if file.mtime is None:
                continue
            if file.mtime > bot.started_ts and not file.changed:
                reasons.append(f"started before the plan wrote {file.path}: runs an older one")
            elif file.mtime <= bot.started_ts and file.changed:
                reasons.append(f"runs {file.path} as edited after the plan")
    return reasons


def _runs_drift(
    manifest: FleetManifest, runs: Mapping[str, str], files: list[StrategyFile]
) -> list[str]:
    folder = f"{manifest.userdir}/strategies/"
    reasons = []
    for file in files:
        running = runs.get(file.path.removeprefix(folder))
        if running is None or running == file.planned:
            continue
        if running == file.on_disk:
            reasons.append(f"runs {file.path} as edited after the plan")
        else:
            reasons.append(f"runs another {file.path} than the plan's")
    return reasons


def usual_strategy_version(bots: list[BotFacts]) -> str | None:
    """The strategy ``version()`` most bots report (None when fewer than two differ)."""
    counts = Counter(bot.strategy_version for bot in bots if bot.strategy_version is not None)
    if len(counts) < 2:
        return None
    return counts.most_common(1)[0][0]


def fleet_drift(
    plan_dir: Path,
    manifest: FleetManifest,
    bots: list[BotFacts],
    consumer_runs: Mapping[str, str] | None = None,
) -> dict[str, list[str]]:
    """Bot name -> its drift (bots without any left out). ``consumer_runs``: the strategy
    files the running consumer reports (its ``fleet-state.json``)."""
    files = strategy_files(plan_dir, manifest)
    usual = usual_strategy_version(bots)
    consumer = manifest.consumer.name
    found = {
        bot.name: bot_drift(
            manifest, bot, files, usual, consumer_runs if bot.name == consumer else None
        )
        for bot in bots
    }
    return {name: reasons for name, reasons in found.items() if reasons}


__all__ = [
    "BotFacts",
    "StrategyFile",
    "bot_drift",
    "changed_files",
    "fleet_drift",
    "strategy_files",
    "usual_strategy_version",
]
