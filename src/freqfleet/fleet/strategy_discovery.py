"""Finding the user's strategy class as freqtrade's resolver will, before a plan is written.

Why as freqtrade does: a plan must name the class every bot loads and size the fleet by
its timeframes, so it finds the class where freqtrade would (``strategy_path`` first, then
``user_data/strategies``), imports the files freqtrade would import (those that contain
``class <name>(``, in name order) and lets freqtrade's own resolver confirm the result.
A freqfleet sample is found by name in the package.

Why fresh imports: Python caches imported modules in ``sys.modules``; a module imported
from the user's folder would hide a module missing from the plan's copy. Every import here
runs with the folder's module names removed from the cache and leaves none of them behind.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from freqfleet.compat import informative_data, search_strategy_class
from freqfleet.errors import ConfigError

SAMPLES_MODULE = "freqfleet.strategy.samples"


@dataclass(frozen=True)
class StrategyInfo:
    """What a plan needs to know about the user's strategy."""

    name: str  # the class named in the user's config
    fleet_name: str  # the class every bot of the fleet loads
    timeframe: str | None
    startup_candle_count: int
    source: Path | None  # the user's strategy file; None for freqfleet's samples
    is_fleet: bool  # already has FleetStrategy in its bases
    folder: Path | None = None  # the strategies folder it was found in (copied whole)
    informative_timeframes: tuple[str, ...] = ()  # of its @informative methods (sizing)
    can_short: bool = False  # freqtrade refuses such a strategy on spot, at start-up only


def informative_timeframes(cls: type) -> tuple[str, ...]:
    """The timeframes of a strategy class's ``@informative`` methods, in the order found."""
    found: list[str] = []
    for klass in cls.__mro__:
        for value in vars(klass).values():
            for data in informative_data(value):
                timeframe = getattr(data, "timeframe", None)
                if isinstance(timeframe, str) and timeframe not in found:
                    found.append(timeframe)
    return tuple(found)


def _is_fleet_strategy(cls: type) -> bool:
    return any(
        base.__name__ == "FleetStrategy" and base.__module__.startswith("freqfleet.")
        for base in cls.__mro__
    )


def _sample_class(name: str) -> type | None:
    try:
        samples = importlib.import_module(SAMPLES_MODULE)
    except ImportError:
        return None
    candidate = getattr(samples, name, None)
    return candidate if isinstance(candidate, type) else None


def strategy_search_dirs(
    config: dict[str, Any], config_dir: Path, userdir: Path | None = None
) -> list[Path]:
    """Where a user's strategy file may be, in freqtrade's order (``strategy_path`` first)."""
    dirs: list[Path] = []
    if userdir is not None:
        dirs.append(Path(userdir) / "strategies")
    if config.get("strategy_path"):
        dirs.append(config_dir / str(config["strategy_path"]))
    userdir = Path(str(config.get("user_data_dir") or "user_data"))
    dirs.append(config_dir / userdir / "strategies")
    dirs.append(Path.cwd() / userdir / "strategies")
    unique: list[Path] = []
    for directory in dirs:
        directory = directory.resolve()
        if directory not in unique:
            unique.append(directory)
    return unique


# --- importing strategy files as freqtrade does -------------------------------------------


class StrategyImportError(Exception):
    """A strategy file that cannot be read or imported; ``path`` is where it failed."""

    def __init__(self, path: Path, error: BaseException) -> None:
        super().__init__(f"{path}: {type(error).__name__}: {error}")
        self.path = path
        self.error = error

    @property
    def reason(self) -> str:
        """The error in one line, e.g. ``ModuleNotFoundError: No module named 'x'``."""
        if isinstance(self.error, UnicodeDecodeError):
            start = self.error.start
            return f"not UTF-8 text, byte 0x{self.error.object[start]:02x} at offset {start}"
        lines = str(self.error).strip().splitlines()
        text = lines[0] if lines else ""
        return f"{type(self.error).__name__}: {text}" if text else type(self.error).__name__


def local_module_names(folder: Path) -> set[str]:
    """Top-level module names a strategies folder provides (its .py files and packages)."""
    if not folder.is_dir():
        return set()
    names = set()
    for entry in folder.iterdir():
        if entry.suffix == ".py":
            names.add(entry.stem)
        elif entry.is_dir() and entry.name.isidentifier():
            names.add(entry.name)
    return names


def _installed(module: Any) -> bool:
    """A module of Python or of an installed package (a bot has those before its strategy)."""
    filename = getattr(module, "__file__", None)
    if not filename:
        return True
    prefixes = {Path(prefix).resolve() for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    path = Path(filename).resolve()
    return any(path.is_relative_to(prefix) for prefix in prefixes)


@contextmanager
def fresh_imports(folder: Path) -> Iterator[None]:
    """Import from ``folder`` as a new bot process would: none of its modules cached yet.

    Modules named like the folder's files and imported earlier from elsewhere than Python
    or an installed package (another strategies folder) are taken out of ``sys.modules``
    for the block and put back afterwards; what the block imported under those names is
    dropped. No bytecode is written into the folder.
    """
    local = local_module_names(folder)

    def is_local(name: str) -> bool:
        return name.partition(".")[0] in local

    before = set(sys.modules)
    removed = {
        name: module
        for name, module in sys.modules.items()
        if is_local(name) and not _installed(module)
    }
    for name in removed:
        del sys.modules[name]
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.dont_write_bytecode = dont_write
        for name in [
            name
            for name in sys.modules
            if is_local(name) and (name not in before or name in removed)
        ]:
            del sys.modules[name]
        sys.modules.update(removed)


def _failed_at(error: BaseException, folder: Path, fallback: Path) -> Path:
    """The innermost file of ``folder`` where ``error`` was raised (else ``fallback``)."""
    root = folder.resolve()
    candidates: list[str] = [frame.filename for frame in traceback.extract_tb(error.__traceback__)]
    if isinstance(error, SyntaxError) and error.filename:
        candidates.append(error.filename)
    for filename in reversed(candidates):
        path = Path(filename)
        try:
            path.resolve().relative_to(root)
        except (OSError, ValueError):
            continue
        return path
    return fallback


def _import_file(entry: Path, folder: Path) -> Any:
    """Import one strategy file the way freqtrade's resolver does (its folder on sys.path)."""
    from freqtrade.resolvers.iresolver import PathModifier

    module_path = entry.resolve()
    with PathModifier(module_path.parent):
        spec = importlib.util.spec_from_file_location(module_path.stem, str(module_path))
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as error:
            raise StrategyImportError(_failed_at(error, folder, entry), error) from error
    return module


def _defines(module: Any, name: str) -> type | None:
    """The strategy class ``name`` if ``module`` itself defines it (freqtrade's rule)."""
    from freqtrade.strategy import IStrategy

    candidate = getattr(module, name, None)
    if (
        inspect.isclass(candidate)
        and issubclass(candidate, IStrategy)
        and candidate is not IStrategy
        and candidate.__module__ == module.__name__
    ):
        return candidate
    return None


def load_strategy_class(folder: Path, name: str) -> tuple[type, Path] | None:
    """Find and import the class ``name`` in ``folder`` as freqtrade's resolver does.

    freqtrade reads every ``.py`` file of the folder and imports, in name order, those that
    contain ``class <name>(``. Unlike freqtrade (which skips a file failing with an import
    error and crashes on any other), any failure raises :class:`StrategyImportError` naming
    the file. The result is then confirmed by freqtrade's own resolver.
    """

    with fresh_imports(folder):
        found = False
        for entry in sorted(folder.iterdir()):
            if entry.suffix != ".py" or (entry.is_symlink() and not entry.is_file()):
                continue
            try:
                text = entry.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise StrategyImportError(entry, error) from error
            if f"class {name}(" not in text:
                continue
            module = _import_file(entry, folder)
            if module is not None and _defines(module, name) is not None:
                found = True
                break
        if not found:
            return None
    with fresh_imports(folder):
        cls, path = search_strategy_class(folder, name)
    if cls is None or path is None:
        return None
    # The file as named in the folder (freqtrade's ``path`` has symlinks resolved).
    return cls, Path(getattr(cls, "__file__", "") or path)


def resolve_strategy(
    config: dict[str, Any], config_dir: Path, userdir: Path | None = None
) -> StrategyInfo:
    """Find the strategy class the config names (a freqfleet sample or a user's file)."""
    name = str(config["strategy"])
    sample = _sample_class(name)
    if sample is not None:
        return StrategyInfo(
            name=name,
            fleet_name=name,
            timeframe=getattr(sample, "timeframe", None),
            startup_candle_count=int(getattr(sample, "startup_candle_count", 0) or 0),
            source=None,
            is_fleet=_is_fleet_strategy(sample),
            informative_timeframes=informative_timeframes(sample),
            can_short=getattr(sample, "can_short", False) is True,
        )
    searched = strategy_search_dirs(config, config_dir, userdir)
    for directory in searched:
        if not directory.is_dir():
            continue
        try:
            found = load_strategy_class(directory, name)
        except StrategyImportError as error:
            raise ConfigError(
                f"strategy: {error.path} cannot be imported ({error.reason}); fix it, every "
                f"bot of the fleet imports it to load {name}"
            ) from None
        if found is not None:
            cls, path = found
            is_fleet = _is_fleet_strategy(cls)
            return StrategyInfo(
                name=name,
                fleet_name=name if is_fleet else f"{name}Fleet",
                timeframe=getattr(cls, "timeframe", None),
                startup_candle_count=int(getattr(cls, "startup_candle_count", 0) or 0),
                source=path,
                is_fleet=is_fleet,
                folder=directory,
                informative_timeframes=informative_timeframes(cls),
                can_short=getattr(cls, "can_short", False) is True,
            )
    where = ", ".join(str(directory) for directory in searched)
    raise ConfigError(
        f"strategy: class {name} not found in {where}; put its file in user_data/strategies "
        "next to the config or set strategy_path"
    )


__all__ = [
    "SAMPLES_MODULE",
    "StrategyImportError",
    "StrategyInfo",
    "fresh_imports",
    "informative_timeframes",
    "load_strategy_class",
    "local_module_names",
    "resolve_strategy",
    "strategy_search_dirs",
]
