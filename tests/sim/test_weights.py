"""The simulator's weight count: Binance's fixed one-minute windows, and a 429 above a
limit only when one is set."""

from __future__ import annotations

import pytest

from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.weights import BINANCE_WEIGHT_LIMIT, WeightMeter, ticker_24hr_weight

MINUTE = 60_000
START = 1_772_600_760_000  # a minute boundary


def test_weight_adds_up_within_a_minute_and_restarts_with_the_next() -> None:
    meter = WeightMeter()
    assert meter.spend(2, START + 1_000) == 2
    assert meter.spend(20, START + 59_999) == 22
    assert meter.used(START + 30_000) == 22
    assert meter.used(START + MINUTE) == 0
    assert meter.spend(1, START + MINUTE) == 1


def test_without_a_limit_nothing_is_refused() -> None:
    meter = WeightMeter()
    assert meter.spend(BINANCE_WEIGHT_LIMIT * 3, START) == BINANCE_WEIGHT_LIMIT * 3


def test_above_the_limit_binance_answers_429_code_1003() -> None:
    meter = WeightMeter(limit=10)
    meter.spend(8, START)
    with pytest.raises(BinanceError) as raised:
        meter.spend(5, START + 1)
    error = raised.value
    assert (error.status, error.code) == (429, -1003)
    assert "current limit is 10 request weight per 1 MINUTE (used 8)" in error.msg
    assert meter.used(START + 2) == 8  # the refused request spent nothing
    assert meter.spend(10, START + MINUTE) == 10


def test_a_24hr_ticker_weighs_by_its_symbols_as_on_binance() -> None:
    """1 to 20 symbols: 2; 21 to 100: 40; more, or every symbol: 80 (a producer's batched
    REST prices stay at 2 by asking for at most 20)."""
    weights = [ticker_24hr_weight(n) for n in (1, 20, 21, 100, 101, None)]
    assert weights == [2, 2, 40, 40, 80, 80]
