"""The fleet's health, from the bots' own REST APIs (its table:
:mod:`freqfleet.run.status_table`).

Why through freqtrade's REST API (:mod:`freqfleet.botapi`) and not the processes: it works
for a fleet started by ``up`` as well as for one run by docker-compose or on other hosts,
and it shows what the bots themselves believe. A bot that is unreachable, rejects the login
or is not a freqtrade API becomes a state in the table, never a traceback.

The consumer strategy's own report (``user_data/fleet-state.json``) outlives the consumer:
its age is always shown, and its pair lists only while the consumer runs. It is read with
the consumer's own schema (:mod:`freqfleet.fleet_state`); a report of another version or
that is not that schema is named in one line, with its age, instead of its content.

Each bot's freqtrade version (``/api/v1/version``) is shown, with a warning when the
fleet's bots run different ones: producer and consumer exchange freqtrade's own messages
and the consumer relies on freqtrade internals, so a fleet is tested on one release. A bot
running another freqtrade or strategy file than the plan's is flagged
(:mod:`freqfleet.run.drift`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from freqfleet.botapi import BotApi, BotApiError
from freqfleet.fleet import BotEntry, FleetManifest
from freqfleet.fleet_state import (
    STATE_FILE,
    FleetState,
    Role,
    StateFileRead,
    read_state_file,
)
from freqfleet.gateway import STATS_PATH
from freqfleet.run.balances import WalletView, wallet_view
from freqfleet.run.drift import changed_files, fleet_drift, strategy_files
from freqfleet.run.supervisor import local_api_url, read_state, running_supervisor
from freqfleet.timeframes import timeframe_seconds


@dataclass
class BotStatus:
    """What one bot reports about itself."""

    name: str
    role: str
    url: str
    state: str
    pairs: int | None = None
    newest_candle: str | None = None
    newest_candle_age_s: float | None = None
    open_trades: int | None = None
    max_open_trades: int | None = None
    stake_currency: str | None = None
    stake_in_use: float | None = None
    stake_available: float | None = None
    restarts: int | None = None
    rejected: dict[str, int] = field(default_factory=dict)
    disagreements: dict[str, int] = field(default_factory=dict)
    """Column -> candles on which the consumer found this producer's analysis differing
    from the pair's first producer's (:mod:`freqfleet.strategy.agreement`)."""
    access: str | None = None
    freqtrade: str | None = None
    wallet: WalletView | None = None
    """The consumer's balances (exchange and bot view), live or dry-run."""
    strategy: str | None = None
    strategy_version: str | None = None
    """The strategy's ``version()`` (``show_config``), if it defines one."""
    started_ts: float | None = None
    """When this bot's process started (``/api/v1/health``), epoch seconds."""
    drift: list[str] = field(default_factory=list)
    """Why it does not run what the plan says (:mod:`freqfleet.run.drift`)."""


@dataclass
class FleetStatus:
    """The whole fleet: each bot plus what the consumer strategy reports."""

    bots: list[BotStatus]
    unrouted_pairs: list[str] = field(default_factory=list)
    stale_pairs: list[str] = field(default_factory=list)
    fresh_producers: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Pair -> (fresh producers, planned producers), while the consumer runs and reports
    them; fewer fresh than planned is a warning, none is stale."""
    follow: dict[str, Any] = field(default_factory=dict)
    consumer_state_updated: str | None = None
    consumer_state_age_s: float | None = None
    consumer_running: bool = False
    consumer_state_problem: str | None = None
    """Why the consumer's report cannot be used (one line), when it exists but cannot."""
    freqtrade_versions: dict[str, list[str]] = field(default_factory=dict)
    """freqtrade version -> the bots that report it (bots that answered)."""
    mixed_freqtrade_versions: bool = False
    gateway: dict[str, Any] | None = None
    """The market-data gateway's ``/gateway/stats`` (``{"state": ...}`` when unreachable)."""
    strategy_files_changed: list[str] = field(default_factory=list)
    """The plan's strategy files whose content on this host is no longer the plan's."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _age_seconds(date_text: str | None, now: datetime) -> float | None:
    if not date_text:
        return None
    try:
        moment = datetime.fromisoformat(str(date_text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (now - moment).total_seconds())


def bot_status(bot: BotEntry, timeframe: str, now: datetime, timeout: float = 5.0) -> BotStatus:
    """Ask one bot for its state; unreachable or refusing bots give a state, not an error."""
    url = local_api_url(bot)
    status = BotStatus(name=bot.name, role=bot.role, url=url, state="?")
    try:
        with BotApi(url, bot.username, bot.password, timeout=timeout) as api:
            _ask(api, bot, status, timeframe, now)
    except BotApiError as problem:
        status.state = str(problem)
    return status


def _ask(api: BotApi, bot: BotEntry, status: BotStatus, timeframe: str, now: datetime) -> None:
    config = api.show_config()
    status.state = str(config.get("state", "?")).lower()
    status.freqtrade = _freqtrade_version(api, config)
    status.stake_currency = config.get("stake_currency")
    status.strategy = str(config["strategy"]) if config.get("strategy") else None
    version = config.get("strategy_version")
    status.strategy_version = str(version) if version is not None else None
    status.started_ts = _started(api)
    whitelist = api.whitelist()
    status.pairs = len(whitelist)
    count = api.count()
    status.open_trades = int(count.get("current", 0))
    max_trades = count.get("max")
    status.max_open_trades = int(max_trades) if max_trades is not None else None
    status.stake_in_use = float(count.get("total_stake", 0.0))
    if bot.role == "consumer":
        balance = api.balance()
        status.wallet = wallet_view(config, balance)
        for currency in balance.get("currencies", []):
            if isinstance(currency, dict) and currency.get("currency") == status.stake_currency:
                status.stake_available = float(currency.get("free", 0.0))
    elif whitelist:
        candles = api.pair_candles(whitelist[0], timeframe, limit=1)
        columns = candles.get("columns", [])
        rows = candles.get("data") or []
        if rows and "date" in columns:
            status.newest_candle = str(rows[-1][columns.index("date")])
            # Age since the candle closed: a fresh 1m candle is seconds old, not 60+.
            opened_age = _age_seconds(status.newest_candle, now)
            if opened_age is not None:
                candle_s = timeframe_seconds(timeframe)
                status.newest_candle_age_s = max(0.0, opened_age - candle_s)


def _freqtrade_version(api: BotApi, config: dict[str, Any]) -> str | None:
    """The bot's freqtrade version (``/api/v1/version``; ``show_config`` carries it too)."""
    try:
        answer: object = api.version()
    except BotApiError:
        answer = None
    version = answer.get("version") if isinstance(answer, dict) else None
    if version is None:
        version = config.get("version")
    return str(version) if version else None


def _started(api: BotApi) -> float | None:
    """When the bot's process started (``/api/v1/health``'s ``bot_startup_ts``)."""
    try:
        started = api.health().get("bot_startup_ts")
    except BotApiError:
        return None
    return float(started) if isinstance(started, int | float) and started > 0 else None


def freqtrade_versions(bots: list[BotStatus]) -> dict[str, list[str]]:
    """freqtrade version -> names of the bots running it, for the bots that said."""
    versions: dict[str, list[str]] = {}
    for bot in bots:
        if bot.freqtrade:
            versions.setdefault(bot.freqtrade, []).append(bot.name)
    return dict(sorted(versions.items()))


def read_consumer_state(plan_dir: Path, manifest: FleetManifest) -> StateFileRead:
    """The consumer strategy's own report (written beside its data), if this host has it."""
    return read_state_file(Path(plan_dir) / manifest.userdir / STATE_FILE)


def _report_age(read: StateFileRead, now: datetime) -> float | None:
    """Seconds since the report was written: its ``updated`` stamp, else the file's time."""
    updated = read.state.updated if read.state is not None else None
    if updated is not None:
        if updated.tzinfo is None:
            updated = updated.replace(tzinfo=UTC)
        return max(0.0, (now - updated).total_seconds())
    return None if read.mtime is None else max(0.0, now.timestamp() - read.mtime)


def fresh_producers(report: FleetState) -> dict[str, tuple[int, int]]:
    """Pair -> (fresh, planned) producers, for the pairs the consumer reports both of."""
    return {
        pair: (state.fresh_producers, state.planned_producers)
        for pair, state in report.pairs.items()
        if state.fresh_producers is not None and state.planned_producers is not None
    }


def collect_status(plan_dir: Path, manifest: FleetManifest, timeout: float = 5.0) -> FleetStatus:
    now = datetime.now(UTC)
    supervised = running_supervisor(plan_dir) is not None
    supervisor_bots = ((read_state(plan_dir) or {}).get("bots") or {}) if supervised else {}
    bots = []
    for bot in [*manifest.producers, manifest.consumer]:
        status = bot_status(bot, manifest.timeframe, now, timeout)
        recorded = supervisor_bots.get(bot.name)
        if isinstance(recorded, dict):
            status.restarts = recorded.get("restarts")
            if status.state.startswith("unreachable"):
                if recorded.get("gave_up"):
                    status.state = "crashed (not restarted)"
                elif recorded.get("state") == "held":
                    status.state = "stopped (down --only)"
        bots.append(status)
    read = read_consumer_state(plan_dir, manifest)
    report = read.state
    consumer_running = any(b.role == Role.CONSUMER and b.state == "running" for b in bots)
    producers = report.producers if report is not None else {}
    for status in bots:
        entry = producers.get(status.name)
        if status.role != Role.PRODUCER or entry is None:
            continue
        status.rejected = dict(entry.rejected)
        status.disagreements = dict(entry.disagreements)
        if consumer_running and entry.access:
            status.access = entry.access
    updated = report.updated if report is not None else None
    versions = freqtrade_versions(bots)
    runs = report.strategy_files if report is not None and consumer_running else None
    for name, reasons in fleet_drift(plan_dir, manifest, list(bots), runs).items():
        next(bot for bot in bots if bot.name == name).drift = reasons
    return FleetStatus(
        bots=bots,
        unrouted_pairs=list(report.unrouted_pairs) if report and consumer_running else [],
        stale_pairs=list(report.stale_pairs) if report and consumer_running else [],
        fresh_producers=fresh_producers(report) if report and consumer_running else {},
        follow=dict(report.follow) if report is not None else {},
        consumer_state_updated=updated.isoformat() if updated is not None else None,
        consumer_state_age_s=_report_age(read, now) if read.mtime is not None else None,
        consumer_running=consumer_running,
        consumer_state_problem=read.problem,
        freqtrade_versions=versions,
        mixed_freqtrade_versions=len(versions) > 1,
        gateway=gateway_status(manifest, timeout),
        strategy_files_changed=changed_files(strategy_files(plan_dir, manifest)),
    )


def gateway_status(manifest: FleetManifest, timeout: float = 5.0) -> dict[str, Any] | None:
    """The gateway's own counters, or its state when it does not answer."""
    if manifest.gateway is None:
        return None
    try:
        answer = httpx.get(f"{manifest.gateway.url}{STATS_PATH}", timeout=timeout)
        stats = answer.json() if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        stats = None
    if not isinstance(stats, dict) or not isinstance(stats.get("upstream"), dict):
        return {"state": "unreachable", "url": manifest.gateway.url}
    return {"state": "running", **stats}


__all__ = [
    "BotStatus",
    "FleetStatus",
    "bot_status",
    "collect_status",
    "freqtrade_versions",
    "gateway_status",
]
