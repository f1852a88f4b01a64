"""A dry-run consumer's wallet recomputed only when freqtrade's database changed.

freqtrade refreshes its wallet three times per entry (``execute_entry`` after the order,
``update_trade_state`` after the fill, ``get_trade_stake_amount`` before the next entry).
In dry-run a refresh (``Wallets._update_dry``) is a sum over the database's trades and
the session's objects, nothing else (``_start_cap`` and each pair's base currency are
fixed; cross margin, which also reads prices, is left out): when no session wrote to the
database (a flush, an ORM statement that is not a select, a rollback) and this thread's
session holds no unwritten change since the last refresh, a refresh would give the same
wallet, so it is not run. Any write makes the next refresh run. Patched on the consumer's
``Wallets`` object only (``patches``: undone by deleting it).
"""

from __future__ import annotations

import threading
from typing import Any

from freqfleet.compat import patches

_lock = threading.Lock()
_writes = 0
"""Database writes seen by any SQLAlchemy session of the process."""


def _wrote(*_: Any) -> None:
    global _writes
    with _lock:
        _writes += 1


def _executed(state: Any) -> None:
    if not state.is_select:
        _wrote()


def _watch_writes() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if event.contains(Session, "after_flush", _wrote):
        return
    event.listen(Session, "after_flush", _wrote)
    event.listen(Session, "after_soft_rollback", _wrote)
    event.listen(Session, "do_orm_execute", _executed)


def _unwritten(session: Any) -> bool:
    return bool(session.new or session.dirty or session.deleted)


def skips_refresh(config: dict[str, Any]) -> bool:
    """Whether a bot with ``config`` computes its wallet from its database alone."""
    from freqtrade.enums import RunMode

    return (
        bool(config.get("dry_run"))
        and config.get("runmode") == RunMode.DRY_RUN
        and config.get("margin_mode") != "cross"
    )


def refresh_on_writes_only(wallets: Any, config: dict[str, Any]) -> bool:
    """Patch ``wallets.update`` (see the module docstring) when ``config`` is a dry-run
    wallet's and it is not patched yet; whether it is patched."""
    if patches.is_patched(wallets, "update"):
        return True
    if not skips_refresh(config):
        return False
    from freqtrade.persistence import Trade

    _watch_writes()
    update = wallets.update
    seen: list[int | None] = [None]

    def fleet_update(require_update: bool = True) -> None:
        if not require_update:
            update(require_update)  # freqtrade's hourly refresh, as it decides
            return
        session = Trade.session
        if seen[0] is not None and seen[0] == _writes and not _unwritten(session):
            return
        before = _writes
        update(require_update)
        seen[0] = None if _unwritten(session) else before

    patches.patch(wallets, "update", fleet_update)
    return True


__all__ = ["refresh_on_writes_only", "skips_refresh"]
