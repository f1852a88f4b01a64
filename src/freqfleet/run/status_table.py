"""The fleet's health in one table: one row per bot, consumer last, fleet facts in the
caption, then the consumer's wallet (what :mod:`freqfleet.run.status` collected).

Why apart from the collection: ``status --json`` and the demo's view use the same facts;
how they are written (colours, ages, shortened pair lists, the gateway's line) is a job
of its own.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table

from freqfleet.run.balances import with_wallets
from freqfleet.run.status import BotStatus, FleetStatus


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


def drift_warnings(status: FleetStatus) -> list[str]:
    """One line per bot that does not run what the plan says, and one for strategy files
    changed on disk since the plan."""
    lines = [
        f"drift: {bot.name} {'; '.join(bot.drift)}; restart it on the plan's freqtrade "
        "and files (freqfleet restart)"
        for bot in status.bots
        if bot.drift
    ]
    if status.strategy_files_changed:
        lines.append(
            f"drift: {', '.join(status.strategy_files_changed)} changed since the plan; run "
            "`freqfleet apply PLAN_DIR -c CONFIG --dry-run` to see what a new plan changes, "
            "then plan and restart"
        )
    return lines


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
    if bot.disagreements:
        total = sum(bot.disagreements.values())
        columns = ", ".join(f"{c} {n}" for c, n in sorted(bot.disagreements.items()))
        parts.append(f"[yellow]disagrees {total} ({columns})[/]")
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


def fresh_warnings(fresh: dict[str, tuple[int, int]]) -> list[str]:
    """Pairs with fewer fresh producers than planned (but some: none is a stale pair)."""
    short = sorted(pair for pair, (now, planned) in fresh.items() if 0 < now < planned)
    if not short:
        return []
    shown = [f"{pair} {fresh[pair][0]}/{fresh[pair][1]}" for pair in short]
    return [
        f"{_pair_list(shown)} pairs have fewer fresh producers than planned "
        "(a producer restarting, stopped or behind)"
    ]


def _fresh_lines(fresh: dict[str, tuple[int, int]]) -> list[str]:
    """How many producers are fresh per pair, counted by (fresh, planned)."""
    if not fresh or all(planned <= 1 for _, planned in fresh.values()):
        return []
    counts: dict[tuple[int, int], int] = {}
    for numbers in fresh.values():
        counts[numbers] = counts.get(numbers, 0) + 1
    parts = [f"{now} of {planned}: {n}" for (now, planned), n in sorted(counts.items())]
    line = "fresh producers per pair: " + ", ".join(parts)
    return [line, *(f"[yellow]warning: {escape(w)}[/]" for w in fresh_warnings(fresh))]


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
                *_fresh_lines(status.fresh_producers),
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
    for line in reversed([*([warning] if warning else []), *drift_warnings(status)]):
        caption.insert(0, f"[yellow]warning: {escape(line)}[/]")
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
        drift = " [yellow](drift)[/]" if bot.drift else ""
        table.add_row(
            bot.name,
            bot.role,
            f"[{_state_style(bot.state)}]{bot.state}[/]{restarts}{drift}",
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
    "drift_warnings",
    "fresh_warnings",
    "gateway_line",
    "mixed_versions_warning",
    "render_status",
]
