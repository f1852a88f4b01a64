"""``freqfleet apply --dry-run``'s text: what changes, in which order, and which pairs go
blind for how long (one line each, never a secret: configs are compared, not printed)."""

from __future__ import annotations

from freqfleet.fleet.apply import (
    RESTART_GAP_SECS,
    ConsumerChange,
    FleetDiff,
    ProducerChange,
    reloadable,
)

SHOWN_PAIRS = 8
"""Pairs named per line before the rest are counted."""


def _pairs(pairs: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(pairs[:SHOWN_PAIRS])
    more = len(pairs) - SHOWN_PAIRS
    return f"{shown} and {more} more" if more > 0 else shown


def _plural(count: int) -> str:
    return "pair goes" if count == 1 else "pairs go"


def producer_line(change: ProducerChange) -> str:
    parts = [f"{change.name:<16} {change.action:<8}"]
    if change.added:
        parts.append(f"+{len(change.added)} ({_pairs(change.added)})")
    if change.removed:
        parts.append(f"-{len(change.removed)} ({_pairs(change.removed)})")
    changed = [reason for reason in change.reasons if reason != "pairs"]
    if changed:
        parts.append(f"changed: {', '.join(changed)}")
    return "  " + " ".join(parts)


def consumer_line(change: ConsumerChange) -> str:
    whitelist = []
    if change.added:
        whitelist.append(f"+{len(change.added)} ({_pairs(change.added)})")
    if change.removed:
        whitelist.append(f"-{len(change.removed)} ({_pairs(change.removed)})")
    if change.reordered:
        whitelist.append("new order")
    text = f"  {'consumer':<16} {change.action:<8} whitelist: {' '.join(whitelist) or 'same'}"
    if change.action == "reload_config":
        groups = dict.fromkeys(reason.split(".")[0] for reason in change.reasons)
        text += f"; takes it by freqtrade's reload_config (changed: {', '.join(groups)})"
    elif change.action == "restart":
        fixed = [reason for reason in change.reasons if not reloadable(reason)]
        text += f"; must restart: reload_config cannot take {', '.join(fixed)}"
    return text


def gap_lines(diff: FleetDiff) -> list[str]:
    if diff.dynamic:
        restarts = [c.name for c in diff.producers if c.action == "restart"]
        if not restarts or diff.redundancy[1] > 1:
            return [
                "gaps: none expected (dynamic pairlist: the feed gives each pair "
                f"{diff.redundancy[1]} producer(s))"
            ]
        return [
            f"gaps: a dynamic pairlist's pairs of {', '.join(restarts)} go blind for about "
            f"{RESTART_GAP_SECS:g} s during its restart (fleet.redundancy 1)"
        ]
    blind = diff.blind
    served = len(diff.gaps) - len(blind)
    lines = [
        f"gaps: {served} pairs keep their analysis throughout (0 s: another producer "
        "serves them during each change)"
    ]
    if blind:
        longest = max(diff.gaps[pair] for pair in blind)
        if diff.redundancy[1] == 1:
            why = (
                "their one producer restarts and fleet.redundancy 1 gives them no other; "
                "plan fleet.redundancy 2 to keep pairs served through changes"
            )
        else:
            why = "no other producer of theirs runs their share while their producer restarts"
        lines.append(
            f"blind: {len(blind)} {_plural(len(blind))} without analysis for "
            f"{RESTART_GAP_SECS:g} s per restart of their producer (up to {longest:g} s; "
            f"{RESTART_GAP_SECS:g} s is the measured restart of a producer): {_pairs(blind)}; "
            f"{why}"
        )
    return lines


def apply_lines(diff: FleetDiff, plan_dir: str) -> list[str]:
    """Everything ``apply --dry-run`` prints."""
    before, after = diff.redundancy
    head = f"redundancy {before}" if before == after else f"redundancy {before} -> {after}"
    if diff.unchanged:
        return [f"{plan_dir}: nothing to change ({head})"]
    lines = [f"Changes to the fleet in {plan_dir} ({head}):"]
    if diff.strategy_files:
        lines.append(f"  strategy files changed: {', '.join(diff.strategy_files)}")
    lines += [producer_line(change) for change in diff.producers]
    lines.append(consumer_line(diff.consumer))
    lines.append("Order:")
    lines += [
        f"  {index}. {step.action} {step.bot}" + (f": {step.then}" if step.then != "-" else "")
        for index, step in enumerate(diff.steps, 1)
    ]
    lines += gap_lines(diff)
    return lines


__all__ = ["apply_lines", "consumer_line", "gap_lines", "producer_line"]
