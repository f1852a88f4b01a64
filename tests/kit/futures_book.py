"""A futures account on a real synthetic market and a clock the tests move: what the
futures account, wallet, settlement, records and views tests start from.

A test module takes the fixtures by naming them (``exchange = futures_book.exchange``); the
``clock`` they ask for is tests/sim/conftest.py's."""

from __future__ import annotations

import pytest

from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import FUNDING_INTERVAL_MS
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_markets import futures_markets
from freqfleet.sim.futures_records import NewFuturesOrder
from freqfleet.sim.models.synthetic import SyntheticModel
from tests.kit.clock import Clock

UNIT = 10**8
WALLET = 10_000 * UNIT
BTC, ETH = 0, 1  # BTCUSDT: ticks of 0.1, steps of 0.00001
SEED = 7


def new_exchange(clock: Clock, funding_interval_ms: int = FUNDING_INTERVAL_MS) -> SimExchange:
    model = SyntheticModel(pairs=4, seed=SEED)
    return SimExchange(model, clock=clock, funding_interval_ms=funding_interval_ms)


def make(exchange: SimExchange, wallet: int = WALLET) -> FuturesAccount:
    markets = futures_markets(exchange.markets)
    return FuturesAccount(exchange, markets, wallet, SEED, first_id=1)


def market(side: str, qty: int, symbol: int = BTC, reduce_only: bool = False) -> NewFuturesOrder:
    return NewFuturesOrder(symbol, side, "MARKET", qty, reduce_only=reduce_only)


@pytest.fixture
def exchange(clock: Clock) -> SimExchange:
    """The four-market exchange on the test clock."""
    return new_exchange(clock)


@pytest.fixture
def account(exchange: SimExchange) -> FuturesAccount:
    """A fresh futures account holding ``WALLET`` on ``exchange``."""
    return make(exchange)


def booked(account: FuturesAccount, kind: str) -> int:
    """The income of one kind booked so far, in units."""
    return sum(i.amount for i in account.incomes if i.kind == kind)


__all__ = [
    "BTC",
    "ETH",
    "SEED",
    "UNIT",
    "WALLET",
    "account",
    "booked",
    "exchange",
    "make",
    "market",
    "new_exchange",
]
