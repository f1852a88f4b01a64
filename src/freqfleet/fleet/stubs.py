"""Strategy files for a plan's ``user_data/strategies/``: the user's folder, stubs, a check.

Why stubs: freqtrade's resolver accepts only a strategy class *defined in the file it
loads* (``obj.__module__ == module_name``), so a class that lives in an installed package
(freqfleet's samples) or a user's strategy wrapped in the fleet mixin needs a small file
that defines the class freqtrade is told to load. The resolver puts the strategies folder
on ``sys.path`` while importing, so a stub imports the user's copied file by its module
name, exactly like freqtrade strategies that build on each other.

Why the whole folder: a strategy file may import others beside it (``from MyStrategy
import MyStrategy``, a helpers module, a package), so the plan copies every ``.py`` file
and package of the folder the strategy was found in, and before anything is written it
resolves the fleet class from a temporary copy of exactly those files, as the bots will
(:mod:`~freqfleet.fleet.strategy_discovery` finds the class in the first place).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from freqfleet.errors import ConfigError
from freqfleet.fleet.strategy_discovery import (
    StrategyImportError,
    StrategyInfo,
    load_strategy_class,
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


def _copied_files(folder: Path) -> dict[str, bytes]:
    """The folder's ``.py`` files and packages (folders holding ``.py`` files), as bytes.

    Skipped: ``__pycache__``, hidden entries, other top-level files (hyperopt results,
    notes) and folders without Python code.
    """
    files: dict[str, bytes] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.suffix == ".py" and entry.is_file():
            files[entry.name] = entry.read_bytes()
        elif entry.is_dir() and any(entry.rglob("*.py")):
            for path in sorted(entry.rglob("*")):
                relative = path.relative_to(folder)
                if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
                    continue
                if path.is_file():
                    files[relative.as_posix()] = path.read_bytes()
    return files


def stub_files(info: StrategyInfo) -> dict[str, str | bytes]:
    """Files (relative to ``user_data/strategies``) that make ``info.fleet_name`` loadable:
    the user's strategies folder (``.py`` files and packages) plus the stub, if one is needed.
    """
    if info.source is None:
        return {f"{info.name}.py": sample_stub(info.name)}
    folder = info.folder if info.folder is not None else info.source.parent
    files: dict[str, str | bytes] = dict(_copied_files(folder))
    files.setdefault(info.source.name, info.source.read_bytes())
    if not info.is_fleet:
        files[f"{info.fleet_name}.py"] = wrapper_stub(info)
    return files


def check_strategy_files(info: StrategyInfo, files: dict[str, str | bytes]) -> None:
    """Resolve ``info.fleet_name`` from a temporary copy of ``files``, as each bot will.

    Raises one ConfigError naming the user's file and the error when it does not load.
    """
    user_folder = info.folder if info.folder is not None else Path("user_data/strategies")
    with tempfile.TemporaryDirectory(prefix="freqfleet-strategies-") as tmp:
        folder = Path(tmp) / "strategies"
        for relative, content in files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                target.write_text(content, encoding="utf-8")
            else:
                target.write_bytes(content)
        copied = ""
        if info.source is not None:
            copied = (
                f"; the plan copies the .py files and packages of {user_folder}, nothing "
                "else: keep what the strategy needs there"
            )
        try:
            found = load_strategy_class(folder, info.fleet_name)
        except StrategyImportError as error:
            try:
                where: Path = user_folder / error.path.resolve().relative_to(folder.resolve())
            except ValueError:
                where = error.path
            raise ConfigError(
                f"strategy: {where} fails to load in the plan's copy of the strategies "
                f"folder ({error.reason}){copied}"
            ) from None
    if found is None:
        source = info.source if info.source is not None else f"{info.name}.py"
        raise ConfigError(
            f"strategy: {source}: freqtrade would not find class {info.fleet_name} in the "
            f"plan's copy of the strategies folder{copied}"
        )


__all__ = ["StrategyInfo", "check_strategy_files", "sample_stub", "stub_files", "wrapper_stub"]
