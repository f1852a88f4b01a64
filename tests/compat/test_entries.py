"""freqtrade's create_trade asks a consumer first whether the pair's check can be skipped
(with real bots on the simulator in ``tests/strategy/test_consumer_candles.py``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from freqtrade.freqtradebot import FreqtradeBot

from freqfleet import compat


def test_a_pair_the_consumer_says_no_to_is_not_checked_and_other_bots_run_freqtrades():
    own = FreqtradeBot.create_trade
    compat.skip_unchanged_entry_checks()
    compat.skip_unchanged_entry_checks()  # once per process
    asked: list[str] = []

    def no_entry(pair: str) -> bool:
        asked.append(pair)
        return pair == "ETH/USDT"

    # A stand-in bot: freqtrade's own create_trade would fail on it at once.
    consumer = SimpleNamespace(strategy=SimpleNamespace(fleet_no_entry=no_entry))
    assert FreqtradeBot.create_trade(consumer, "ETH/USDT") is False
    with pytest.raises(AttributeError):
        FreqtradeBot.create_trade(consumer, "BTC/USDT")
    with pytest.raises(AttributeError):
        FreqtradeBot.create_trade(SimpleNamespace(strategy=object()), "ETH/USDT")
    assert asked == ["ETH/USDT", "BTC/USDT"]
    assert compat.undo_patches() == 1
    assert FreqtradeBot.create_trade is own
