"""Each behaviour freqfleet relies on holds in this freqtrade and fails on a stand-in
that breaks it (the stand-ins are freqtrade's classes with one method rewritten)."""

from __future__ import annotations

import importlib.util
import sys

from freqtrade.data.dataprovider import DataProvider
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.resolvers.iresolver import IResolver
from freqtrade.resolvers.strategy_resolver import StrategyResolver
from freqtrade.rpc.external_message_consumer import ExternalMessageConsumer
from freqtrade.strategy import informative
from freqtrade.worker import Worker

from freqfleet.compat.behaviour import (
    add_stores_through_replace,
    dp_set_before_message_consumer,
    executes_strategy_files_afresh,
    marks_informative_functions,
    reconfigure_cleans_up_first,
)
from freqfleet.compat.declared import DECLARED


def relied_on(check) -> str:
    """The start-up check's line for a stand-in breaking ``check``'s behaviour."""
    (internal,) = [i for i in DECLARED if i.behaviour is check]
    return internal.label


class StoresAppendsItself(DataProvider):
    """Stores a full frame through _replace_external_df, an appended candle by itself."""

    def _add_external_df(self, pair, dataframe, last_analyzed, timeframe, candle_type,
                         producer_name="default"):  # fmt: skip
        if len(dataframe) > 1:
            self._replace_external_df(pair, dataframe, last_analyzed=last_analyzed,
                                      timeframe=timeframe, candle_type=candle_type,
                                      producer_name=producer_name)  # fmt: skip
            return (True, 0)
        key = (pair, timeframe, candle_type)
        self.__producer_pairs_df[producer_name][key] = (dataframe, last_analyzed)
        return (True, 0)


class NeverReplaces(DataProvider):
    def _add_external_df(self, pair, dataframe, last_analyzed, timeframe, candle_type,
                         producer_name="default"):  # fmt: skip
        return (False, 0)


def test_add_external_df_stores_through_replace_external_df():
    assert add_stores_through_replace(DataProvider)
    assert not add_stores_through_replace(StoresAppendsItself)
    assert not add_stores_through_replace(NeverReplaces)
    problem = relied_on(add_stores_through_replace)
    assert problem == "DataProvider._add_external_df storing frames through _replace_external_df"
    (internal,) = [i for i in DECLARED if i.behaviour is add_stores_through_replace]
    assert internal.problem(DataProvider) is None
    assert internal.problem(StoresAppendsItself) == problem


class ConsumerFirst(FreqtradeBot):
    """Starts the message consumer before the strategy has its DataProvider."""

    def __init__(self, config):
        self.config = config
        self.dataprovider = DataProvider(self.config, None)
        self.emc = ExternalMessageConsumer(self.config, self.dataprovider)
        self.strategy.dp = self.dataprovider


class NoConsumer(FreqtradeBot):
    def __init__(self, config):
        self.strategy.dp = DataProvider(config, None)


def test_the_strategy_has_its_dataprovider_before_producer_messages_arrive():
    assert dp_set_before_message_consumer(FreqtradeBot)
    assert not dp_set_before_message_consumer(ConsumerFirst)
    assert not dp_set_before_message_consumer(NoConsumer)  # moved elsewhere: looked at again
    (internal,) = [i for i in DECLARED if i.behaviour is dp_set_before_message_consumer]
    assert internal.problem(FreqtradeBot) is None
    assert internal.problem(ConsumerFirst) == (
        "FreqtradeBot.__init__ setting strategy.dp before it starts the ExternalMessageConsumer"
    )


def forgetful_informative(timeframe, asset="", **kwargs):
    """Decorates without recording anything on the function."""
    return lambda function: function


def renamed_informative(timeframe, asset="", **kwargs):
    def decorate(function):
        function._ft_informative_v2 = [(timeframe, asset)]
        return function

    return decorate


def test_informative_marks_the_functions_it_decorates():
    assert marks_informative_functions(informative)
    assert not marks_informative_functions(forgetful_informative)
    assert not marks_informative_functions(renamed_informative)
    assert not marks_informative_functions(lambda: None)  # another signature


class RegistersTheModule(IResolver):
    """Keeps every strategy module it loads in sys.modules (a later load finds the old)."""

    @classmethod
    def _get_valid_object(cls, module_path, object_name, enum_failed=False):
        spec = importlib.util.spec_from_file_location(module_path.stem, str(module_path))
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_path.stem] = module
        spec.loader.exec_module(module)
        return iter([(getattr(module, object_name), "")])


class ImportsByName(IResolver):
    @classmethod
    def _get_valid_object(cls, module_path, object_name, enum_failed=False):
        return iter([(getattr(importlib.import_module(module_path.stem), object_name), "")])


def test_the_resolver_executes_a_strategy_file_into_a_new_module_each_time():
    assert executes_strategy_files_afresh(StrategyResolver)
    assert not executes_strategy_files_afresh(RegistersTheModule)
    assert not executes_strategy_files_afresh(ImportsByName)
    assert relied_on(executes_strategy_files_afresh) == (
        "StrategyResolver._get_valid_object executing the strategy file into a new module "
        "on every load"
    )


class BuildsFirst(Worker):
    """Builds the next bot before the running one is cleaned up."""

    def _reconfigure(self):
        old = self.freqtrade
        self._init(True)
        old.cleanup()


def test_reload_config_cleans_up_the_running_bot_before_building_the_next():
    assert reconfigure_cleans_up_first(Worker)
    assert not reconfigure_cleans_up_first(BuildsFirst)
