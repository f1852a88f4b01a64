"""The account as Binance's answers write it: the fields of each answer, every amount an
exact 8-decimal string, ACK/RESULT/FULL, and a snapshot whose trades add up to its
balances."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from freqfleet.sim.account import CANCELED, FILLED, Account, NewOrder, Order
from freqfleet.sim.account_views import (
    account_answer,
    account_snapshot,
    cancel_answer,
    new_order_answer,
    order_result,
    trade_result,
)
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.matching import FillModel
from freqfleet.sim.units import UNIT
from tests.kit.clock import Clock

BTC = 0  # BTCUSDT: ticks of 0.1, steps of 0.00001
START_USDT = 1_000_000 * UNIT
EIGHT_DECIMALS = re.compile(r"^[0-9]+\.[0-9]{8}\Z")

# Binance's spot API documentation: the fields of each answer.
GET_ORDER = {
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "price",
    "origQty",
    "executedQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "stopPrice",
    "icebergQty",
    "time",
    "updateTime",
    "isWorking",
    "workingTime",
    "origQuoteOrderQty",
    "selfTradePreventionMode",
}
ACK = {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
RESULT = ACK | GET_ORDER - {"stopPrice", "icebergQty", "time", "updateTime", "isWorking"}
FULL = RESULT | {"fills"}
FILL = {"price", "qty", "commission", "commissionAsset", "tradeId"}
CANCEL = (RESULT - {"workingTime"}) | {"origClientOrderId"}
MY_TRADE = {
    "symbol",
    "id",
    "orderId",
    "orderListId",
    "price",
    "qty",
    "quoteQty",
    "commission",
    "commissionAsset",
    "time",
    "isBuyer",
    "isMaker",
    "isBestMatch",
}
SNAPSHOT_ORDER = {
    "id",
    "clientOrderId",
    "symbol",
    "side",
    "type",
    "timeInForce",
    "status",
    "price",
    "origQty",
    "executedQty",
    "cummulativeQuoteQty",
    "time",
    "updateTime",
}
AMOUNTS = ("price", "origQty", "executedQty", "cummulativeQuoteQty", "origQuoteOrderQty")


@pytest.fixture
def account(exchange: SimExchange) -> Account:
    return Account(exchange, {"USDT": START_USDT}, first_id=1)


def price_of(exchange: SimExchange, ticks: int) -> Decimal:
    return Decimal(ticks).scaleb(-exchange.markets[BTC].price_decimals)


def qty_of(exchange: SimExchange, steps: int) -> Decimal:
    return Decimal(steps).scaleb(-exchange.markets[BTC].amount_decimals)


def resting_buy(account: Account, clock: Clock, client_id: str | None = None) -> Order:
    """A buy at 1,000 USDT: far below the market, it rests."""
    new = NewOrder(BTC, "BUY", "LIMIT", "GTC", qty=150, price=10_000, client_id=client_id)
    return account.place(new, clock.now_ms)


def assert_exact(answer: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        assert EIGHT_DECIMALS.match(answer[name]), (name, answer[name])


def test_an_order_reads_as_binances_get_order(
    account: Account, exchange: SimExchange, clock: Clock
) -> None:
    order = resting_buy(account, clock, "view-1")
    result = order_result(account, order)
    assert set(result) == GET_ORDER
    assert_exact(result, (*AMOUNTS, "stopPrice", "icebergQty"))
    assert Decimal(result["price"]) == price_of(exchange, order.price) == Decimal(1000)
    assert Decimal(result["origQty"]) == qty_of(exchange, 150)
    assert result["executedQty"] == result["cummulativeQuoteQty"] == "0.00000000"
    assert result["origQuoteOrderQty"] == "0.00000000"
    assert (result["symbol"], result["orderId"], result["clientOrderId"]) == (
        "BTCUSDT",
        order.id,
        "view-1",
    )
    assert (result["status"], result["type"], result["side"], result["timeInForce"]) == (
        "NEW",
        "LIMIT",
        "BUY",
        "GTC",
    )
    assert result["time"] == result["updateTime"] == result["workingTime"] == clock.now_ms
    assert result["orderListId"] == -1 and result["isWorking"] is True


def test_a_new_order_answers_ack_result_or_full_with_its_fills(
    account: Account, exchange: SimExchange, clock: Clock
) -> None:
    _, asks = exchange.book(BTC, clock.now_ms, 5)
    qty = asks[0][1] + 1  # the best ask and one step of the next
    order = account.place(NewOrder(BTC, "BUY", "MARKET", qty=qty), clock.now_ms)
    assert order.status == FILLED
    ack = new_order_answer(account, order, "ACK")
    assert ack == {
        "symbol": "BTCUSDT",
        "orderId": order.id,
        "orderListId": -1,
        "clientOrderId": order.client_id,
        "transactTime": clock.now_ms,
    }
    result = new_order_answer(account, order, "RESULT")
    assert set(result) == RESULT and result.items() >= ack.items()
    assert_exact(result, AMOUNTS)
    full = new_order_answer(account, order, "FULL")
    assert set(full) == FULL and {k: full[k] for k in RESULT} == result
    fills = full["fills"]
    assert all(set(fill) == FILL for fill in fills)
    assert [Decimal(f["price"]) for f in fills] == [price_of(exchange, p) for p, _ in asks[:2]]
    assert [Decimal(f["qty"]) for f in fills] == [qty_of(exchange, asks[0][1]), qty_of(exchange, 1)]
    assert [f["tradeId"] for f in fills] == order.trades
    assert {f["commissionAsset"] for f in fills} == {"BTC"}
    # The answer adds up to itself and to the account, to the last unit.
    assert sum(Decimal(f["qty"]) for f in fills) == Decimal(full["executedQty"])
    spent = sum(Decimal(f["price"]) * Decimal(f["qty"]) for f in fills)
    assert spent == Decimal(full["cummulativeQuoteQty"])
    fees = sum(Decimal(f["commission"]) for f in fills)
    free_btc = Decimal(account.balance_units()["BTC"][0]) / UNIT
    assert free_btc == Decimal(full["executedQty"]) - fees > 0
    assert Decimal(account.balance_units()["USDT"][0]) / UNIT == Decimal(START_USDT) / UNIT - spent


def test_a_cancel_answers_under_its_own_client_id(
    account: Account, exchange: SimExchange, clock: Clock
) -> None:
    order = resting_buy(account, clock, "to-cancel")
    clock.now_ms += 5_000
    account.cancel(BTC, order.id, None, clock.now_ms)
    answer = cancel_answer(account, order, "the-cancel")
    assert set(answer) == CANCEL
    assert (answer["clientOrderId"], answer["origClientOrderId"]) == ("the-cancel", "to-cancel")
    assert (answer["status"], answer["transactTime"]) == (CANCELED, clock.now_ms)
    assert answer["executedQty"] == "0.00000000"
    assert order_result(account, order)["time"] == clock.now_ms - 5_000


def test_trades_read_as_my_trades_with_exact_quote_amounts(
    account: Account, exchange: SimExchange, clock: Clock
) -> None:
    bought = account.place(NewOrder(BTC, "BUY", "MARKET", qty=2_000), clock.now_ms)
    sold = account.place(NewOrder(BTC, "SELL", "MARKET", qty=1_000), clock.now_ms)
    for order, is_buyer, fee_asset in ((bought, True, "BTC"), (sold, False, "USDT")):
        for trade in (trade_result(account, account.trade(i)) for i in order.trades):
            assert set(trade) == MY_TRADE
            assert_exact(trade, ("price", "qty", "quoteQty", "commission"))
            assert Decimal(trade["quoteQty"]) == Decimal(trade["price"]) * Decimal(trade["qty"])
            assert (trade["orderId"], trade["isBuyer"], trade["isMaker"]) == (
                order.id,
                is_buyer,
                False,
            )
            assert trade["commissionAsset"] == fee_asset and trade["time"] == clock.now_ms
            assert (trade["orderListId"], trade["isBestMatch"]) == (-1, True)


def test_the_account_lists_every_markets_assets_unless_zero_is_omitted(
    account: Account, exchange: SimExchange, clock: Clock
) -> None:
    order = resting_buy(account, clock)
    answer = account_answer(account, clock.now_ms, omit_zero=False)
    assets = [b["asset"] for b in answer["balances"]]
    expected = {"USDT"} | {a for m in exchange.markets for a in (m.base, m.quote)}
    assert assets[0] == "USDT" and len(assets) == len(set(assets)) and set(assets) == expected
    usdt = answer["balances"][0]
    cost = price_of(exchange, order.price) * qty_of(exchange, order.orig_qty)
    assert Decimal(usdt["locked"]) == Decimal(order.locked) / UNIT == cost > 0
    assert Decimal(usdt["free"]) + Decimal(usdt["locked"]) == START_USDT / UNIT
    for balance in answer["balances"]:
        assert_exact(balance, ("free", "locked"))
    others = [b for b in answer["balances"] if b["asset"] != "USDT"]
    assert {(b["free"], b["locked"]) for b in others} == {("0.00000000", "0.00000000")}
    omitted = account_answer(account, clock.now_ms, omit_zero=True)
    assert omitted["balances"] == [usdt]
    assert (answer["updateTime"], answer["accountType"], answer["canTrade"]) == (
        clock.now_ms,
        "SPOT",
        True,
    )


def test_the_commission_the_account_announces_is_the_one_it_charges(account: Account) -> None:
    answer = account_answer(account, 0, omit_zero=True)
    bps = FillModel().commission_bps
    assert answer["makerCommission"] == answer["takerCommission"] == bps
    rates = answer["commissionRates"]
    assert Decimal(rates["maker"]) == Decimal(rates["taker"]) == Decimal(bps) / 10_000
    assert Decimal(rates["buyer"]) == Decimal(rates["seller"]) == 0


def test_a_snapshots_trades_add_up_to_its_balances(
    account: Account, exchange: SimExchange, clock: Clock
) -> None:
    bought = account.place(NewOrder(BTC, "BUY", "MARKET", qty=5_000), clock.now_ms)
    last = int(exchange.store.live(BTC, exchange.model.base_ms, clock.now_ms).close)
    resting = NewOrder(BTC, "SELL", "LIMIT", "GTC", qty=1_500, price=2 * last)
    account.place(resting, clock.now_ms)
    clock.now_ms += 3_000
    account.place(NewOrder(BTC, "SELL", "MARKET", qty=2_000), clock.now_ms)
    snapshot = account_snapshot(account)
    assert [o["status"] for o in snapshot["orders"]] == ["FILLED", "NEW", "FILLED"]
    assert set(snapshot["orders"][0]) == SNAPSHOT_ORDER
    assert snapshot["orders"][0]["id"] == bought.id
    assert all(set(t) == MY_TRADE - {"orderListId", "isBestMatch"} for t in snapshot["trades"])
    held = {"USDT": Decimal(START_USDT) / UNIT, "BTC": Decimal(0)}
    for trade in snapshot["trades"]:
        qty, quote, fee = (Decimal(trade[k]) for k in ("qty", "quoteQty", "commission"))
        if trade["isBuyer"]:
            held["BTC"] += qty - fee
            held["USDT"] -= quote
        else:
            held["BTC"] -= qty
            held["USDT"] += quote - fee
    balances = snapshot["balances"]
    assert set(balances) == set(held)
    for asset, total in held.items():
        assert Decimal(balances[asset]["free"]) + Decimal(balances[asset]["locked"]) == total
    assert Decimal(balances["BTC"]["locked"]) == qty_of(exchange, 1_500)
    assert Decimal(balances["USDT"]["locked"]) == 0
