"""The running freqtrade, the tested releases, and the one-line message naming both."""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path

import pytest

from freqfleet.compat import versions


@pytest.mark.parametrize(
    ("version", "release"),
    [("2026.9", "2026.9"), ("2026.9.1", "2026.9"), ("docker-2026.9-1a2b3c4d", "2026.9"),
     ("2026.10-dev-abcdef", "2026.10")],
)  # fmt: skip
def test_release_of_a_version_string(version, release):
    assert versions.release_of(version) == release


ROOT = Path(__file__).resolve().parents[2]


def _next_release(release: str) -> str:
    year, month = (int(part) for part in release.split("."))
    return f"{year + 1}.1" if month == 12 else f"{year}.{month + 1}"


def test_supported_releases_agree_everywhere():
    """Makefile matrix, start-up check, dependency range and README name the same releases."""
    tested = versions.TESTED_FREQTRADE
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    matrix = re.search(r"^COMPAT_RELEASES \?= (.+)$", makefile, re.MULTILINE)
    assert matrix is not None and tuple(matrix.group(1).split()) == tested
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    allowed = f">={tested[0]},<{_next_release(tested[-1])}"
    assert f"freqtrade[plot]{allowed}" in project["dependencies"]
    assert f"freqtrade-client{allowed}" in project["dependencies"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"**{', '.join(tested[:-1])} and {tested[-1]}**" in readme


def test_this_freqtrade_is_a_supported_release():
    assert versions.release_of(versions.freqtrade_version()) in versions.TESTED_FREQTRADE


@pytest.mark.parametrize(
    ("version", "tag"),
    [("2026.6", "2026.6"), ("2026.9.1", "2026.9.1"), ("2026.10-dev-abcdef", "develop"),
     ("docker-2026.10-dev-1a2b3c4d", "develop")],
)  # fmt: skip
def test_image_tag_of_a_freqtrade_version(version, tag):
    assert versions.freqtrade_image_tag(version) == tag
    assert versions.freqtrade_image_tag() == versions.freqtrade_version()


def test_the_unsupported_message_is_one_line_naming_what_and_the_fix(monkeypatch):
    monkeypatch.setattr(versions, "freqtrade_version", lambda: "2027.1")
    assert versions.unsupported_message(["A.b(c)", "D.e"], "the thing") == (
        "freqtrade 2027.1 lacks A.b(c), D.e, which the thing needs; install a tested "
        "freqtrade release (2026.6 to 2026.9): pip install 'freqtrade==2026.9'"
    )


def test_a_single_tested_release_is_named_alone(monkeypatch):
    monkeypatch.setattr(versions, "TESTED_FREQTRADE", ("2026.9",))
    assert versions.tested_releases() == "2026.9"


def test_the_untested_warning_comes_once_per_process(monkeypatch, caplog):
    monkeypatch.setattr(versions, "freqtrade_version", lambda: "2025.1")
    monkeypatch.setattr(versions, "_warned_version", False)
    caplog.set_level(logging.WARNING)
    versions.warn_untested()
    versions.warn_untested()
    assert sum("tested with freqtrade" in r.getMessage() for r in caplog.records) == 1
