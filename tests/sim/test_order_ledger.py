"""The order bookkeeping both accounts share: lookups by order id and by client id within a
symbol, Binance's codes for unknown and closed orders, generated client ids, and ids that
start at the account's first id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from freqfleet.sim.account import CANCELED, Account, NewOrder
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_markets import futures_markets
from freqfleet.sim.futures_records import NewFuturesOrder
from freqfleet.sim.order_ledger import OrderLedger
from tests.kit import futures_book
from tests.kit.clock import Clock

BTC, ETH = 0, 1
FIRST_ID = 1_000


def spot(exchange: SimExchange) -> tuple[Account, Callable[..., Any]]:
    account = Account(exchange, {"USDT": 10**16}, first_id=FIRST_ID)

    def resting(market: int, client_id: str | None = None) -> Any:
        low = NewOrder(market, "BUY", "LIMIT", "GTC", qty=10, price=1000, client_id=client_id)
        return account.place(low, exchange.clock())

    return account, resting


def futures(exchange: SimExchange) -> tuple[FuturesAccount, Callable[..., Any]]:
    markets = futures_markets(exchange.markets)
    account = FuturesAccount(exchange, markets, futures_book.WALLET, first_id=FIRST_ID)

    def resting(market: int, client_id: str | None = None) -> Any:
        low = NewFuturesOrder(market, "BUY", "LIMIT", 10, price=1000, client_id=client_id)
        return account.place(low, exchange.clock())

    return account, resting


@pytest.fixture(params=[spot, futures], ids=["spot", "futures"])
def ledger(
    request: pytest.FixtureRequest, clock: Clock
) -> tuple[OrderLedger[Any], Callable[..., Any]]:
    return request.param(futures_book.new_exchange(clock))


def test_orders_are_found_by_id_or_by_client_id_within_their_symbol(ledger, clock: Clock) -> None:
    account, resting = ledger
    first = resting(BTC, client_id="mine-1")
    other = resting(ETH, client_id="mine-1")  # the same client id on another symbol
    assert first.id == FIRST_ID and other.id == FIRST_ID + 1
    assert account.order(BTC, None, "mine-1", clock.now_ms) is first
    assert account.order(ETH, None, "mine-1", clock.now_ms) is other
    assert account.order(BTC, first.id, None, clock.now_ms) is first
    for market, order_id in ((ETH, first.id), (BTC, 999_999)):
        with pytest.raises(BinanceError) as missing:
            account.order(market, order_id, None, clock.now_ms)
        assert missing.value.code == -2013
    assert list(account.open_orders) == [first.id, other.id]


def test_a_cancel_closes_the_order_once(ledger, clock: Clock) -> None:
    account, resting = ledger
    order = resting(BTC)
    assert len(order.client_id) == 22 and order.client_id.isalnum()
    assert account.cancel(BTC, None, order.client_id, clock.now_ms) is order
    assert order.status == CANCELED and not order.is_open and not account.open_orders
    with pytest.raises(BinanceError) as again:
        account.cancel(BTC, order.id, None, clock.now_ms)
    assert again.value.code == -2011
    with pytest.raises(BinanceError) as elsewhere:
        account.cancel(ETH, resting(BTC).id, None, clock.now_ms)
    assert elsewhere.value.code == -2011


def test_generated_client_ids_differ_and_repeat_for_the_same_first_id(clock: Clock) -> None:
    exchange = futures_book.new_exchange(clock)
    first, again = spot(exchange)[0], spot(exchange)[0]
    generated = [first.new_client_id() for _ in range(3)]
    assert len(set(generated)) == 3
    assert [again.new_client_id() for _ in range(3)] == generated
