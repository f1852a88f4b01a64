"""The start-up check: does this freqtrade have what a feature needs, as declared?

Run when a feature starts (a fleet strategy is created, a live consumer guards its
orders, a producer routes its tickers, ``freqfleet backtest`` and ``plan`` start), never
in a bot's loop: a new freqtrade fails at start-up with one line naming the running
version, what it lacks and what to install, instead of failing inside the loop.
"""

from __future__ import annotations

from freqfleet.compat import patches, versions
from freqfleet.compat.declared import FLEET_STRATEGY, needed_by
from freqfleet.compat.model import Feature, Internal, Undo
from freqfleet.errors import FleetError, StrategySetupError


def _problem(internal: Internal) -> str | None:
    if internal.undo is Undo.RESTORE:
        # A process-wide patch: the check reads freqtrade's own function under it.
        try:
            owner = internal.owner.resolve()
        except (ImportError, AttributeError):
            return internal.label
        return internal.problem(owner, found=patches.original(owner, internal.name))
    return internal.problem()


def missing(*features: Feature) -> list[str]:
    """What ``features`` need (every feature's with none) and this freqtrade lacks or
    changed: each internal's label, with the parameters freqfleet relies on."""
    found: list[str] = []
    for internal in needed_by(*features):
        if internal.optional:
            continue
        problem = _problem(internal)
        if problem is not None and problem not in found:
            found.append(problem)
    return found


def lacking(*features: Feature) -> list[str]:
    """What ``features`` need and this freqtrade lacks or changed, optional internals
    included: whether a feature with a fallback (``optional``) can be installed."""
    found: list[str] = []
    for internal in needed_by(*features):
        problem = _problem(internal)
        if problem is not None and problem not in found:
            found.append(problem)
    return found


def require(
    *features: Feature, what: str | None = None, error: type[FleetError] = StrategySetupError
) -> None:
    """Raise ``error`` (one line) when this freqtrade lacks what ``features`` need;
    ``what`` names who needs it (the feature by default)."""
    problems = missing(*features)
    if problems:
        raise error(versions.unsupported_message(problems, what or features[0].value))


def check_supported() -> None:
    """A fleet strategy's start-up check: fail when this freqtrade lacks what every fleet
    strategy needs; outside the tested releases, warn once."""
    require(*FLEET_STRATEGY, what="the fleet strategy")
    versions.warn_untested()


__all__ = ["check_supported", "lacking", "missing", "require"]
