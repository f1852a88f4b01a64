"""Every patch goes through one registry: declared names only, each one undoable."""

from __future__ import annotations

import pytest
from freqtrade.data.dataprovider import DataProvider
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.rpc.api_server.ws import serializer

from freqfleet.compat import patches
from freqfleet.compat.model import Undo


def dataprovider() -> DataProvider:
    return DataProvider({}, None)


def test_an_undeclared_name_is_refused():
    dp = dataprovider()
    with pytest.raises(patches.UndeclaredInternal) as error:
        patches.patch(dp, "get_pair_dataframe", lambda *args: None)
    assert str(error.value) == (
        "a DataProvider.get_pair_dataframe is not declared as a patch in freqfleet.compat.declared"
    )
    with pytest.raises(patches.UndeclaredInternal):
        patches.patch(dp, "_set_cached_df", lambda *args: None)  # declared as called only
    assert "get_pair_dataframe" not in vars(dp) and patches.applied() == ()


def test_a_patch_declared_for_instances_is_refused_on_the_class_and_back():
    with pytest.raises(patches.UndeclaredInternal):
        patches.patch(DataProvider, "_add_external_df", lambda *args: None)
    with pytest.raises(patches.UndeclaredInternal):
        patches.patch(object.__new__(FreqtradeBot), "handle_trade", lambda *args: None)
    assert patches.declaration(dataprovider(), "_add_external_df").undo is Undo.DELETE
    assert patches.declaration(FreqtradeBot, "handle_trade").undo is Undo.RESTORE


def test_an_instance_patch_is_undone_by_deleting_it():
    dp = dataprovider()
    freqtrades = dp._set_producer_pairs
    patches.patch(dp, "_set_producer_pairs", lambda pairlist, producer_name="default": None)
    assert patches.is_patched(dp, "_set_producer_pairs")
    assert not patches.is_patched(dataprovider(), "_set_producer_pairs")
    assert patches.undo_patches() == 1
    assert "_set_producer_pairs" not in vars(dp) and dp._set_producer_pairs == freqtrades


def test_a_class_patch_is_undone_by_putting_freqtrades_function_back():
    freqtrades = vars(FreqtradeBot)["handle_trade"]

    def handle_trade(self, trade):
        return freqtrades(self, trade)

    record = patches.patch(FreqtradeBot, "handle_trade", handle_trade)
    assert FreqtradeBot.handle_trade is handle_trade
    assert handle_trade.__name__ == "handle_trade" and handle_trade.__wrapped__ is freqtrades
    assert patches.original(FreqtradeBot, "handle_trade") is freqtrades
    assert patches.replacement(FreqtradeBot, "handle_trade") is handle_trade
    patches.undo(record)
    assert vars(FreqtradeBot)["handle_trade"] is freqtrades
    assert patches.replacement(FreqtradeBot, "handle_trade") is None
    patches.undo(record)  # twice: nothing left to do


def test_patches_are_undone_newest_first_from_a_mark():
    before = serializer._json_default
    first = patches.patch(serializer, "_json_default", lambda value: ("first", value))
    since = patches.mark()
    patches.patch(serializer, "_json_default", lambda value: ("second", value))
    with pytest.raises(RuntimeError):
        patches.undo(first)  # the newer one stands on it
    assert patches.original(serializer, "_json_default") is before
    assert patches.undo_patches(since) == 1
    assert serializer._json_default("x") == ("first", "x")
    assert patches.undo_patches() == 1
    assert serializer._json_default is before


def test_a_patch_for_a_block():
    dp = dataprovider()
    with patches.patched(dp, "_replace_external_df", lambda *args, **kwargs: None) as record:
        assert patches.applied() == (record,)
    assert patches.applied() == () and "_replace_external_df" not in vars(dp)


def test_the_suites_fixture_left_nothing_patched_by_earlier_tests():
    # tests/conftest.py undoes each test's patches: freqtrade is as found.
    assert patches.applied() == ()
    assert vars(FreqtradeBot)["handle_trade"].__module__ == "freqtrade.freqtradebot"
    assert serializer._json_default.__module__ == serializer.__name__
