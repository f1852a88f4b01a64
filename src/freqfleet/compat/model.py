"""What one declared use of a freqtrade (or pandas) internal is, and how it is checked.

An ``Internal`` names its owner (resolved only when checked, so importing freqfleet does
not import freqtrade), the name, what freqfleet does with it, the features that need it
and, for a patch, how it is undone. ``problem()`` tells whether the running freqtrade
still has it as freqfleet relies on it: a function's parameters, an attribute's
existence, or a behaviour read from freqtrade's source.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeGuard


class Use(StrEnum):
    CALL = "call"
    """freqfleet calls it."""
    READ = "read"
    """freqfleet reads the attribute."""
    WRITE = "write"
    """freqfleet sets the attribute on an object of its own run (not a patch)."""
    WRAP = "wrap"
    """Replaced by a function that calls freqtrade's own."""
    REPLACE = "replace"
    """Replaced by freqfleet's own; freqtrade's is not called."""
    RELY = "rely"
    """Nothing is called: freqfleet relies on a behaviour (``behaviour`` checks it)."""


PATCHES = (Use.WRAP, Use.REPLACE)


class Feature(StrEnum):
    """What needs an internal (the value is what an error message says needs it)."""

    CONSUMER = "the consumer"
    FRAME_CODEC = "exact frames on the wire"
    PRODUCER_CANDLES = "the consumer's candles from its producers"
    EXIT_PRICES = "the consumer's open-trade prices"
    LIVE_ORDERS = "the live consumer's orders"
    PRODUCER_TICKERS = "the producer's ticker stream"
    BACKTEST = "freqfleet backtest"
    PLAN = "freqfleet plan"
    STRATEGY_RELOAD = "a new strategy file taken by reload_config"
    ENTRY_BOOKS = "a loop's entry order books fetched together"
    FRAME_REQUESTS = "the consumer's frame requests sent without freqtrade's spacing"


class Undo(StrEnum):
    NONE = "none"
    """Not a patch."""
    RESTORE = "restore"
    """A class's or module's attribute: freqtrade's own is put back."""
    DELETE = "delete"
    """An instance's attribute: it is deleted, so the class's shows again."""


@dataclass(frozen=True)
class Owner:
    """Where an internal lives: a module, or a class (``attribute``) of a module."""

    module: str
    attribute: str | None = None

    def resolve(self) -> Any:
        module = importlib.import_module(self.module)
        return module if self.attribute is None else getattr(module, self.attribute)

    @property
    def label(self) -> str:
        return self.attribute or self.module


@dataclass(frozen=True)
class Internal:
    """One internal freqfleet uses; see the module's docstring."""

    owner: Owner
    name: str
    use: Use
    features: tuple[Feature, ...]
    parameters: tuple[str, ...] | None = None
    """A function's parameters freqfleet relies on (``a or b``: one of them); None: not
    compared (an attribute, or a function only called through freqtrade's own code)."""
    exact: bool = False
    """The parameters must be exactly these (a replacement receives freqtrade's calls)."""
    undo: Undo = Undo.NONE
    optional: bool = False
    """freqfleet has a fallback: never reported missing."""
    behaviour: Callable[[Any], bool] | None = None
    """Whether the resolved owner still behaves as relied on (in place of the other
    checks; what ``Use.RELY`` entries have)."""
    relied_on: str = ""
    """The behaviour, as the error message names it."""

    @property
    def label(self) -> str:
        text = f"{self.owner.label}.{self.name}"
        if self.behaviour is not None:
            return f"{text} {self.relied_on}"
        if self.parameters is None:
            return text
        return f"{text}({', '.join(self.parameters)})"

    def problem(self, owner: Any = None, found: Any = None) -> str | None:
        """``label`` when this freqtrade (or the stand-in ``owner``) lacks the internal as
        freqfleet relies on it; None when it is fine or cannot be compared (no source, a
        builtin). ``found``: the value to check in place of ``owner.name`` (freqtrade's
        own under a freqfleet patch)."""
        if owner is None:
            try:
                owner = self.owner.resolve()
            except (ImportError, AttributeError):
                return self.label
        if self.behaviour is not None or self.use is Use.RELY:
            return None if self.behaviour is None or self.behaviour(owner) else self.label
        value = getattr(owner, self.name, None) if found is None else found
        if self.use in (Use.READ, Use.WRITE) and self.parameters is None:
            present = value is not None or self.name in assigned_attributes(owner)
            return None if present else self.label
        if not callable(value):
            return self.label
        if self.parameters is None:
            return None
        taken = parameters_of(value)
        if taken is None:
            return None  # a builtin or C function: nothing to compare
        return None if _fits(self.parameters, taken, self.exact) else self.label


def _fits(expected: tuple[str, ...], taken: tuple[str, ...], exact: bool) -> bool:
    if exact:
        return taken == expected
    return all(any(name in taken for name in wanted.split(" or ")) for wanted in expected)


def parameters_of(function: Any) -> tuple[str, ...] | None:
    """Named parameters of ``function`` (``self``, ``*args``, ``**kwargs`` left out)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return tuple(
        p.name for p in signature.parameters.values() if p.name != "self" and p.kind not in variadic
    )


def source_tree(function: Any) -> ast.AST | None:
    """The parsed source of ``function``; None when it has none (a builtin, no file)."""
    try:
        text = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    return ast.parse(textwrap.dedent(text))


def is_self_attribute(node: ast.AST, name: str | None = None) -> TypeGuard[ast.Attribute]:
    """``self.<name>`` (any name when ``name`` is None)."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and (name is None or node.attr == name)
    )


@functools.lru_cache(maxsize=32)
def assigned_attributes(owner: Any) -> frozenset[str]:
    """Instance attributes the classes of ``owner``'s hierarchy set (``self.x = ...``, or
    annotate): freqtrade's objects get most of theirs in ``__init__``."""
    names: set[str] = set()
    for cls in getattr(owner, "__mro__", ())[:-1]:
        tree = source_tree(cls)
        if tree is None:
            continue
        for node in ast.walk(tree):
            targets: list[ast.AST] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, ast.AnnAssign | ast.AugAssign):
                targets = [node.target]
            names.update(t.attr for t in targets if is_self_attribute(t))
    return frozenset(names)


__all__ = [
    "PATCHES",
    "Feature",
    "Internal",
    "Owner",
    "Undo",
    "Use",
    "assigned_attributes",
    "is_self_attribute",
    "parameters_of",
    "source_tree",
]
