"""`freqfleet backtest` on bad input: one line naming the option and the fix, no report."""

from __future__ import annotations

from pathlib import Path

import pytest

from freqfleet.backtest.commands import EXAMPLE_CONFIG
from freqfleet.cli import main


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--timerange", "2019"], "--timerange 2019: not a freqtrade timerange"),
        (["--datadir", "no-such-folder"], "--datadir no-such-folder: no such folder"),
    ],
)
def test_bad_option_is_one_line_error(option, expected, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "report.html"
    code = main(["backtest", "-c", str(EXAMPLE_CONFIG), *option, "--export-html", str(report)])
    assert code != 0
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert expected in message
    assert not report.exists()
