"""A live consumer's orders: journalled before they leave, looked up when the answer is lost.

The exchange is freqtrade's ``Exchange`` with its ccxt client replaced by ``Venue``, a
small order book that can lose answers and lookups (freqtrade's ``_get_params``,
``create_order`` path and ``_order_contracts_to_amount`` run as in a bot).
"""

from __future__ import annotations

from pathlib import Path

import ccxt
import pytest
from freqtrade.enums import TradingMode
from freqtrade.exceptions import InsufficientFundsError, TemporaryError
from freqtrade.exchange import Exchange
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.persistence import init_db

from freqfleet import compat
from freqfleet.compat import orders, patches
from freqfleet.strategy.order_journal import OrderJournal, OrderState

PAIR = "BTC/USDT"


class Venue:
    """Where orders land: answers can be lost after the order was placed, or before."""

    def __init__(self) -> None:
        self.orders: dict[str, dict] = {}
        self.lose_answer = False
        self.refuse = False
        self.lookups_fail = False

    def create_order(self, symbol, type, side, amount, price=None, params=None):
        params = params or {}
        if self.refuse:
            raise InsufficientFundsError("no balance")
        if self.lose_answer == "before":
            raise TemporaryError("timed out before the exchange took it")
        order = {"id": str(len(self.orders) + 1), "symbol": symbol, "side": side,
                 "amount": amount, "price": price, "status": "open", "type": type,
                 "clientOrderId": params.get("newClientOrderId")}  # fmt: skip
        self.orders[order["clientOrderId"]] = order
        if self.lose_answer:
            raise TemporaryError("timed out after the exchange took it")
        return dict(order)

    def fetch_order(self, order_id, symbol, params):
        if self.lookups_fail:
            raise ccxt.NetworkError("lookup timed out")
        found = self.orders.get(params["origClientOrderId"])
        if found is None:
            raise ccxt.OrderNotFound("no such order")
        return {**found, "status": None, "type": None}


class VenueExchange(Exchange):
    """freqtrade's Exchange on a ``Venue`` (spot, no markets loaded)."""

    def __init__(self) -> None:
        self._api = Venue()
        self._params: dict = {}
        self.trading_mode = TradingMode.SPOT

    def create_order(self, *, pair, ordertype, side, amount, rate, leverage,
                     time_in_force="GTC", reduceOnly=False, initial_order=True):  # fmt: skip
        params = self._get_params(side, ordertype, leverage, reduceOnly, time_in_force)
        order = self._api.create_order(pair, ordertype, side, amount, rate, params)
        return self._order_contracts_to_amount(order)

    def close(self) -> None:
        pass


def send(exchange: Exchange, side: str = "buy") -> dict:
    return exchange.create_order(
        pair=PAIR, ordertype="limit", side=side, amount=0.5, rate=100.0, leverage=1.0
    )


@pytest.fixture
def guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(orders, "ORDER_LOOKUP_PAUSE_SECS", 0.0)
    init_db("sqlite://")  # freqtrade's orders and trades, in memory
    exchange = VenueExchange()
    journal = OrderJournal(tmp_path / "orders.jsonl")
    guard = compat.guard_orders(exchange, journal)
    return exchange, journal, guard


def test_an_order_leaves_with_the_client_id_journalled_before(guarded):
    exchange, journal, guard = guarded
    order = send(exchange)
    (entry,) = journal.entries()
    assert order["clientOrderId"] == entry.client_id and entry.state is OrderState.PLACED
    assert entry.order_id == order["id"] and entry.kind == "entry"
    assert compat.guard_of(exchange) is guard and guard.stats()["unsettled"] == 0


def test_a_lost_answer_is_found_by_its_client_id_and_handed_to_freqtrade(guarded):
    exchange, journal, guard = guarded
    exchange._api.lose_answer = True
    order = send(exchange)
    assert order["status"] == "open" and order["type"] == "limit"
    assert guard.found_after_error == 1
    assert [e.state for e in journal.entries()] == [OrderState.PLACED]


def test_an_order_not_on_the_exchange_was_not_placed(guarded):
    exchange, journal, _ = guarded
    exchange._api.lose_answer = "before"
    with pytest.raises(TemporaryError):
        send(exchange)
    assert [e.state for e in journal.entries()] == [OrderState.NOT_PLACED]
    exchange._api.refuse = True
    with pytest.raises(InsufficientFundsError):
        send(exchange)
    assert [e.state for e in journal.entries()][-1] is OrderState.NOT_PLACED


def test_an_order_of_unknown_fate_holds_the_pair_until_it_is_found(guarded):
    exchange, journal, _ = guarded
    exchange._api.lose_answer = "before"
    exchange._api.lookups_fail = True
    with pytest.raises(TemporaryError):
        send(exchange)
    assert [e.state for e in journal.unsettled(PAIR)] == [OrderState.UNKNOWN]
    exchange._api.lose_answer = False
    with pytest.raises(TemporaryError, match="may be on the exchange"):
        send(exchange)
    assert exchange._api.orders == {}
    exchange._api.lookups_fail = False
    send(exchange)  # the earlier order is looked up first (never placed), then this one goes
    assert journal.unsettled() == []
    assert [e.state for e in journal.entries()] == [OrderState.NOT_PLACED, OrderState.PLACED]
    assert len(exchange._api.orders) == 1


def test_the_guard_and_its_start_up_lookup_are_patches_given_back(guarded):
    exchange, _, _ = guarded
    own_startup = patches.original(FreqtradeBot, "startup")
    assert FreqtradeBot.startup is not own_startup
    compat.guard_orders(VenueExchange(), OrderJournal(Path(guarded[1].path)))
    assert len([p for p in patches.applied() if p.name == "startup"]) == 1
    compat.undo_patches()
    assert FreqtradeBot.startup is own_startup
    assert compat.guard_of(exchange) is None
    assert "create_order" not in vars(exchange) and "_get_params" not in vars(exchange)
