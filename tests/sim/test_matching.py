"""The matching rules on hand-made books and candles: taking walks levels, resting orders
fill where the path reaches them, for a bounded share of the volume, in any cut."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from freqfleet.sim.matching import (
    BUY,
    SELL,
    Fill,
    FillModel,
    match_resting,
    steps,
    take,
)
from freqfleet.sim.models.base import BaseCandles
from freqfleet.sim.units import quote_units

ASKS = [(1000, 5), (1001, 5), (1003, 10), (1010, 100)]
BIDS = [(999, 4), (998, 6), (990, 50)]
BASE_MS = 60_000


def candle(o: int, h: int, lo: int, c: int, volume: int = 6000) -> BaseCandles:
    def one(value: float) -> np.ndarray:
        return np.array([value])

    return BaseCandles(
        one(o), one(h), one(lo), one(c), one(volume), one(0.0), one(10), one(volume // 2)
    )


def test_a_large_buy_walks_the_asks_and_pays_more_than_the_best() -> None:
    fills = take(ASKS, BUY, 5, qty=14)
    assert fills == [Fill(1000, 5, 5), Fill(1001, 5, 5), Fill(1003, 4, 5)]
    average = Fraction(sum(f.price * f.qty for f in fills), 14)
    assert average > ASKS[0][0]
    assert take(ASKS, BUY, 5, qty=3) == [Fill(1000, 3, 5)]


def test_a_limit_stops_the_walk_and_taken_liquidity_is_gone() -> None:
    assert take(ASKS, BUY, 0, qty=50, limit=1001) == [Fill(1000, 5, 0), Fill(1001, 5, 0)]
    assert take(BIDS, SELL, 0, qty=50, limit=998) == [Fill(999, 4, 0), Fill(998, 6, 0)]
    assert take(ASKS, BUY, 0, qty=7, taken={1000: 5, 1001: 1}) == [
        Fill(1001, 4, 0),
        Fill(1003, 3, 0),
    ]


def test_a_budget_buys_as_many_steps_as_it_affords() -> None:
    def cost(price: int, qty: int) -> int:
        return quote_units(price, qty, 2, 2)  # price 10.00, step 0.01: 0.1 quote each

    budget = cost(1000, 5) + cost(1001, 2) + cost(1001, 1) - 1  # not quite 8 steps
    fills = take(ASKS, BUY, 0, budget=budget, cost=cost)
    assert fills == [Fill(1000, 5, 0), Fill(1001, 2, 0)]
    assert sum(cost(f.price, f.qty) for f in fills) <= budget
    with pytest.raises(ValueError):
        take(ASKS, BUY, 0)


def test_commission_is_a_tenth_of_a_percent_rounded_up() -> None:
    model = FillModel()
    assert model.commission(100_000) == 100
    assert model.commission(100_001) == 101
    assert model.commission(999) == 1
    assert model.commission(0) == 0


def test_steps_follow_the_candle_bots_see() -> None:
    row = candle(1000, 1030, 970, 1010)
    cut = list(steps(row, 0, BASE_MS, 0, BASE_MS, 1000))
    assert len(cut) == 60 and cut[-1].end_ms == BASE_MS
    assert min(s.low for s in cut) == 970 and max(s.high for s in cut) == 1030
    assert sum(s.volume for s in cut) == 6000
    assert all(s.low <= s.high for s in cut)


def test_a_resting_buy_fills_at_its_price_once_the_low_reaches_it() -> None:
    rows = {0: candle(1000, 1005, 995, 1002), 1: candle(1002, 1004, 980, 985)}
    model = FillModel()
    fills, reached = match_resting(BUY, 990, 50, 0, 2 * BASE_MS, rows.__getitem__, BASE_MS, model)
    assert fills and all(f.price == 990 and f.maker for f in fills)
    assert sum(f.qty for f in fills) == 50
    assert BASE_MS < fills[0].time_ms <= reached <= 2 * BASE_MS  # not in the first candle
    never, reached = match_resting(BUY, 970, 50, 0, 2 * BASE_MS, rows.__getitem__, BASE_MS, model)
    assert never == [] and reached == 2 * BASE_MS
    sell, _ = match_resting(SELL, 1004, 5, 0, 2 * BASE_MS, rows.__getitem__, BASE_MS, model)
    assert sell and sell[0].time_ms <= BASE_MS and sell[0].price == 1004


def test_a_large_resting_order_fills_partially_over_time() -> None:
    rows = {i: candle(1000, 1001, 950, 960, volume=600) for i in range(5)}
    model = FillModel()
    fills, _ = match_resting(BUY, 999, 10**6, 0, 5 * BASE_MS, rows.__getitem__, BASE_MS, model)
    assert len(fills) > 50
    per_step = [f.qty for f in fills]
    assert max(per_step) <= 600 * model.participation  # a share of one step's volume
    assert sum(per_step) < 10**6


def test_matching_at_once_or_in_pieces_gives_the_same_fills() -> None:
    rows = {i: candle(1000 + i, 1010 + i, 985 - i, 995, volume=3000) for i in range(4)}
    model = FillModel()
    start, end = 12_345, 4 * BASE_MS - 1

    def at_once() -> list[Fill]:
        return match_resting(BUY, 990, 700, start, end, rows.__getitem__, BASE_MS, model)[0]

    pieces: list[Fill] = []
    t, remaining = start, 700
    for stop in (20_001, 20_500, 61_000, 130_999, end):
        more, t = match_resting(BUY, 990, remaining, t, stop, rows.__getitem__, BASE_MS, model)
        pieces += more
        remaining -= sum(f.qty for f in more)
    assert pieces == at_once() and pieces
