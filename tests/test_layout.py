"""The tests' layout: a ``test_<module>.py`` per module with logic, end-to-end and fault
runs under ``tests/scenarios/``, helpers in ``tests/kit/``, and no test importing another
test module or a conftest."""

from __future__ import annotations

import ast
from pathlib import Path

import freqfleet

SOURCE = Path(freqfleet.__file__).parent
TESTS = Path(__file__).parent
SCENARIOS = TESTS / "scenarios"

NO_LOGIC = {
    # Names and constants only.
    "gateway/settings.py",
}


def modules_with_logic() -> list[Path]:
    return [
        path.relative_to(SOURCE)
        for path in sorted(SOURCE.rglob("*.py"))
        if path.name not in ("__init__.py", "__main__.py")
        and str(path.relative_to(SOURCE)) not in NO_LOGIC
    ]


def test_every_module_with_logic_has_its_test_file() -> None:
    missing = [
        str(module)
        for module in modules_with_logic()
        if not (TESTS / module.parent / f"test_{module.name}").is_file()
    ]
    assert missing == []


def imported_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def test_no_test_imports_a_test_module_or_a_conftest() -> None:
    offending = [
        f"{path.relative_to(TESTS)} imports {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in imported_modules(path)
        if module.rpartition(".")[2].startswith("test_") or module.endswith("conftest")
    ]
    assert offending == []


def marks_slow(path: Path) -> bool:
    """Whether the file uses ``pytest.mark.slow``."""
    return any(
        isinstance(node, ast.Attribute)
        and node.attr == "slow"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "mark"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


def test_slow_end_to_end_tests_live_under_scenarios() -> None:
    outside = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("test_*.py"))
        if SCENARIOS not in path.parents and marks_slow(path)
    ]
    assert outside == []
