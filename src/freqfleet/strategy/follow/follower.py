"""Following the producers' trades (force entries/exits, adjustments, callback exits).

Interface the fleet strategy calls on the consumer. ``create_follower`` returns ``None``
when following is off; the strategy then behaves as a plain signal consumer.

The follower never acts by itself: it only answers freqtrade's own callbacks
(``custom_exit``, the entry signal on the newest candle, ``adjust_trade_position``), so
slot limits, stake limits, confirm callbacks, locks and protections still apply to every
followed action.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from freqtrade.enums import RunMode, SignalDirection

from freqfleet.errors import StrategySetupError
from freqfleet.section import EXIT_FOLLOWS
from freqfleet.strategy.follow.client import ProducerEndpoint, SubscriptionRunner
from freqfleet.strategy.follow.events import FollowEvent, OpenTrades
from freqfleet.strategy.follow.ledger import (
    ConsumerTrade,
    FollowLedger,
    fleet_tag,
)

if TYPE_CHECKING:
    from freqfleet.strategy.consumer import FleetConsumer
    from freqfleet.strategy.settings import ConsumerSettings

logger = logging.getLogger(__name__)

MIN_ENTRY_TTL = timedelta(seconds=10)
"""A followed force entry stays on offer this long (at least three consumer loops)."""


class TradeFollower(Protocol):
    """What the fleet strategy asks of a follower (all calls are cheap and non-blocking)."""

    def start(self) -> None:
        """Start background subscriptions (called once from ``bot_start``)."""

    def stop(self) -> None:
        """Stop background work (idempotent)."""

    def on_loop(self, current_time: datetime) -> None:
        """Called from ``bot_loop_start`` on every consumer loop."""

    def exit_reason(self, trade: Any, current_time: datetime) -> str | None:
        """The producer's own exit reason when a followed exit applies to ``trade``."""

    def owns_exit(self, trade: Any) -> bool:
        """True when exits of ``trade`` are left to its producer: ``custom_exit`` then
        returns None instead of asking the wrapped strategy's ``custom_exit``."""

    def exit_pending(self, pair: str) -> bool:
        """Whether a followed exit waits on ``pair`` (its price is then taken fresh)."""

    def adjustment_pending(self, pair: str) -> bool:
        """Whether a followed position adjustment waits on ``pair``."""

    def entry_signal(self, pair: str) -> tuple[SignalDirection, str] | None:
        """A followed force entry on ``pair`` (direction, enter tag), else None."""

    def stake_adjustment(self, trade: Any, current_time: datetime) -> float | None:
        """Stake to add (positive) or remove (negative) to follow a producer, or None."""

    def stats(self) -> dict[str, Any]:
        """Counters for `freqfleet status` (followed, ignored by reason, connections)."""


def producer_endpoints(
    config: dict[str, Any], settings: ConsumerSettings
) -> list[ProducerEndpoint]:
    """The producers of a consumer config, with their REST access from ``fleet.producer_api``."""
    emc = config.get("external_message_consumer") or {}
    if not emc.get("enabled"):
        return []
    endpoints = []
    for producer in emc.get("producers") or []:
        name = producer["name"]
        rest = settings.producer_api.get(name)
        endpoints.append(
            ProducerEndpoint(
                name=name,
                host=producer["host"],
                port=int(producer["port"]),
                ws_token=producer["ws_token"],
                secure=bool(producer.get("secure", False)),
                api_url=rest.url if rest else None,
                api_username=rest.username if rest else None,
                api_password=rest.password if rest else None,
            )
        )
    return endpoints


_running_follower: FleetTradeFollower | None = None


class FleetTradeFollower:
    """Turns producer trade events into answers to the consumer strategy's callbacks.

    The subscription thread only fills an inbox; the ledger is touched from the bot
    thread, which drains the inbox whenever a callback asks. Which producer serves a
    pair comes from the consumer's router.
    """

    def __init__(
        self,
        consumer: FleetConsumer,
        follow: Iterable[str],
        producers: list[ProducerEndpoint],
        *,
        entry_ttl: timedelta = MIN_ENTRY_TTL,
    ) -> None:
        self._consumer = consumer
        self.ledger = FollowLedger(tuple(follow), entry_ttl=entry_ttl)
        self._inbox: queue.SimpleQueue[FollowEvent | OpenTrades] = queue.SimpleQueue()
        self.runner = SubscriptionRunner(producers, self._inbox.put)
        self._producer_names = [p.name for p in producers]
        self._lock = threading.Lock()
        self._stopped = False
        self._last_entry_offered: tuple | None = None
        self._adjusted: dict[str, float] = {}
        """Pair -> the followed adjustment answered in this loop."""

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        global _running_follower
        # One bot per process: after a config reload freqtrade builds a new strategy and
        # calls bot_start again; the old strategy's follower must not keep running.
        previous, _running_follower = _running_follower, self
        if previous is not None and previous is not self:
            previous.stop()
        self.runner.start()
        atexit.register(self.stop)
        logger.info(
            "Following producer trades (%s) from %s",
            ", ".join(sorted(self.ledger.follow)),
            ", ".join(self._producer_names),
        )

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.runner.stop(timeout=2.0)

    # -- callbacks ----------------------------------------------------------------------

    def on_loop(self, current_time: datetime) -> None:
        self._adjusted.clear()
        with self._lock:
            self._drain()
            self.ledger.reconcile(self._open_trades(), _aware(current_time))

    def exit_reason(self, trade: Any, current_time: datetime) -> str | None:
        with self._lock:
            self._drain()
            event = self.ledger.exit_for(_consumer_trade(trade), self._serves)
        if event is None:
            return None
        reason = event.reason or "exit"
        provenance = f"{event.producer}:{reason}"
        if _custom_data(trade, FOLLOWED_EXIT_KEY) != provenance:
            logger.info(
                "Following producer exit of %s: %s", trade.pair, fleet_tag(event.producer, reason)
            )
            _set_custom_data(trade, FOLLOWED_EXIT_KEY, provenance)
        return reason

    def owns_exit(self, trade: Any) -> bool:
        """Whether exits of ``trade`` are left to its producer.

        True while ``exits`` is followed and the producer serving the pair is connected and
        holds an open trade there: the consumer then exits when that producer does, not on
        its own ``custom_exit``. Otherwise (a trade entered by hand, or after the
        producer's trade closed) the strategy's own ``custom_exit`` decides.
        """
        if "exits" not in self.ledger.follow:
            return False
        producer = self._consumer.serving_producer(trade.pair)
        if producer is None:
            return False
        state = self.runner.states.get(producer)
        if state is None or not state.connected:
            return False
        with self._lock:
            self._drain()
            return self.ledger.producer_holds(producer, trade.pair)

    def exit_pending(self, pair: str) -> bool:
        with self._lock:
            self._drain()
            return self.ledger.holds_exit(pair)

    def adjustment_pending(self, pair: str) -> bool:
        with self._lock:
            self._drain()
            return self.ledger.holds_adjustment(pair)

    def entry_signal(self, pair: str) -> tuple[SignalDirection, str] | None:
        with self._lock:
            self._drain()
            event = self.ledger.entry_for(pair, datetime.now(UTC), self._serves)
        if event is None:
            return None
        tag = fleet_tag(event.producer, event.reason)
        if event.key != self._last_entry_offered:
            self._last_entry_offered = event.key
            logger.info("Following producer entry of %s: %s", pair, tag)
        return (SignalDirection.SHORT if event.is_short else SignalDirection.LONG), tag

    def stake_adjustment(self, trade: Any, current_time: datetime) -> float | None:
        # The same answer when freqtrade asks again in this loop: a check that would have
        # placed the order at a reused price runs again on a fresh one (exit_pricing).
        answered = self._adjusted.get(trade.pair)
        if answered is not None:
            return answered
        with self._lock:
            self._drain()
            ratio = self.ledger.adjustment_for(_consumer_trade(trade), self._serves)
        if ratio is None or ratio == 0:
            return None
        stake = float(trade.stake_amount) * ratio
        self._adjusted[trade.pair] = stake
        logger.info("Following producer position adjustment of %s: %+.8f", trade.pair, stake)
        return stake

    def stats(self) -> dict[str, Any]:
        """Flat counters (name -> number or text), as `freqfleet status` lists them.

        Ignore reasons appear once they occurred (``ignored_<reason>``); per-producer
        connection details are in :meth:`connections`.
        """
        with self._lock:
            ledger: dict[str, Any] = self.ledger.stats()
        states = list(self.runner.states.values())
        stats: dict[str, Any] = {
            "follow": ",".join(ledger["follow"]),
            "producers_connected": f"{sum(s.connected for s in states)}/{len(states)}",
            "events": ledger["received"],
            "catch_ups": sum(s.catch_ups for s in states),
        }
        for name, count in ledger["followed"].items():
            stats[f"followed_{name}"] = count
        stats["ignored"] = sum(ledger["ignored"].values())
        for reason, count in ledger["ignored"].items():
            if count:
                stats[f"ignored_{reason}"] = count
        stats["pending"] = sum(ledger["pending"].values())
        return stats

    def connections(self) -> dict[str, dict[str, Any]]:
        """Per producer: connected, connects, failures, events, last event, catch-ups."""
        return {name: state.as_dict() for name, state in self.runner.states.items()}

    # -- internals ----------------------------------------------------------------------

    def _drain(self) -> None:
        while True:
            try:
                event = self._inbox.get_nowait()
            except queue.Empty:
                return
            self.ledger.add(event)

    def _serves(self, producer: str, pair: str) -> bool | None:
        router = self._consumer.router
        if not router.pair_counts().get(producer):
            return None  # its whitelist is not known (yet)
        return producer in router.producers_for(pair)

    @staticmethod
    def _open_trades() -> dict[str, ConsumerTrade]:
        from freqtrade.persistence import Trade

        return {t.pair: _consumer_trade(t) for t in Trade.get_open_trades()}


FOLLOWED_EXIT_KEY = "fleet_followed_exit"
"""Trade custom data: ``<producer>:<reason>`` of the producer exit the consumer followed."""


def _custom_data(trade: Any, key: str) -> Any:
    try:
        return trade.get_custom_data(key)
    except Exception:  # a trade without a database row (tests, backtests)
        return None


def _set_custom_data(trade: Any, key: str, value: str) -> None:
    try:
        trade.set_custom_data(key, value)
    except Exception as error:
        logger.debug("Could not record %s on trade %s: %s", key, getattr(trade, "id", None), error)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _consumer_trade(trade: Any) -> ConsumerTrade:
    return ConsumerTrade(
        pair=trade.pair, open_date=_aware(trade.open_date_utc), enter_tag=trade.enter_tag
    )


def create_follower(strategy: Any, consumer: FleetConsumer | None) -> TradeFollower | None:
    """Build the follower for a consumer strategy, or None when nothing is followed.

    Only a consumer running live or in dry-run follows; backtesting, hyperopt and
    producers (no ``consumer``) get None.
    """
    config = strategy.config
    if consumer is None or config.get("runmode") not in (RunMode.LIVE, RunMode.DRY_RUN):
        return None
    producers = producer_endpoints(config, consumer.settings)
    if not producers:
        return None
    follow = consumer.settings.follow
    if not follow:
        return None
    if "position_adjustments" in follow and not getattr(
        strategy, "position_adjustment_enable", False
    ):
        raise StrategySetupError(
            "fleet.follow includes position_adjustments but position_adjustment_enable is "
            "off; set position_adjustment_enable: true in the consumer config"
        )
    if any(kind in follow for kind in EXIT_FOLLOWS) and not getattr(
        strategy, "use_exit_signal", True
    ):
        raise StrategySetupError(
            "fleet.follow includes exits but use_exit_signal is false (freqtrade then never "
            "asks custom_exit); set use_exit_signal: true in the consumer config"
        )
    throttle = float((config.get("internals") or {}).get("process_throttle_secs", 5))
    entry_ttl = max(MIN_ENTRY_TTL, timedelta(seconds=3 * throttle))
    return FleetTradeFollower(consumer, follow, producers, entry_ttl=entry_ttl)


__all__ = [
    "FOLLOWED_EXIT_KEY",
    "FleetTradeFollower",
    "TradeFollower",
    "create_follower",
    "producer_endpoints",
]
