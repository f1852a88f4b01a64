"""The consumer's ``fleet`` key: what the planner writes and the consumer reads at start-up.

Why one typed model in the bottom layer: the planner (``fleet/``) writes this key into
``consumer.json`` and the fleet strategy (``strategy/``) reads it back when the bot starts;
with one model for both, a value the planner accepts is a value the bot accepts, and the
rules of the user's ``fleet`` section (``max_signal_age``, ``follow``, ...) are the same
field definitions (:func:`max_signal_age_field` and the like).

Written by :meth:`ConsumerSection.to_config`, read by :func:`read_consumer_section`.
"""

from __future__ import annotations

import typing
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from freqfleet.errors import StrategySetupError
from freqfleet.problems import fix, format_problems, problems_from, settings_config

FollowChoice = Literal["exits", "force_entries", "force_exits", "position_adjustments"]
FOLLOW_CHOICES: tuple[str, ...] = typing.get_args(FollowChoice)
DEFAULT_FOLLOW: tuple[FollowChoice, ...] = ("exits",)
EXIT_FOLLOWS: tuple[FollowChoice, ...] = ("exits", "force_exits")
"""Followed actions that reach the consumer through ``custom_exit`` (which freqtrade asks
only with ``use_exit_signal``)."""
MAX_SIGNAL_AGE = 100
MAX_EXIT_PRICE_SECS = 3600
ConsumerCandles = Literal["producers", "exchange"]
CONSUMER_CANDLES: tuple[str, ...] = typing.get_args(ConsumerCandles)


def max_signal_age_field() -> Any:
    return Field(
        1,
        ge=1,
        le=MAX_SIGNAL_AGE,
        json_schema_extra=fix(
            f"use a whole number of candles from 1 to {MAX_SIGNAL_AGE} (default 1)"
        ),
    )


def informative_candles_field() -> Any:
    return Field(
        False,
        json_schema_extra=fix("use true to let the consumer download informative pairs"),
    )


def consumer_candles_field() -> Any:
    return Field(
        "producers",
        json_schema_extra=fix(
            "use \"producers\" (the consumer reads its pairs' candles from the producers' "
            'frames) or "exchange" (it downloads them itself, as freqtrade does)'
        ),
    )


def follow_field() -> Any:
    return Field(
        default_factory=lambda: list(DEFAULT_FOLLOW),
        json_schema_extra=fix(f"use a list of any of {', '.join(FOLLOW_CHOICES)} (or [])"),
    )


def exit_price_secs_field() -> Any:
    return Field(
        None,
        ge=1,
        le=MAX_EXIT_PRICE_SECS,
        json_schema_extra=fix(
            f"use seconds from 1 to {MAX_EXIT_PRICE_SECS}, e.g. the user's "
            "process_throttle_secs (leave it out: a fresh price every loop)"
        ),
    )


def unique_follow(value: list[str]) -> list[str]:
    """``follow`` names each kind of action once."""
    if len(set(value)) != len(value):
        raise ValueError("an entry repeats")
    return value


class ProducerApi(BaseModel):
    """How the consumer reaches one producer's REST API (the password stays out of repr)."""

    model_config = settings_config()

    url: str = Field(json_schema_extra=fix("use the producer's API URL, e.g. http://host:8081"))
    username: str | None = Field(
        None, json_schema_extra=fix("use the producer's api_server.username")
    )
    password: str | None = Field(
        None, repr=False, json_schema_extra=fix("use the producer's api_server.password")
    )


class ConsumerSection(BaseModel):
    """The top-level ``fleet`` key of a consumer's config."""

    model_config = settings_config("fleet")

    role: Literal["consumer"] = Field(
        "consumer", json_schema_extra=fix('use "consumer" or leave it out')
    )
    max_signal_age: int = max_signal_age_field()
    informative_candles: bool = informative_candles_field()
    consumer_candles: ConsumerCandles = consumer_candles_field()
    """Where the consumer's whitelist candles come from: the producers' frames (no
    download of its own) or the exchange (freqtrade's own refresh, as before)."""
    follow: list[FollowChoice] = follow_field()
    exit_price_secs: float | None = exit_price_secs_field()
    """Seconds an open trade's exit price is reused between loops (``freqfleet plan``
    writes the user's ``process_throttle_secs``); None prices every loop."""
    producer_api: dict[str, ProducerApi] = Field(
        default_factory=dict,
        json_schema_extra=fix(
            'use {"<producer name>": {"url": ..., "username": ..., "password": ...}}; '
            "re-run freqfleet plan"
        ),
    )
    alerts: bool = Field(
        True,
        json_schema_extra=fix(
            "use false to keep fleet events (stale producers, unserved pairs, rejected "
            "messages, version drift, slow analysis) out of the consumer's notifications"
        ),
    )
    """Fleet events as strategy messages on the consumer's channels
    (:mod:`freqfleet.strategy.fleet_alerts`)."""
    shares: dict[str, list[str]] | None = Field(
        None,
        json_schema_extra=fix(
            'map producer names to lists of pairs, e.g. {"producer-1": ["BTC/USDT"]}; '
            "re-run freqfleet plan or remove it"
        ),
    )

    routes: dict[str, list[str]] | None = Field(
        None,
        json_schema_extra=fix(
            'map pairs to their producers, first preferred, e.g. {"BTC/USDT": ["a", "b"]}; '
            "re-run freqfleet plan or remove it"
        ),
    )
    """With ``fleet.redundancy`` above 1: each pair's producers in order of preference
    (absent with one producer per pair, where ``shares`` says the same)."""

    @field_validator("follow")
    @classmethod
    def _follow_unique(cls, value: list[str]) -> list[str]:
        return unique_follow(value)

    def to_config(self) -> dict[str, Any]:
        """The key as written into ``consumer.json`` (passwords included: a 0600 file)."""
        return self.model_dump(mode="json", exclude_none=True)


def read_consumer_section(config: dict[str, Any]) -> ConsumerSection:
    """The ``fleet`` key of a consumer's config, checked; StrategySetupError naming the field
    and the fix (every problem at once) when it is wrong."""
    section = config.get("fleet")
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise StrategySetupError(
            f"fleet: must be an object, got {type(section).__name__}; "
            'e.g. "fleet": {"max_signal_age": 1}'
        )
    try:
        return ConsumerSection.model_validate(section)
    except ValidationError as error:
        raise StrategySetupError(
            format_problems(problems_from(error, ConsumerSection, "fleet"))
        ) from None


__all__ = [
    "CONSUMER_CANDLES",
    "DEFAULT_FOLLOW",
    "EXIT_FOLLOWS",
    "FOLLOW_CHOICES",
    "MAX_EXIT_PRICE_SECS",
    "MAX_SIGNAL_AGE",
    "ConsumerCandles",
    "ConsumerSection",
    "FollowChoice",
    "ProducerApi",
    "consumer_candles_field",
    "read_consumer_section",
    "unique_follow",
]
