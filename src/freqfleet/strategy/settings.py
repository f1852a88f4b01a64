"""The consumer's ``fleet`` settings and the checks a fleet config must pass at start-up.

The ``fleet`` key itself is read by :func:`freqfleet.section.read_consumer_section`, the
same model the planner writes it with; this module adds the checks that need the rest of
the config (``external_message_consumer``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from freqfleet.errors import StrategySetupError
from freqfleet.section import DEFAULT_FOLLOW, ConsumerCandles, ProducerApi, read_consumer_section


@dataclass(frozen=True)
class ConsumerSettings:
    """What a consumer reads from the top-level ``fleet`` key of its config."""

    producer_names: tuple[str, ...]
    max_signal_age: int = 1
    informative_candles: bool = False
    shares: dict[str, tuple[str, ...]] | None = None
    """A planned fleet's static shares (producer -> pairs): a producer may serve only its
    own pairs. None with a dynamic pairlist or a hand-written consumer config."""
    follow: tuple[str, ...] = DEFAULT_FOLLOW
    """The producers' actions the consumer follows (``fleet.follow``)."""
    producer_api: dict[str, ProducerApi] = field(default_factory=dict)
    """Each producer's REST access (``fleet.producer_api``)."""
    exit_price_secs: float | None = None
    """Seconds an open trade's exit price may be reused (``fleet.exit_price_secs``; None:
    priced every loop, as freqtrade does)."""
    routes: dict[str, tuple[str, ...]] | None = None
    """A redundant fleet's pair -> producers, first preferred (``fleet.routes``; None: one
    producer per pair, or no plan)."""
    alerts: bool = True
    """Fleet events sent on the consumer's notification channels (``fleet.alerts``)."""
    consumer_candles: ConsumerCandles = "producers"
    """Where the whitelist's candles come from (``fleet.consumer_candles``): the producers'
    frames, or the consumer's own download from the exchange."""


def external_producers(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The producers of an enabled ``external_message_consumer`` section (else [])."""
    emc = config.get("external_message_consumer") or {}
    if not emc.get("enabled"):
        return []
    return list(emc.get("producers") or [])


def is_consumer_config(config: dict[str, Any]) -> bool:
    """A consumer is a bot whose external_message_consumer is enabled with producers."""
    return bool(external_producers(config))


def check_fleet_config(config: dict[str, Any]) -> ConsumerSettings | None:
    """Validate a bot's config for the fleet strategy; the consumer's settings, or None.

    Raises StrategySetupError naming the field and the fix.
    """
    emc = config.get("external_message_consumer") or {}
    if not emc.get("enabled"):
        return None
    producers = emc.get("producers") or []
    if not producers:
        raise StrategySetupError(
            "external_message_consumer.producers is empty; add at least one producer "
            "(name, host, port, ws_token) or set external_message_consumer.enabled to false"
        )
    names = [str(p.get("name", "")) for p in producers]
    for index, producer in enumerate(producers):
        if not producer.get("name"):
            raise StrategySetupError(
                f"external_message_consumer.producers[{index}].name is missing; give every "
                "producer a unique name"
            )
        if not producer.get("ws_token"):
            raise StrategySetupError(
                f"external_message_consumer.producers[{index}] ({producer['name']}) has no "
                "ws_token; set it to the producer's api_server.ws_token"
            )
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise StrategySetupError(
            f"external_message_consumer.producers: duplicate name {duplicates[0]!r}; give "
            "every producer a unique name"
        )
    section = read_consumer_section(config)
    shares = None
    if section.shares is not None:
        unknown = sorted(set(section.shares) - set(names))
        if unknown:
            raise StrategySetupError(
                f"fleet.shares names {unknown[0]!r}, which is not in "
                "external_message_consumer.producers; re-run freqfleet plan or remove it"
            )
        shares = {name: tuple(pairs) for name, pairs in section.shares.items()}
    routes = None
    if section.routes is not None:
        unknown = sorted(
            {name for names_ in section.routes.values() for name in names_} - set(names)
        )
        if unknown:
            raise StrategySetupError(
                f"fleet.routes names {unknown[0]!r}, which is not in "
                "external_message_consumer.producers; re-run freqfleet plan or remove it"
            )
        routes = {pair: tuple(order) for pair, order in section.routes.items()}
    return ConsumerSettings(
        tuple(names),
        section.max_signal_age,
        section.informative_candles,
        shares,
        tuple(section.follow),
        dict(section.producer_api),
        section.exit_price_secs,
        routes,
        alerts=section.alerts,
        consumer_candles=section.consumer_candles,
    )


__all__ = ["ConsumerSettings", "check_fleet_config", "external_producers", "is_consumer_config"]
