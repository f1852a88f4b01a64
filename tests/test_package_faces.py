"""Each package of freqfleet is used by the others through its ``__init__`` exports only,
so a module can move inside its package without breaking another one."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import freqfleet

SOURCE = Path(freqfleet.__file__).parent
PACKAGES = sorted(path.name for path in SOURCE.iterdir() if (path / "__init__.py").exists())

OPEN_MODULES = {
    # The live order guard (freqfleet.compat.orders) writes and settles the consumer's
    # order journal, which is plain Python in the strategy package.
    "freqfleet.strategy.order_journal",
}


def imports_of(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    return modules


def test_packages_reach_each_other_through_their_exports() -> None:
    reaches = []
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE).parts
        own = parts[0] if len(parts) > 1 else None
        for module in imports_of(path):
            names = module.split(".")
            if (
                len(names) > 2
                and names[0] == "freqfleet"
                and names[1] in PACKAGES
                and names[1] != own
                and module not in OPEN_MODULES
            ):
                reaches.append(f"{path.relative_to(SOURCE)} imports {module}")
    assert reaches == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_exists(package: str) -> None:
    module = importlib.import_module(f"freqfleet.{package}")
    exported = getattr(module, "__all__", None)
    assert exported, f"freqfleet.{package} exports nothing"
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []


def test_the_demo_does_not_depend_on_the_command_line() -> None:
    # The commands start the demo; the demo shares the supervisor and start-up view.
    assert "freqfleet.run.commands" not in imports_of(SOURCE / "run" / "demo.py")
