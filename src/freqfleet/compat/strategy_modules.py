"""A consumer's strategy code read from disk again when ``reload_config`` builds its next bot.

Why: freqtrade's resolver executes the strategy file it loads into a new module on every
load (``IResolver._get_valid_object``: never stored in ``sys.modules``), with the file's
folder on ``sys.path``. What that file imports from beside it (the user's strategy under
a fleet wrapper stub, a user's fleet class importing its strategy, helper modules) is an
ordinary import: cached in ``sys.modules``, so the bot that ``reload_config`` builds in
the same process would run the new wrapper over the OLD strategy. The consumer forgets
those modules when its bot is cleaned up (``Worker._reconfigure`` cleans up before it
builds the next bot), and the resolver's next load imports them from disk.

The consumer also reports the sha256 of each strategy file it runs (``fleet-state.json``),
so ``apply`` can tell that the reloaded bot runs the plan's files.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from freqfleet.compat.checks import missing
from freqfleet.compat.model import Feature


def strategy_folder(strategy_class: type[Any]) -> Path | None:
    """The folder of the file freqtrade loaded ``strategy_class`` from (the resolver sets
    the class's ``__file__``; a class from an installed module has its module's)."""
    file = getattr(strategy_class, "__file__", None) or getattr(
        sys.modules.get(strategy_class.__module__), "__file__", None
    )
    if not file:
        return None
    return Path(file).resolve().parent


def _modules_in(folder: Path) -> dict[str, Path]:
    """Modules of ``sys.modules`` imported with ``folder`` on ``sys.path``: named after one
    of its files or packages, their file in it. (A ``strategy_path`` pointing into an
    installed package, freqfleet's samples, leaves that package's modules alone: they are
    named from the package's root.)"""
    try:
        tops = {entry.stem if entry.is_file() else entry.name for entry in folder.iterdir()}
    except OSError:
        return {}
    found = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or name.partition(".")[0] not in tops:
            continue
        path = Path(file).resolve()
        if folder in path.parents:
            found[name] = path
    return found


def reloads_strategy_files() -> bool:
    """Whether this freqtrade loads strategies as :func:`forget_strategy_modules` needs."""
    return not missing(Feature.STRATEGY_RELOAD)


def forget_strategy_modules(folder: Path) -> list[str]:
    """Drop the modules imported from ``folder`` from ``sys.modules`` (their names,
    sorted): the next load of the strategy imports them from disk. Objects of the running
    bot keep the modules they were made from until it is gone."""
    folder = folder.resolve()
    modules = _modules_in(folder)
    for name, path in modules.items():
        sys.modules.pop(name, None)
        _drop_bytecode(path)
    importlib.invalidate_caches()  # a file added to the folder is found
    return sorted(modules)


def _drop_bytecode(source: Path) -> None:
    """Delete ``source``'s cached bytecode: Python trusts it while the source's size and
    mtime (whole seconds) match, so a file rewritten within a second at the same size would
    otherwise import as the old code. (Read-only folders keep none: nothing to delete.)"""
    if source.suffix != ".py":
        return
    with contextlib.suppress(OSError, NotImplementedError, ValueError):
        Path(importlib.util.cache_from_source(str(source))).unlink(missing_ok=True)


def loaded_strategy_files(strategy_class: type[Any]) -> dict[str, str]:
    """File (relative to its strategy folder) -> sha256 of the strategy files this bot
    runs: the file freqtrade loaded and the modules imported from its folder."""
    folder = strategy_folder(strategy_class)
    if folder is None:
        return {}
    paths = set(_modules_in(folder).values())
    loaded = getattr(strategy_class, "__file__", None)
    if loaded:
        paths.add(Path(loaded).resolve())
    hashes = {}
    for path in sorted(paths):
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
        hashes[path.relative_to(folder).as_posix()] = digest
    return hashes


__all__ = [
    "forget_strategy_modules",
    "loaded_strategy_files",
    "reloads_strategy_files",
    "strategy_folder",
]
