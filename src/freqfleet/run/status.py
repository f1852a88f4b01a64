"""The fleet's health in one table, from the bots' own REST APIs.

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
and the consumer relies on freqtrade internals, so a fleet is tested on one release.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from freqtrade.exchange import timeframe_to_seconds
from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table

from freqfleet.botapi import BotApi, BotApiError
from freqfleet.fleet import BotEntry, FleetManifest
from freqfleet.fleet_state import STATE_FILE, Role, StateFileRead, read_state_file
from freqfleet.gateway import STATS_PATH
from freqfleet.run.balances import WalletView, wallet_view, with_wallets
from freqfleet.run.supervisor import local_api_url, read_state, running_supervisor


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
    access: str | None = None
    freqtrade: str | None = None
    wallet: WalletView | None = None
    """The consumer's balances (exchange and bot view), live or dry-run."""


@dataclass
class FleetStatus:
    """The whole fleet: each bot plus what the consumer strategy reports."""

    bots: list[BotStatus]
    unrouted_pairs: list[str] = field(default_factory=list)
    stale_pairs: list[str] = field(default_factory=list)
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
                candle_s = timeframe_to_seconds(timeframe)
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
        if consumer_running and entry.access:
            status.access = entry.access
    updated = report.updated if report is not None else None
    versions = freqtrade_versions(bots)
    return FleetStatus(
        bots=bots,
        unrouted_pairs=list(report.unrouted_pairs) if report and consumer_running else [],
        stale_pairs=list(report.stale_pairs) if report and consumer_running else [],
        follow=dict(report.follow) if report is not None else {},
        consumer_state_updated=updated.isoformat() if updated is not None else None,
        consumer_state_age_s=_report_age(read, now) if read.mtime is not None else None,
        consumer_running=consumer_running,
        consumer_state_problem=read.problem,
        freqtrade_versions=versions,
        mixed_freqtrade_versions=len(versions) > 1,
        gateway=gateway_status(manifest, timeout),
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


def gateway_line(gateway: dict[str, Any]) -> str:
    """One caption line: hit rate, upstream weight per minute against the limit, and
    (when there were any) requests queued for budget and the exchange's 429/418."""
    if gateway.get("state") != "running":
        return f"gateway: [red]{escape(str(gateway.get('state')))}[/] at {gateway.get('url')}"
    upstream = gateway["upstream"]
    rate = gateway.get("hit_rate")
    hits = "no requests yet" if rate is None else f"hit rate {rate:.0%}"
    line = (
        f"gateway: {hits} ({gateway.get('hits', 0)} from cache, "
        f"{gateway.get('coalesced', 0)} coalesced), upstream weight "
        f"{upstream.get('weight_last_minute')}/min of {upstream.get('budget_per_minute')} "
        f"allowed (exchange limit {upstream.get('limit_per_minute')})"
    )
    if upstream.get("queued"):
        line += (
            f", {upstream['queued']} queued for budget "
            f"({float(upstream.get('queued_seconds') or 0):.0f} s waited"
            f"{', ' + str(upstream['dropped']) + ' dropped' if upstream.get('dropped') else ''})"
        )
    refused = {status: upstream.get(f"answered_{status}") for status in (429, 418)}
    if any(refused.values()):
        counts = ", ".join(f"{count} x {status}" for status, count in refused.items() if count)
        line += f", [red]exchange answered {counts}[/]"
    back_off = gateway.get("back_off")
    if isinstance(back_off, dict):
        line += (
            f", [yellow]backing off after HTTP {back_off.get('status')} for "
            f"{back_off.get('retry_after')} s[/]"
        )
    return line


def mixed_versions_warning(status: FleetStatus) -> str | None:
    """One line naming who runs which freqtrade, when the bots do not all run one."""
    if not status.mixed_freqtrade_versions:
        return None
    running = "; ".join(
        f"{version} ({', '.join(names)})" for version, names in status.freqtrade_versions.items()
    )
    return (
        f"the fleet's bots run mixed freqtrade versions: {running}; run every bot on one "
        "release (rebuild the images from the plan's Dockerfile, or install the same "
        "freqtrade on every host)"
    )


def _age_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _state_style(state: str) -> str:
    if state == "running":
        return "green"
    if state in ("stopped", "paused"):
        return "yellow"
    return "red"


def _pair_list(pairs: list[str], most: int = 6) -> str:
    if not pairs:
        return "none"
    shown = ", ".join(pairs[:most])
    return f"{len(pairs)} ({shown}" + (", ...)" if len(pairs) > most else ")")


def _at_consumer(bot: BotStatus) -> str:
    """A producer as the consumer sees it: why it cannot use it, what it rejected."""
    parts = []
    if bot.access:
        parts.append(f"[red]{bot.access}[/]")
    if bot.rejected:
        total = sum(bot.rejected.values())
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(bot.rejected.items()))
        parts.append(f"rejected {total} ({reasons})")
    return "; ".join(parts) or "-"


def _version_cell(bot: BotStatus, status: FleetStatus) -> str:
    if not bot.freqtrade:
        return "-"
    if status.mixed_freqtrade_versions:
        return f"[yellow]{escape(bot.freqtrade)}[/]"
    return escape(bot.freqtrade)


def _caption(status: FleetStatus) -> list[str]:
    """The table's caption: the consumer's strategy report, its pairs, what it follows, the
    gateway; a warning first when the bots run different freqtrade versions."""
    if status.consumer_state_problem is not None:
        age = _age_text(status.consumer_state_age_s)
        caption = [
            f"consumer strategy report: [red]{escape(status.consumer_state_problem)}[/]"
            f" (written {age} ago)"
        ]
    elif status.consumer_state_age_s is None and status.consumer_state_updated is None:
        caption = ["consumer strategy report: not available on this host yet"]
    else:
        age = _age_text(status.consumer_state_age_s)
        caption = [f"consumer strategy report: written {age} ago"]
        if status.consumer_running:
            unserved = _pair_list(status.unrouted_pairs)
            if status.unrouted_pairs:
                unserved += ": the consumer expects them but no producer serves them"
            caption += [
                f"unserved pairs: {unserved}",
                f"stale pairs: {_pair_list(status.stale_pairs)}",
            ]
        else:
            caption[0] += " (the consumer is not running: its pair lists are not shown)"
        if status.follow:
            caption.append(
                "follow: "
                + ", ".join(f"{key} {value}" for key, value in sorted(status.follow.items()))
            )
    if status.gateway is not None:
        caption.append(gateway_line(status.gateway))
    warning = mixed_versions_warning(status)
    if warning:
        caption.insert(0, f"[yellow]warning: {escape(warning)}[/]")
    return caption


def render_status(status: FleetStatus) -> RenderableType:
    """The status table, one row per bot, consumer last, fleet facts in the caption; then
    the consumer's wallet."""
    table = Table(title="freqfleet status", title_justify="left")
    columns = ("bot", "role", "state", "freqtrade", "pairs", "newest candle age", "trades", "stake")
    for column in (*columns, "at consumer"):
        table.add_column(column)
    for bot in status.bots:
        trades = "-" if bot.open_trades is None else str(bot.open_trades)
        if bot.role == "consumer" and bot.max_open_trades is not None:
            trades += f" / {bot.max_open_trades}"
        stake = "-"
        if bot.stake_in_use is not None:
            currency = f" {bot.stake_currency}" if bot.stake_currency else ""
            stake = f"{bot.stake_in_use:.6g}{currency} in use"
            if bot.stake_available is not None:
                stake += f", {bot.stake_available:.6g} free"
        restarts = f" ({bot.restarts} restarts)" if bot.restarts else ""
        table.add_row(
            bot.name,
            bot.role,
            f"[{_state_style(bot.state)}]{bot.state}[/]{restarts}",
            _version_cell(bot, status),
            "-" if bot.pairs is None else str(bot.pairs),
            _age_text(bot.newest_candle_age_s) if bot.role == "producer" else "-",
            trades,
            stake,
            _at_consumer(bot) if bot.role == "producer" else "-",
        )
    table.caption = "\n".join(_caption(status))
    table.caption_justify = "left"
    return with_wallets(table, [bot.wallet for bot in status.bots])


__all__ = [
    "BotStatus",
    "FleetStatus",
    "bot_status",
    "collect_status",
    "freqtrade_versions",
    "mixed_versions_warning",
    "render_status",
]
