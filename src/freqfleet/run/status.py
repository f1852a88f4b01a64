"""The fleet's health in one table, from the bots' own REST APIs.

Why through freqtrade's REST API (freqtrade-client) and not the processes: it works for a
fleet started by ``up`` as well as for one run by docker-compose or on other hosts, and it
shows what the bots themselves believe. ``FtRestClient`` logs and returns ``None`` on a
connection error instead of raising, and returns ``{"detail": ...}`` on a rejected login:
both become a state in the table, never a traceback.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from freqtrade.exchange import timeframe_to_seconds
from freqtrade_client import FtRestClient
from rich.table import Table

from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.run.supervisor import local_api_url, read_state

STATE_FILE = "fleet-state.json"


class BotUnavailable(Exception):
    """The bot did not answer usefully; the message is the state to show."""


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


@dataclass
class FleetStatus:
    """The whole fleet: each bot plus what the consumer strategy reports."""

    bots: list[BotStatus]
    unrouted_pairs: list[str] = field(default_factory=list)
    stale_pairs: list[str] = field(default_factory=list)
    follow: dict[str, Any] = field(default_factory=dict)
    consumer_state_updated: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _call(client: FtRestClient, method: str, *args: Any, **kwargs: Any) -> Any:
    try:
        answer = getattr(client, method)(*args, **kwargs)
    except requests.RequestException as error:
        raise BotUnavailable(f"unreachable ({type(error).__name__})") from None
    except ValueError:  # not JSON: something else listens on that port
        raise BotUnavailable("not a freqtrade API") from None
    if answer is None:
        raise BotUnavailable("unreachable")
    if isinstance(answer, dict) and "detail" in answer:
        detail = str(answer["detail"])
        if "nauthor" in detail or "credentials" in detail.lower():
            raise BotUnavailable("credentials rejected")
        raise BotUnavailable(f"error: {detail}")
    return answer


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
    client = FtRestClient(url, bot.username, bot.password, timeout=timeout)
    logging.getLogger("freqtrade_client.ft_rest_client").setLevel(logging.ERROR)
    try:
        config = _call(client, "show_config")
        status.state = str(config.get("state", "?")).lower()
        status.stake_currency = config.get("stake_currency")
        whitelist = _call(client, "whitelist").get("whitelist", [])
        status.pairs = len(whitelist)
        count = _call(client, "count")
        status.open_trades = int(count.get("current", 0))
        max_trades = count.get("max")
        status.max_open_trades = int(max_trades) if max_trades is not None else None
        status.stake_in_use = float(count.get("total_stake", 0.0))
        if bot.role == "consumer":
            balance = _call(client, "balance")
            for currency in balance.get("currencies", []):
                if currency.get("currency") == status.stake_currency:
                    status.stake_available = float(currency.get("free", 0.0))
        elif whitelist:
            candles = _call(client, "pair_candles", whitelist[0], timeframe, limit=1)
            columns = candles.get("columns", [])
            rows = candles.get("data") or []
            if rows and "date" in columns:
                status.newest_candle = str(rows[-1][columns.index("date")])
                # Age since the candle closed: a fresh 1m candle is seconds old, not 60+.
                opened_age = _age_seconds(status.newest_candle, now)
                if opened_age is not None:
                    candle_s = timeframe_to_seconds(timeframe)
                    status.newest_candle_age_s = max(0.0, opened_age - candle_s)
    except BotUnavailable as problem:
        status.state = str(problem)
    return status


def read_consumer_state(plan_dir: Path, manifest: FleetManifest) -> dict[str, Any]:
    """The consumer strategy's own report (written beside its data), if this host has it."""
    path = Path(plan_dir) / manifest.userdir / STATE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def collect_status(plan_dir: Path, manifest: FleetManifest, timeout: float = 5.0) -> FleetStatus:
    now = datetime.now(UTC)
    supervisor_bots = (read_state(plan_dir) or {}).get("bots", {})
    bots = []
    for bot in [*manifest.producers, manifest.consumer]:
        status = bot_status(bot, manifest.timeframe, now, timeout)
        supervised = supervisor_bots.get(bot.name)
        if supervised is not None:
            status.restarts = supervised.get("restarts")
            if supervised.get("gave_up") and status.state.startswith("unreachable"):
                status.state = "crashed (not restarted)"
        bots.append(status)
    consumer_state = read_consumer_state(plan_dir, manifest)
    return FleetStatus(
        bots=bots,
        unrouted_pairs=list(consumer_state.get("unrouted_pairs", [])),
        stale_pairs=list(consumer_state.get("stale_pairs", [])),
        follow=dict(consumer_state.get("follow") or {}),
        consumer_state_updated=consumer_state.get("updated"),
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
    return f"{len(pairs)}: {shown}" + (", ..." if len(pairs) > most else "")


def render_status(status: FleetStatus) -> Table:
    """The status table, one row per bot, consumer last, fleet facts in the caption."""
    table = Table(title="freqfleet status", title_justify="left")
    for column in ("bot", "role", "state", "pairs", "newest candle age", "trades", "stake"):
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
            "-" if bot.pairs is None else str(bot.pairs),
            _age_text(bot.newest_candle_age_s) if bot.role == "producer" else "-",
            trades,
            stake,
        )
    caption = [
        f"pairs with no producer: {_pair_list(status.unrouted_pairs)}",
        f"stale pairs: {_pair_list(status.stale_pairs)}",
    ]
    if status.follow:
        caption.append(
            "follow: " + ", ".join(f"{key} {value}" for key, value in sorted(status.follow.items()))
        )
    if status.consumer_state_updated is None:
        caption = ["consumer strategy report: not available on this host yet"]
    table.caption = "\n".join(caption)
    table.caption_justify = "left"
    return table


__all__ = ["BotStatus", "FleetStatus", "bot_status", "collect_status", "render_status"]
