"""``freqfleet gateway`` options: bad input ends in one line naming the option."""

from __future__ import annotations

import pytest

from freqfleet.cli import main


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--upstream", "ftp://example.org"], "--upstream"),
        (["--upstream", "not a url"], "--upstream"),
        (["--upstream", "http://127.0.0.1:1", "--share", "0"], "--share"),
        (["--upstream", "http://127.0.0.1:1", "--share", "1.5"], "--share"),
        (["--upstream", "http://127.0.0.1:1", "--port", "70000"], "--port"),
        (["--upstream", "http://127.0.0.1:1", "--live-ttl", "0"], "--live-ttl"),
        (["--upstream", "http://127.0.0.1:1", "--weight-limit", "0"], "--weight-limit"),
        (["--upstream", "http://127.0.0.1:1", "--weight-limit", "-5"], "--weight-limit"),
    ],
)
def test_bad_options_are_one_line_errors(capsys, args, named):
    assert main(["gateway", *args]) == 2
    error = capsys.readouterr().err.strip()
    assert named in error
    assert len(error.splitlines()) == 1
