"""The one way freqfleet patches freqtrade: declared, recorded, and undone on demand.

``patch(owner, name, replacement)`` refuses a name the declared list (``declared``) does
not have as a patch of that owner: a class's or module's function (undone by putting the
original back) or a method of one object (undone by deleting the object's attribute).
Every patch is recorded with what it replaced, so that ``undo_patches()`` leaves
freqtrade as it was (tests), ``original()`` hands out freqtrade's own function under a
patch (the start-up check, a fresh price) and ``is_patched()`` makes installers
idempotent.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from freqfleet.compat.declared import DECLARED
from freqfleet.compat.model import PATCHES, Internal, Undo


class UndeclaredInternal(LookupError):
    """A patch of a name the declared list does not have as a patch of that owner."""


@dataclass(frozen=True)
class Patch:
    """One applied patch."""

    internal: Internal
    owner: Any
    name: str
    original: Any
    """What ``owner.name`` gave before (freqtrade's own, or an earlier patch)."""
    replacement: Any
    had_own: bool
    """Whether ``owner`` itself held the name (put back on undo; else deleted)."""
    previous: Any
    serial: int


_applied: list[Patch] = []
_lock = threading.RLock()
_serials = itertools.count(1)


def _is_object(owner: Any) -> bool:
    return not isinstance(owner, type | ModuleType)


def declaration(owner: Any, name: str) -> Internal:
    """The declared patch of ``owner.name``; raises ``UndeclaredInternal``."""
    for internal in DECLARED:
        if internal.name != name or internal.use not in PATCHES:
            continue
        try:
            declared_owner = internal.owner.resolve()
        except (ImportError, AttributeError):
            continue
        if internal.undo is Undo.RESTORE and owner is declared_owner:
            return internal
        if (
            internal.undo is Undo.DELETE
            and _is_object(owner)
            and isinstance(declared_owner, type)
            and isinstance(owner, declared_owner)
        ):
            return internal
    what = owner.__name__ if not _is_object(owner) else f"a {type(owner).__name__}"
    raise UndeclaredInternal(
        f"{what}.{name} is not declared as a patch in freqfleet.compat.declared"
    )


def patch(owner: Any, name: str, replacement: Any) -> Patch:
    """Set ``owner.name`` to ``replacement`` (declared patches only); recorded for undo.

    A function replacing a function takes its name and docstring (``functools.wraps``).
    """
    internal = declaration(owner, name)
    with _lock:
        own = vars(owner)
        had_own = name in own
        original = getattr(owner, name)
        if inspect.isfunction(replacement) and callable(original):
            functools.update_wrapper(replacement, original)
        record = Patch(
            internal=internal,
            owner=owner,
            name=name,
            original=original,
            replacement=replacement,
            had_own=had_own,
            previous=own[name] if had_own else None,
            serial=next(_serials),
        )
        setattr(owner, name, replacement)
        _applied.append(record)
    return record


def undo(record: Patch) -> None:
    """Take ``record`` off (it must be the newest patch of its owner and name)."""
    with _lock:
        newer = [
            p
            for p in _applied
            if p.owner is record.owner and p.name == record.name and p.serial > record.serial
        ]
        if record not in _applied:
            return  # already undone
        if newer:
            raise RuntimeError(f"{record.name}: a newer patch must be undone first")
        if record.had_own:
            setattr(record.owner, record.name, record.previous)
        else:
            delattr(record.owner, record.name)
        _applied.remove(record)


def mark() -> int:
    """A point in the patch history: ``undo_patches(since=mark())`` undoes what follows."""
    with _lock:
        return next(_serials)


def undo_patches(since: int = 0) -> int:
    """Undo every patch applied after ``since`` (all by default), newest first; how many."""
    with _lock:
        records = [p for p in _applied if p.serial >= since]
        for record in reversed(records):
            undo(record)
    return len(records)


def applied() -> tuple[Patch, ...]:
    with _lock:
        return tuple(_applied)


def _records(owner: Any, name: str) -> list[Patch]:
    with _lock:
        return [p for p in _applied if p.owner is owner and p.name == name]


def is_patched(owner: Any, name: str) -> bool:
    return bool(_records(owner, name))


def original(owner: Any, name: str) -> Any:
    """``owner.name`` as freqtrade defines it, under any freqfleet patch."""
    records = _records(owner, name)
    return records[0].original if records else getattr(owner, name, None)


def replacement(owner: Any, name: str) -> Any:
    """The newest patch's replacement of ``owner.name``; None when not patched."""
    records = _records(owner, name)
    return records[-1].replacement if records else None


@contextlib.contextmanager
def patched(owner: Any, name: str, replacement: Any) -> Iterator[Patch]:
    """``patch`` for the length of a block."""
    record = patch(owner, name, replacement)
    try:
        yield record
    finally:
        undo(record)


__all__ = [
    "Patch",
    "UndeclaredInternal",
    "applied",
    "declaration",
    "is_patched",
    "mark",
    "original",
    "patch",
    "patched",
    "replacement",
    "undo",
    "undo_patches",
]
