"""The one module that touches freqtrade internals checks them at start-up, not in the loop."""

from __future__ import annotations

import logging

import pytest
from freqtrade.data.dataprovider import DataProvider

from freqfleet.errors import StrategySetupError
from freqfleet.strategy import internals


def test_this_freqtrade_has_every_internal_the_consumer_uses():
    assert internals.missing_internals() == []
    internals.check_supported()


def test_a_missing_internal_is_a_start_up_error_naming_version_and_fix(monkeypatch):
    monkeypatch.delattr(DataProvider, "_add_external_df")
    with pytest.raises(StrategySetupError) as error:
        internals.check_supported()
    message = str(error.value)
    assert "DataProvider._add_external_df" in message
    assert internals.freqtrade_version() in message
    assert f"freqtrade=={internals.TESTED_FREQTRADE[-1]}" in message


def test_an_untested_release_is_warned_about_once(monkeypatch, caplog):
    monkeypatch.setattr(internals, "freqtrade_version", lambda: "2027.3")
    monkeypatch.setattr(internals, "_warned_version", False)
    caplog.set_level(logging.WARNING)
    internals.check_supported()
    internals.check_supported()
    warnings = [r.getMessage() for r in caplog.records if "tested with freqtrade" in r.getMessage()]
    assert warnings == [
        f"freqfleet is tested with freqtrade {', '.join(internals.TESTED_FREQTRADE)}; "
        "this bot runs 2027.3"
    ]


@pytest.mark.parametrize(
    ("version", "release"),
    [("2026.9", "2026.9"), ("2026.9.1", "2026.9"), ("docker-2026.9-1a2b3c4d", "2026.9"),
     ("2026.10-dev-abcdef", "2026.10")],
)  # fmt: skip
def test_release_of_a_version_string(version, release):
    assert internals._release(version) == release
