"""``fleet-state.json``: the consumer strategy's report, one typed schema for its writer
(the consumer, inside freqtrade) and its reader (``freqfleet status``).

Why a module of its own at the top of the package: the consumer runs inside a freqtrade
bot and ``status`` runs in the command line; both import this file and nothing heavier
than pydantic, and neither re-reads the other's keys by hand.

The file carries a ``version``. A reader given a file of another version, or one that is
not this schema, gets one line saying so (:class:`StateFileError`), never a traceback.
A file without ``version`` is read as version 1: consumers wrote this very shape before
the field existed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer

STATE_FILE = "fleet-state.json"
"""The consumer writes it into its ``user_data`` folder."""
STATE_VERSION = 1


class Role(StrEnum):
    """What a fleet strategy's bot is (the words of the config's ``fleet.role``)."""

    PRODUCER = "producer"
    CONSUMER = "consumer"


class Freshness(StrEnum):
    """How a pair's producer data stands against the consumer's newest candle."""

    FRESH = "fresh"
    """At most ``fleet.max_signal_age`` candles behind."""
    STALE = "stale"
    """Older than that: no entries on the pair."""
    MISSING = "missing"
    """No producer data yet."""


def _iso(moment: datetime | None) -> str | None:
    """``datetime.isoformat`` (``+00:00``, as Python writes it), not pydantic's ``Z``."""
    return None if moment is None else moment.isoformat()


class _Schema(BaseModel):
    # Unknown keys are ignored: a newer consumer of the same version may add some.
    model_config = ConfigDict(extra="ignore", frozen=True)


class ProducerState(_Schema):
    """One producer as the consumer sees it."""

    pairs: int = 0
    """Pairs routed to it."""
    newest_candle: datetime | None = None
    """The newest candle of its analysis the consumer holds."""
    rejected: dict[str, int] = Field(default_factory=dict)
    """Dropped messages or pairs per reason (``intake.REJECT_REASONS``)."""
    access: str | None = Field(None, exclude_if=lambda value: value is None)
    """Why the consumer cannot use it (``producer_access.PROBLEMS``); absent when it can."""

    analysis_secs: float | None = Field(None, exclude_if=lambda value: value is None)
    """Seconds from the close of its newest candle to its analysis of the last pair of its
    share for that candle (freqtrade warns past a quarter of a candle)."""
    disagreements: dict[str, int] = Field(default_factory=dict, exclude_if=lambda value: not value)
    """Column -> candles on which its analysis differed from the first producer's of the
    same pair and candle (another strategy version?); absent when none."""

    @field_serializer("newest_candle")
    def _newest_candle(self, value: datetime | None) -> str | None:
        return _iso(value)


class PairState(_Schema):
    """One pair the consumer trades: who serves it and how fresh that is."""

    producer: str | None = None
    """The producer whose analysis the consumer uses; None without data."""
    newest_candle: datetime | None = None
    """The newest candle of that analysis."""
    analyzed: datetime | None = None
    """When the producer analysed it (freqtrade's ``last_analyzed``)."""
    lag: int | None = None
    """Candles between the consumer's newest candle and ``newest_candle``."""
    fresh_producers: int | None = None
    """Producers serving the pair whose analysis is at most ``max_signal_age`` candles
    behind the consumer's newest candle (None: a consumer before this field)."""
    planned_producers: int | None = None
    """Producers the plan gives the pair (``fleet.redundancy``; None: not known)."""
    disagreements: dict[str, int] = Field(default_factory=dict, exclude_if=lambda value: not value)
    """Producer -> candles of this pair on which it disagreed with the first producer."""

    @field_serializer("newest_candle", "analyzed")
    def _dates(self, value: datetime | None) -> str | None:
        return _iso(value)


class FleetState(_Schema):
    """The consumer's routing, freshness and intake summary."""

    version: int = STATE_VERSION
    role: Role
    updated: datetime | None = None
    timeframe: str | None = None
    max_signal_age: int | None = None
    producers: dict[str, ProducerState] = Field(default_factory=dict)
    unrouted_pairs: list[str] = Field(default_factory=list)
    """Pairs the consumer trades that no producer serves."""
    stale_pairs: list[str] = Field(default_factory=list)
    missing_pairs: list[str] = Field(default_factory=list)
    waiting_pairs: list[str] = Field(default_factory=list)
    """Pairs whose entries wait for their producer's analysis of the newest candle."""
    pairs: dict[str, PairState] = Field(default_factory=dict)
    """Every pair the consumer trades (empty from consumers before this field)."""
    follow: dict[str, int | float | str] = Field(default_factory=dict)
    """The trade follower's counters (``FleetTradeFollower.stats``); empty without one."""
    exit_prices: dict[str, int | float] = Field(default_factory=dict)
    """``reuse_secs`` and the price counters (``ExitPrices.stats``); empty when off."""
    strategy_files: dict[str, str] = Field(default_factory=dict)
    """sha256 of each strategy file the bot runs, by its path in the strategies folder
    (what ``apply`` compares with the plan's after ``reload_config``)."""

    @field_serializer("updated")
    def _updated(self, value: datetime | None) -> str | None:
        return _iso(value)

    def as_json(self) -> dict[str, object]:
        """The file's content as plain JSON values."""
        return self.model_dump(mode="json")


class StateFileError(ValueError):
    """A state file that cannot be used; the message is one line."""


def parse_fleet_state(text: str | bytes) -> FleetState:
    """The report in ``text``, or :class:`StateFileError` saying in one line why not."""
    try:
        raw = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise StateFileError(f"not JSON ({str(error).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise StateFileError(f"not a JSON object but {type(raw).__name__}")
    version = raw.get("version", 1)
    if version != STATE_VERSION:
        shown = version if isinstance(version, int) else repr(str(version)[:20])
        raise StateFileError(
            f"version {shown}, this freqfleet reads version {STATE_VERSION}; "
            "run the same freqfleet release in the consumer and here"
        )
    try:
        return FleetState.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top)"
        more = error.error_count() - 1
        also = f" (and {more} more)" if more else ""
        raise StateFileError(f"{field}: {first['msg']}{also}") from None


@dataclass(frozen=True)
class StateFileRead:
    """What a reader found at a state file's path."""

    state: FleetState | None = None
    """The report; None when the file is missing or cannot be used."""
    problem: str | None = None
    """One line naming the file and why it cannot be used."""
    mtime: float | None = None
    """The file's modification time, whenever it exists."""


def read_state_file(path: Path) -> StateFileRead:
    """Read a consumer's report; never raises for what the file holds."""
    try:
        text = path.read_bytes()
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        return StateFileRead()
    except OSError as error:
        return StateFileRead(problem=f"{path.name}: cannot be read ({error.strerror})")
    try:
        return StateFileRead(state=parse_fleet_state(text), mtime=mtime)
    except StateFileError as error:
        return StateFileRead(problem=f"{path.name}: {error}", mtime=mtime)


__all__ = [
    "STATE_FILE",
    "STATE_VERSION",
    "FleetState",
    "Freshness",
    "PairState",
    "ProducerState",
    "Role",
    "StateFileError",
    "StateFileRead",
    "parse_fleet_state",
    "read_state_file",
]
