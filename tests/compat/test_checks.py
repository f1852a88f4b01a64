"""What a feature needs of freqtrade is checked when it starts, not in the loop."""

from __future__ import annotations

import logging

import pytest
from freqtrade.data.dataprovider import DataProvider
from freqtrade.exchange import Exchange
from freqtrade.strategy import IStrategy

from freqfleet import compat
from freqfleet.compat import versions
from freqfleet.compat.model import Feature
from freqfleet.errors import RuntimeFleetError, StrategySetupError


def test_this_freqtrade_has_every_internal_freqfleet_uses():
    assert compat.missing() == []
    compat.check_supported()


def test_a_missing_internal_is_a_start_up_error_naming_version_and_fix(monkeypatch):
    monkeypatch.delattr(DataProvider, "_add_external_df")
    with pytest.raises(StrategySetupError) as error:
        compat.check_supported()
    message = str(error.value)
    assert "DataProvider._add_external_df" in message
    assert "which the fleet strategy needs" in message
    assert compat.freqtrade_version() in message
    assert f"freqtrade=={compat.TESTED_FREQTRADE[-1]}" in message
    assert "\n" not in message


def test_an_untested_release_is_warned_about_once(monkeypatch, caplog):
    monkeypatch.setattr(versions, "freqtrade_version", lambda: "2027.3")
    monkeypatch.setattr(versions, "_warned_version", False)
    caplog.set_level(logging.WARNING)
    compat.check_supported()
    compat.check_supported()
    warnings = [r.getMessage() for r in caplog.records if "tested with freqtrade" in r.getMessage()]
    assert warnings == ["freqfleet is tested with freqtrade 2026.6 to 2026.9; this bot runs 2027.3"]


def test_every_tested_release_runs_silently(monkeypatch, caplog):
    caplog.set_level(logging.WARNING)
    for version in (*compat.TESTED_FREQTRADE, "2026.7.1", "docker-2026.8-1a2b3c4d"):
        monkeypatch.setattr(versions, "freqtrade_version", lambda version=version: version)
        monkeypatch.setattr(versions, "_warned_version", False)
        compat.check_supported()
    assert not [r for r in caplog.records if "tested with freqtrade" in r.getMessage()]


def test_an_internal_taking_other_arguments_is_a_start_up_error(monkeypatch):
    # freqtrade's message consumer calls _add_external_df with keywords the consumer's
    # replacement must accept: a new parameter would fail in the message thread.
    original = DataProvider._add_external_df

    def add_external_df(self, pair, dataframe, last_analyzed, timeframe, candle_type,
                        producer_name="default", source=None):  # fmt: skip
        return original(self, pair, dataframe, last_analyzed, timeframe, candle_type)

    monkeypatch.setattr(DataProvider, "_add_external_df", add_external_df)
    with pytest.raises(StrategySetupError) as error:
        compat.check_supported()
    assert (
        "lacks DataProvider._add_external_df(pair, dataframe, last_analyzed, timeframe, "
        "candle_type, producer_name)"
    ) in str(error.value)


def test_a_strategy_method_the_consumer_replaces_is_checked(monkeypatch):
    monkeypatch.setattr(IStrategy, "analyze", lambda self, pairs, extra: None)
    assert compat.missing(Feature.CONSUMER) == ["IStrategy.analyze(pairs)"]


def test_a_callback_whose_argument_was_renamed_is_checked(monkeypatch):
    # The neutral answer of custom_stake_amount is freqtrade's proposed_stake.
    def custom_stake_amount(self, pair, current_time, current_rate, proposed_amount, **kwargs):
        return proposed_amount

    monkeypatch.setattr(IStrategy, "custom_stake_amount", custom_stake_amount)
    assert compat.missing(Feature.CONSUMER) == [
        "IStrategy.custom_stake_amount(pair or trade, proposed_stake)"
    ]


def test_a_pricing_method_taking_other_arguments_is_a_start_up_error(monkeypatch):
    # The consumer's open-trade prices wrap Exchange.get_rate with freqtrade's arguments.
    def get_rate(self, pair, refresh, side, is_short, order_book=None, ticker=None, now=None):
        return 1.0

    monkeypatch.setattr(Exchange, "get_rate", get_rate)
    assert compat.missing(Feature.EXIT_PRICES) == [
        "Exchange.get_rate(pair, refresh, side, is_short, order_book, ticker)"
    ]


def test_pricing_is_checked_as_freqtrade_defines_it_under_the_patch():
    compat.reuse_exit_prices()
    compat.reuse_exit_prices()  # once per process
    assert compat.missing() == []


def test_each_feature_is_told_only_what_it_needs(monkeypatch):
    monkeypatch.delattr(Exchange, "_init_ccxt")
    assert compat.missing(Feature.PRODUCER_TICKERS) == [
        "Exchange._init_ccxt(exchange_config, sync, ccxt_kwargs)"
    ]
    assert compat.missing(Feature.CONSUMER, Feature.BACKTEST) == []
    with pytest.raises(RuntimeFleetError) as error:
        compat.require(Feature.PRODUCER_TICKERS, error=RuntimeFleetError)
    assert "which the producer's ticker stream needs" in str(error.value)


def test_an_exchange_attribute_freqtrade_no_longer_sets_is_missing(monkeypatch):
    # Exchange._api is an instance attribute: read from what Exchange's source assigns.
    from freqfleet.compat import model

    assigned = model.assigned_attributes
    monkeypatch.setattr(
        model,
        "assigned_attributes",
        lambda owner: assigned(owner) - {"_api"} if owner is Exchange else assigned(owner),
    )
    assert compat.missing(Feature.LIVE_ORDERS) == ["Exchange._api"]


def test_backtesting_without_what_freqfleet_backtest_calls_is_one_line(monkeypatch, tmp_path):
    from freqtrade.optimize.backtesting import Backtesting

    from freqfleet.backtest.engine import BacktestRequest, FleetBacktester

    assert compat.missing(Feature.BACKTEST) == []
    monkeypatch.delattr(Backtesting, "_set_strategy")
    with pytest.raises(RuntimeFleetError) as error:
        FleetBacktester(BacktestRequest(config_path=tmp_path / "config.json"))
    assert str(error.value).startswith(
        f"freqtrade {compat.freqtrade_version()} lacks Backtesting._set_strategy(strategy), "
        "which freqfleet backtest needs; install a tested freqtrade release (2026.6 to 2026.9)"
    )


def test_an_optional_internal_is_never_missing(monkeypatch):
    import pandas

    monkeypatch.delattr(pandas.DataFrame, "_get_column_array")
    assert compat.missing() == []
