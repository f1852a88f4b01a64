"""Strategy stub files for a plan's ``user_data/strategies/``.

Why stubs: freqtrade's resolver accepts only a strategy class *defined in the file it
loads* (``obj.__module__ == module_name``), so a class that lives in an installed package
(freqfleet's samples) or a user's strategy wrapped in the fleet mixin needs a small file
that defines the class freqtrade is told to load. The resolver puts the strategies folder
on ``sys.path`` while importing, so a stub imports the user's copied file by its module
name, exactly like freqtrade strategies that build on each other.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        )
    from freqtrade.resolvers.strategy_resolver import StrategyResolver

    searched = strategy_search_dirs(config, config_dir, userdir)
    for directory in searched:
        if not directory.is_dir():
            continue
        cls, path = StrategyResolver._search_object(directory, object_name=name)
        if cls is not None and path is not None:
            is_fleet = _is_fleet_strategy(cls)
            return StrategyInfo(
                name=name,
                fleet_name=name if is_fleet else f"{name}Fleet",
                timeframe=getattr(cls, "timeframe", None),
                startup_candle_count=int(getattr(cls, "startup_candle_count", 0) or 0),
                source=Path(path),
                is_fleet=is_fleet,
            )
    where = ", ".join(str(directory) for directory in searched)
    raise ConfigError(
        f"strategy: class {name} not found in {where}; put its file in user_data/strategies "
        "next to the config or set strategy_path"
    )


def sample_stub(name: str) -> str:
    return (
        f'"""Makes freqfleet\'s {name} loadable by freqtrade\'s strategy resolver."""\n\n'
        "from freqfleet.strategy import samples\n\n\n"
        f"class {name}(samples.{name}):\n"
        "    pass\n"
    )


def wrapper_stub(info: StrategyInfo) -> str:
    assert info.source is not None
    module = info.source.stem
    return (
        f'"""{info.name} run as a fleet: the fleet mixin first, then the strategy itself.\n\n'
        "On producers the mixin does nothing; on the consumer it replaces analysis with the\n"
        f'producers\' data. {module}.py beside this file is a copy of the strategy.\n"""\n\n'
        f"from {module} import {info.name}\n\n"
        "from freqfleet.strategy import FleetStrategy\n\n\n"
        f"class {info.fleet_name}(FleetStrategy, {info.name}):\n"
        "    pass\n"
    )


def stub_files(info: StrategyInfo) -> dict[str, str]:
    """Files (relative to ``user_data/strategies``) that make ``info.fleet_name`` loadable."""
    if info.source is None:
        return {f"{info.name}.py": sample_stub(info.name)}
    files = {info.source.name: info.source.read_text(encoding="utf-8")}
    if not info.is_fleet:
        files[f"{info.fleet_name}.py"] = wrapper_stub(info)
    return files


__all__ = ["StrategyInfo", "resolve_strategy", "strategy_search_dirs", "stub_files"]
