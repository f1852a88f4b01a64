"""The declared list: complete for this freqtrade, consistent, and the only way in.

Two scans of freqfleet's sources keep it the only way in: outside ``freqfleet.compat`` no
module touches a declared private name or a private name of something imported from
freqtrade; inside, no module touches a private name that is not declared.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from types import ModuleType

import freqfleet
from freqfleet import compat
from freqfleet.compat.declared import DECLARED, FLEET_STRATEGY, needed_by, private_names
from freqfleet.compat.model import PATCHES, Feature, Undo, Use
from freqfleet.strategy.callbacks import NEUTRAL_DEFAULTS

SOURCE = Path(freqfleet.__file__).parent
COMPAT = SOURCE / "compat"
ACCESSORS = ("getattr", "setattr", "hasattr", "delattr")


def test_every_internal_is_here_as_declared_in_this_freqtrade():
    # An optional internal (its feature has a fallback) may be missing from an older
    # release only; the newest tested has every one.
    older = compat.freqtrade_version() != compat.TESTED_FREQTRADE[-1]
    absent = [i.label for i in DECLARED if i.problem() is not None and not (older and i.optional)]
    assert absent == []


def test_patches_say_how_they_are_undone_and_nothing_else_does():
    for internal in DECLARED:
        owner = internal.owner.resolve()
        if internal.use not in PATCHES:
            assert internal.undo is Undo.NONE, internal.label
        elif internal.undo is Undo.RESTORE:
            assert isinstance(owner, type | ModuleType), internal.label
        else:
            assert internal.undo is Undo.DELETE and isinstance(owner, type), internal.label


def test_each_use_is_declared_once_and_each_behaviour_has_its_check():
    uses = Counter((i.owner, i.name, i.use) for i in DECLARED)
    assert [use for use, count in uses.items() if count > 1] == []
    for internal in DECLARED:
        assert (internal.use is Use.RELY) <= (internal.behaviour is not None), internal.label
        assert bool(internal.relied_on) == (internal.behaviour is not None), internal.label


def test_every_feature_needs_something_and_the_fleet_strategy_checks_its_own():
    assert all(needed_by(feature) for feature in Feature)
    assert {f for i in needed_by(*FLEET_STRATEGY) for f in i.features} >= set(FLEET_STRATEGY)
    assert len(needed_by()) == len(DECLARED)


def test_every_callback_the_consumer_answers_for_is_declared_with_what_it_reads():
    declared = {i.name: i for i in DECLARED if i.owner.label == "IStrategy" and i.use is Use.WRAP}
    for name, default in NEUTRAL_DEFAULTS.items():
        taken = declared[name].parameters or ()
        assert set(getattr(default, "reads", ())) <= set(taken), name
        assert {"pair or trade", "pair", "trade"} & set(taken), name


def imported_from_freqtrade(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("freqtrade"):
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {
                (alias.asname or alias.name).partition(".")[0]
                for alias in node.names
                if alias.name.startswith("freqtrade")
            }
    return names


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def touched(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, what, private name) of every private name read or set on something other
    than ``self`` / ``cls``, by attribute or by ``getattr``-like call with a constant."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append((node.lineno, ast.unparse(node.value), node.attr))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ACCESSORS
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and private(node.args[1].value)
        ):
            found.append((node.lineno, ast.unparse(node.args[0]), node.args[1].value))
    return found


def sources(inside_compat: bool) -> list[tuple[Path, ast.AST]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(SOURCE.rglob("*.py"))
        if (COMPAT in path.parents) == inside_compat
    ]


def test_no_module_outside_compat_touches_freqtrades_private_names():
    declared = private_names()
    offending = []
    for path, tree in sources(inside_compat=False):
        where = path.relative_to(SOURCE)
        freqtrade_names = imported_from_freqtrade(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("freqtrade"):
                offending += [f"{where}: imports {a.name}" for a in node.names if private(a.name)]
        for line, owner, name in touched(tree):
            if name in declared or owner.partition(".")[0] in freqtrade_names:
                offending.append(f"{where}:{line}: {owner}.{name}")
    assert offending == []


def names_defined(trees: list[ast.AST]) -> set[str]:
    """Every name compat's own code defines: functions, classes, variables, attributes."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)
    return names


def test_compat_touches_no_private_name_it_has_not_declared():
    trees = sources(inside_compat=True)
    own = names_defined([tree for _, tree in trees])
    declared = private_names()
    undeclared = [
        f"{path.relative_to(SOURCE)}:{line}: {owner}.{name}"
        for path, tree in trees
        for line, owner, name in touched(tree)
        if name not in declared and name not in own
    ]
    assert undeclared == []


def test_the_scan_sees_what_it_looks_for():
    # The scans' own check: each form of access is found.
    tree = ast.parse(
        "from freqtrade.x import Y\n"
        "dp._set_cached_df(1)\n"
        "getattr(dp, '_exchange', None)\n"
        "Y._anything\n"
        "self._mine\n"
    )
    assert sorted(touched(tree)) == [
        (2, "dp", "_set_cached_df"),
        (3, "dp", "_exchange"),
        (4, "Y", "_anything"),
    ]
    assert imported_from_freqtrade(tree) == {"Y"}
