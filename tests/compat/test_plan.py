"""What the plan reads of freqtrade: environment variables, strategy lookup, exchanges."""

from __future__ import annotations

from pathlib import Path

import pytest
from freqtrade.configuration import environment_vars
from freqtrade.exchange import Binance
from freqtrade.strategy import informative

from freqfleet import compat
from freqfleet.errors import RuntimeFleetError
from freqfleet.fleet.envvars import ENV_PREFIX, env_variables

STRATEGY = """
from freqtrade.strategy import IStrategy


class Found(IStrategy):
    timeframe = "5m"
    minimal_roi = {"0": 0.1}
    stoploss = -0.1

    def populate_indicators(self, dataframe, metadata):
        return dataframe

    def populate_entry_trend(self, dataframe, metadata):
        return dataframe

    def populate_exit_trend(self, dataframe, metadata):
        return dataframe
"""


def test_environment_variables_read_back_as_freqtrade_reads_them():
    config = {"exchange": {"ccxt_config": {"apiKey": "Key"}}, "api_server": {"listen_port": 8081}}
    assert compat.flat_vars_to_nested_dict(env_variables(config), ENV_PREFIX) == config


def test_without_freqtrades_parser_the_plan_stops_with_one_line(monkeypatch):
    monkeypatch.delattr(environment_vars, "_flat_vars_to_nested_dict")
    with pytest.raises(RuntimeFleetError) as error:
        compat.flat_vars_to_nested_dict({}, ENV_PREFIX)
    assert "lacks freqtrade.configuration.environment_vars._flat_vars_to_nested_dict(" in str(
        error.value
    )
    assert "which freqfleet plan needs" in str(error.value)


def test_the_strategy_class_freqtrades_resolver_finds(tmp_path: Path):
    (tmp_path / "found.py").write_text(STRATEGY, encoding="utf-8")
    cls, path = compat.search_strategy_class(tmp_path, "Found")
    assert cls.__name__ == "Found" and Path(path).name == "found.py"
    assert compat.search_strategy_class(tmp_path, "Missing") == (None, None)


def test_informative_timeframes_as_the_decorator_records_them():
    @informative("1h")
    def populate_indicators_1h(self, dataframe, metadata):
        return dataframe

    assert [data.timeframe for data in compat.informative_data(populate_indicators_1h)] == ["1h"]
    assert compat.informative_data(lambda: None) == []


def test_whether_freqtrade_streams_candles_on_an_exchange():
    assert compat.freqtrade_ws_enabled("Binance") == Binance._ft_has.get("ws_enabled", False)
    assert compat.freqtrade_ws_enabled("binance") == compat.freqtrade_ws_enabled("BINANCE")
    assert compat.freqtrade_ws_enabled("no-such-exchange") is False
    futures = {**Binance._ft_has, **Binance._ft_has_futures}.get("ws_enabled", False)
    assert compat.freqtrade_ws_enabled("binance", "futures") is futures is False
    assert compat.freqtrade_ws_enabled("Bybit", "futures") is True  # futures streams elsewhere
