"""The one module that touches freqtrade internals checks them at start-up, not in the loop."""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path

import pytest
from freqtrade.data.dataprovider import DataProvider
from freqtrade.exchange import Exchange
from freqtrade.strategy import IStrategy

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
    assert warnings == ["freqfleet is tested with freqtrade 2026.6 to 2026.9; this bot runs 2027.3"]


def test_every_tested_release_runs_silently(monkeypatch, caplog):
    caplog.set_level(logging.WARNING)
    for version in (*internals.TESTED_FREQTRADE, "2026.7.1", "docker-2026.8-1a2b3c4d"):
        monkeypatch.setattr(internals, "freqtrade_version", lambda version=version: version)
        monkeypatch.setattr(internals, "_warned_version", False)
        internals.check_supported()
    assert not [r for r in caplog.records if "tested with freqtrade" in r.getMessage()]


def test_an_internal_taking_other_arguments_is_a_start_up_error(monkeypatch):
    # freqtrade's message consumer calls _add_external_df with keywords the consumer's
    # replacement must accept: a new parameter would fail in the message thread.
    def add_external_df(self, pair, dataframe, last_analyzed, timeframe, candle_type,
                        producer_name="default", source=None):  # fmt: skip
        return (True, 0)

    monkeypatch.setattr(DataProvider, "_add_external_df", add_external_df)
    with pytest.raises(StrategySetupError) as error:
        internals.check_supported()
    assert (
        "lacks DataProvider._add_external_df(pair, dataframe, last_analyzed, timeframe, "
        "candle_type, producer_name)"
    ) in str(error.value)


def test_a_strategy_method_the_consumer_replaces_is_checked(monkeypatch):
    monkeypatch.setattr(IStrategy, "analyze", lambda self, pairs, extra: None)
    assert internals.missing_internals() == ["IStrategy.analyze(pairs)"]


def test_a_callback_whose_argument_was_renamed_is_checked(monkeypatch):
    # The neutral answer of custom_stake_amount is freqtrade's proposed_stake.
    def custom_stake_amount(self, pair, current_time, current_rate, proposed_amount, **kwargs):
        return proposed_amount

    monkeypatch.setattr(IStrategy, "custom_stake_amount", custom_stake_amount)
    assert internals.missing_internals() == [
        "IStrategy.custom_stake_amount(pair or trade, proposed_stake)"
    ]


@pytest.mark.parametrize(
    ("version", "release"),
    [("2026.9", "2026.9"), ("2026.9.1", "2026.9"), ("docker-2026.9-1a2b3c4d", "2026.9"),
     ("2026.10-dev-abcdef", "2026.10")],
)  # fmt: skip
def test_release_of_a_version_string(version, release):
    assert internals._release(version) == release


ROOT = Path(__file__).resolve().parents[2]


def _next_release(release: str) -> str:
    year, month = (int(part) for part in release.split("."))
    return f"{year + 1}.1" if month == 12 else f"{year}.{month + 1}"


def test_supported_releases_agree_everywhere():
    """Makefile matrix, start-up check, dependency range and README name the same releases."""
    tested = internals.TESTED_FREQTRADE
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
    assert internals._release(internals.freqtrade_version()) in internals.TESTED_FREQTRADE


def test_backtesting_without_what_freqfleet_backtest_calls_is_one_line(monkeypatch, tmp_path):
    from freqtrade.optimize.backtesting import Backtesting

    from freqfleet.backtest.engine import BacktestRequest, FleetBacktester
    from freqfleet.errors import RuntimeFleetError

    assert internals.missing_backtesting_internals() == []
    monkeypatch.delattr(Backtesting, "_set_strategy")
    with pytest.raises(RuntimeFleetError) as error:
        FleetBacktester(BacktestRequest(config_path=tmp_path / "config.json"))
    assert str(error.value).startswith(
        f"freqtrade {internals.freqtrade_version()} lacks Backtesting._set_strategy(strategy), "
        "which freqfleet backtest needs; install a tested freqtrade release (2026.6 to 2026.9)"
    )


@pytest.mark.parametrize(
    ("version", "tag"),
    [("2026.6", "2026.6"), ("2026.9.1", "2026.9.1"), ("2026.10-dev-abcdef", "develop"),
     ("docker-2026.10-dev-1a2b3c4d", "develop")],
)  # fmt: skip
def test_image_tag_of_a_freqtrade_version(version, tag):
    assert internals.freqtrade_image_tag(version) == tag
    assert internals.freqtrade_image_tag() == internals.freqtrade_version()


def test_a_pricing_method_taking_other_arguments_is_a_start_up_error(monkeypatch):
    # The consumer's open-trade prices wrap Exchange.get_rate with freqtrade's arguments.
    def get_rate(self, pair, refresh, side, is_short, order_book=None, ticker=None, now=None):
        return 1.0

    monkeypatch.setattr(Exchange, "get_rate", get_rate)
    assert internals.missing_internals() == [
        "Exchange.get_rate(pair, refresh, side, is_short, order_book, ticker)"
    ]


def test_pricing_is_checked_as_freqtrade_defines_it_after_the_patch():
    internals.reuse_exit_prices()
    internals.reuse_exit_prices()  # once per process
    assert internals.missing_internals() == []
