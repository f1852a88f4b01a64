"""What applying a changed config to a running fleet does: a diff, an order, the gaps.

Why an order: a pair is analysed only while one of its producers runs. New producers
start first (and serve) before anything stops; changed producers restart one at a time,
so a pair whose other producer is untouched, already restarted or about to leave keeps
its analysis; removed producers stop last, once every pair has its new producers. A pair
whose only producer must restart goes blind for a producer's restart
(:data:`RESTART_GAP_SECS`); ``fleet.redundancy`` above 1 is what avoids it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from freqfleet.fleet.manifest import FleetManifest
from freqfleet.fleet.replan import Replan

RESTART_GAP_SECS = 12.5
"""Seconds a pair goes without analysis while its only producer restarts: measured 11.6 to
12.5 s from a producer's kill -9 to its next analysed candle under the supervisor (the
upper figure; Kubernetes adds the pod's scheduling and image start)."""

CONSUMER_RELOADABLE = ("exchange.pair_whitelist", "fleet", "external_message_consumer")
"""Consumer settings freqtrade's ``reload_config`` takes (it builds a new bot from the
re-read config in the same process: new whitelist, new producers, new fleet section);
any other change (API server, database, exchange) restarts the consumer."""
STRATEGY_FILES = "strategy files"
"""Changed strategy files: ``reload_config`` takes them too, as the resolver reads the
loaded file again and the consumer forgets the modules it imported from beside it
(``compat.strategy_modules``); a freqtrade that loads strategies otherwise restarts it."""

ProducerAction = Literal["start", "restart", "stop", "keep"]


@dataclass(frozen=True)
class ProducerChange:
    """One producer: what happens to it, the pairs it gains and loses, and why."""

    name: str
    action: ProducerAction
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConsumerChange:
    """The consumer: its whitelist change and how it takes the new config."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    reordered: bool
    action: Literal["keep", "reload_config", "restart"]
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One step of the order: a bot, what is done to it, and when the next may begin."""

    action: ProducerAction | Literal["reload_config"]
    bot: str
    then: str


@dataclass(frozen=True)
class FleetDiff:
    """Everything ``apply --dry-run`` reports."""

    producers: tuple[ProducerChange, ...]
    consumer: ConsumerChange
    steps: tuple[Step, ...]
    gaps: dict[str, float] = field(default_factory=dict)
    """Pair -> seconds without analysis during the change (static pairlists only)."""
    redundancy: tuple[int, int] = (1, 1)
    strategy_files: tuple[str, ...] = ()
    dynamic: bool = False

    @property
    def blind(self) -> list[str]:
        return [pair for pair, gap in self.gaps.items() if gap > 0]

    @property
    def unchanged(self) -> bool:
        return not self.steps


def differing_keys(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ (objects compared key by key, the rest whole)."""
    keys: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            keys.extend(differing_keys(a, b, f"{prefix}{key}."))
        else:
            keys.append(f"{prefix}{key}")
    return keys


def reloadable(key: str) -> bool:
    """Whether freqtrade's ``reload_config`` takes a change of ``key`` (dotted)."""
    if key == STRATEGY_FILES:
        from freqfleet import compat

        return compat.reloads_strategy_files()
    return any(key == top or key.startswith(f"{top}.") for top in CONSUMER_RELOADABLE)


def _producer_changes(plan: Replan, strategy_changed: bool) -> list[ProducerChange]:
    old = {bot.name: bot for bot in plan.old.producers}
    new = {bot.name: bot for bot in plan.new.producers}
    changes = []
    for name, bot in new.items():
        if name not in old:
            changes.append(ProducerChange(name, "start", tuple(bot.pairs)))
            continue
        before = old[name]
        added = tuple(pair for pair in bot.pairs if pair not in before.pairs)
        removed = tuple(pair for pair in before.pairs if pair not in bot.pairs)
        keys = differing_keys(
            plan.old_config(before.config_files[0]), plan.new_config(bot.config_files[0])
        )
        reasons = [key for key in keys if key != "exchange.pair_whitelist"]
        if added or removed:
            reasons.insert(0, "pairs")
        if strategy_changed:
            reasons.append(STRATEGY_FILES)
        action: ProducerAction = "restart" if reasons else "keep"
        changes.append(ProducerChange(name, action, added, removed, tuple(reasons)))
    for name, bot in old.items():
        if name not in new:
            changes.append(ProducerChange(name, "stop", (), tuple(bot.pairs)))
    return changes


def _consumer_change(plan: Replan, strategy_changed: bool) -> ConsumerChange:
    file = plan.old.consumer.config_files[0]
    before, after = plan.old_config(file), plan.new_config(file)
    old_pairs = list((before.get("exchange") or {}).get("pair_whitelist") or [])
    new_pairs = list((after.get("exchange") or {}).get("pair_whitelist") or [])
    added = tuple(pair for pair in new_pairs if pair not in old_pairs)
    removed = tuple(pair for pair in old_pairs if pair not in new_pairs)
    kept_new = [pair for pair in new_pairs if pair in old_pairs]
    reordered = kept_new != [pair for pair in old_pairs if pair in new_pairs]
    keys = differing_keys(before, after)
    if strategy_changed:
        keys.append(STRATEGY_FILES)
    if not keys:
        return ConsumerChange(added, removed, reordered, "keep")
    action: Literal["reload_config", "restart"] = (
        "reload_config" if all(reloadable(key) for key in keys) else "restart"
    )
    return ConsumerChange(added, removed, reordered, action, tuple(keys))


def order_steps(producers: Sequence[ProducerChange], consumer: ConsumerChange) -> list[Step]:
    """New producers first, changed ones one at a time, removed ones last, then the
    consumer (its whitelist then names only producers that serve)."""
    steps = [
        Step("start", change.name, "wait until it answers /api/v1/ping and sends its whitelist")
        for change in producers
        if change.action == "start"
    ]
    steps += [
        Step("restart", change.name, "wait until it serves again before the next")
        for change in producers
        if change.action == "restart"
    ]
    steps += [Step("stop", change.name, "-") for change in producers if change.action == "stop"]
    if consumer.action != "keep":
        files = " and strategy files" if STRATEGY_FILES in consumer.reasons else ""
        then = (
            f"once no order is in flight; wait until it runs the new whitelist and producers{files}"
            if consumer.action == "reload_config"
            else "left to you (freqfleet restart DIR consumer)"
        )
        steps.append(Step(consumer.action, "consumer", then))
    return steps


def pair_gaps(
    old_routes: Mapping[str, Sequence[str]],
    new_routes: Mapping[str, Sequence[str]],
    producers: Sequence[ProducerChange],
    restart_secs: float = RESTART_GAP_SECS,
) -> dict[str, float]:
    """Seconds each pair of both lists goes unanalysed while the steps run in order.

    During a changed producer's restart a pair is served by: started producers holding it
    in their new share, changed ones already restarted (new share) or still waiting (old
    share), unchanged ones, and removed ones (they stop last).
    """
    action = {change.name: change.action for change in producers}
    restarting = [change.name for change in producers if change.action == "restart"]
    gaps: dict[str, float] = {}
    for pair in new_routes:
        if pair not in old_routes:
            continue
        old, new = set(old_routes[pair]), set(new_routes[pair])
        gap = 0.0
        for position, name in enumerate(restarting):
            if name not in old:
                continue  # the pair was not its to serve: nothing lost while it restarts
            done, waiting = set(restarting[:position]), set(restarting[position + 1 :])
            serving = {p for p in new if action.get(p) == "start" or p in done}
            serving |= {p for p in old if action.get(p) in ("keep", "stop") or p in waiting}
            if not serving:
                gap += restart_secs
        gaps[pair] = gap
    return gaps


def routes_of(manifest: FleetManifest) -> dict[str, list[str]] | None:
    """A static plan's pair -> producers (from the shares of a plan that predates
    ``routes``); None for a dynamic pairlist, whose split the feed makes."""
    if manifest.pairlist_feed is not None:
        return None
    if manifest.routes is not None:
        return manifest.routes
    table: dict[str, list[str]] = {}
    for bot in manifest.producers:
        for pair in bot.pairs:
            table.setdefault(pair, []).append(bot.name)
    return table


def restart_order(
    old_routes: Mapping[str, Sequence[str]],
    new_routes: Mapping[str, Sequence[str]],
    producers: Sequence[ProducerChange],
) -> list[ProducerChange]:
    """``producers`` with the restarts ordered greedily: next, the one whose restart leaves
    the fewest pairs blind given those already restarted (ties: the plan's order)."""
    restarts = [change for change in producers if change.action == "restart"]
    others = [change for change in producers if change.action != "restart"]
    ordered: list[ProducerChange] = []
    while restarts:

        def cost(change: ProducerChange) -> float:
            trial = [*others, *ordered, change, *(r for r in restarts if r is not change)]
            gaps = pair_gaps(old_routes, new_routes, trial)
            return sum(gaps.values())

        best = min(restarts, key=cost)
        ordered.append(best)
        restarts.remove(best)
    return [*(c for c in others if c.action == "start"), *ordered] + [
        c for c in others if c.action not in ("start",)
    ]


def diff_fleet(plan: Replan) -> FleetDiff:
    """Compare the fleet in the plan directory with the one the new config plans."""
    strategy_files = plan.strategy_files_changed()
    producers = _producer_changes(plan, bool(strategy_files))
    consumer = _consumer_change(plan, bool(strategy_files))
    old_routes, new_routes = routes_of(plan.old), routes_of(plan.new)
    dynamic = old_routes is None or new_routes is None
    if not dynamic:
        producers = restart_order(old_routes or {}, new_routes or {}, producers)
    gaps = {} if dynamic else pair_gaps(old_routes or {}, new_routes or {}, producers)
    return FleetDiff(
        producers=tuple(producers),
        consumer=consumer,
        steps=tuple(order_steps(producers, consumer)),
        gaps=gaps,
        redundancy=(plan.old.redundancy, plan.new.redundancy),
        strategy_files=tuple(strategy_files),
        dynamic=dynamic,
    )


__all__ = [
    "CONSUMER_RELOADABLE",
    "RESTART_GAP_SECS",
    "STRATEGY_FILES",
    "ConsumerChange",
    "FleetDiff",
    "ProducerChange",
    "Step",
    "diff_fleet",
    "differing_keys",
    "order_steps",
    "pair_gaps",
    "reloadable",
    "restart_order",
    "routes_of",
]
