"""``POST /api/v3/order`` parameters as the simulator reads them: the order they ask for,
or Binance's code and text for each refusal (filters, missing and contradictory
parameters), before the account is touched."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from starlette.datastructures import QueryParams

from freqfleet.sim.account import NewOrder
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.order_requests import MAX_NOTIONAL, MAX_PRICE, parse_new_order
from freqfleet.sim.routing import Params
from freqfleet.sim.units import UNIT, quote_units
from tests.kit.clock import Clock

BTC = 0  # BTCUSDT: ticks of 0.1, steps of 0.00001, at least 5 USDT an order
LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
MARKET = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"}


def parse(exchange: SimExchange, clock: Clock, **fields: str) -> tuple[NewOrder, str]:
    """The order ``fields`` ask for; every parameter but ``symbol`` must have been read."""
    params = Params(QueryParams(fields))
    params.text("symbol")  # the route reads it
    parsed = parse_new_order(params, BTC, exchange, clock.now_ms)
    params.check_all_read()
    return parsed


def refused(exchange: SimExchange, clock: Clock, **fields: str) -> tuple[int, str]:
    with pytest.raises(BinanceError) as error:
        parse(exchange, clock, **fields)
    assert error.value.status == 400
    return error.value.code, error.value.msg


def ticks(exchange: SimExchange, price: str) -> int:
    return int(Decimal(price).scaleb(exchange.markets[BTC].price_decimals))


def steps(exchange: SimExchange, qty: str) -> int:
    return int(Decimal(qty).scaleb(exchange.markets[BTC].amount_decimals))


def test_a_limit_order_in_ticks_and_steps_answered_in_full_by_default(
    exchange: SimExchange, clock: Clock
) -> None:
    order, response = parse(exchange, clock, **LIMIT, quantity="0.00123", price="50000.1")
    assert response == "FULL"
    assert order == NewOrder(
        BTC, "BUY", "LIMIT", "GTC", qty=steps(exchange, "0.00123"), price=ticks(exchange, "50000.1")
    )
    for kind in ("IOC", "FOK"):
        fields = {**LIMIT, "timeInForce": kind, "side": "SELL"}
        order, _ = parse(exchange, clock, **fields, quantity="0.001", price="60000")
        assert (order.side, order.time_in_force) == ("SELL", kind)
    for kind in ("ACK", "RESULT", "FULL"):
        fields = {**LIMIT, "newOrderRespType": kind}
        assert parse(exchange, clock, **fields, quantity="0.001", price="60000")[1] == kind


@pytest.mark.parametrize(
    ("price", "quantity", "failure"),
    [
        ("50000.05", "0.001", "PRICE_FILTER"),  # off the 0.1 tick grid
        ("0", "0.001", "PRICE_FILTER"),
        (str(MAX_PRICE + 1), "0.001", "PRICE_FILTER"),
        ("50000", "0.000001", "LOT_SIZE"),  # off the 0.00001 step grid
        ("50000", "0", "LOT_SIZE"),
        ("10.0", "0.1", "NOTIONAL"),  # 1 USDT
        ("50.0", "0.09999", "NOTIONAL"),  # 4.9995 USDT: just short of 5
        (str(MAX_PRICE), str(MAX_NOTIONAL // MAX_PRICE + 1), "NOTIONAL"),  # too large
    ],
)
def test_a_limit_order_off_a_filter_is_refused_with_binances_text(
    exchange: SimExchange, clock: Clock, price: str, quantity: str, failure: str
) -> None:
    code, msg = refused(exchange, clock, **LIMIT, quantity=quantity, price=price)
    assert (code, msg) == (-1013, f"Filter failure: {failure}")


def test_a_limit_order_worth_exactly_the_minimum_is_accepted(
    exchange: SimExchange, clock: Clock
) -> None:
    spec = exchange.markets[BTC]
    assert spec.min_notional == 5.0
    order, _ = parse(exchange, clock, **LIMIT, quantity="0.1", price="50.0")
    assert order.price is not None and order.qty is not None
    assert quote_units(order.price, order.qty, spec.price_decimals, spec.amount_decimals) == (
        5 * UNIT
    )


def test_a_market_quantity_is_checked_at_the_last_price(
    exchange: SimExchange, clock: Clock
) -> None:
    spec = exchange.markets[BTC]
    last = int(exchange.store.live(BTC, exchange.model.base_ms, clock.now_ms).close)
    per_step = quote_units(last, 1, spec.price_decimals, spec.amount_decimals)
    least = -(-5 * UNIT // per_step)  # the fewest steps worth 5 USDT at the last price
    qty = str(Decimal(least).scaleb(-spec.amount_decimals))
    order, _ = parse(exchange, clock, **MARKET, quantity=qty)
    assert order == NewOrder(BTC, "BUY", "MARKET", qty=least)
    short = str(Decimal(least - 1).scaleb(-spec.amount_decimals))
    assert refused(exchange, clock, **MARKET, quantity=short) == (-1013, "Filter failure: NOTIONAL")
    assert refused(exchange, clock, **MARKET, quantity="0.000001") == (
        -1013,
        "Filter failure: LOT_SIZE",
    )


def test_a_market_order_by_quote_amount(exchange: SimExchange, clock: Clock) -> None:
    order, _ = parse(exchange, clock, **MARKET, quoteOrderQty="25.5", newClientOrderId="q-1")
    budget = 25 * UNIT + UNIT // 2
    assert order == NewOrder(BTC, "BUY", "MARKET", quote_qty=budget, client_id="q-1")
    for small in ("4.99999999", "0"):
        assert refused(exchange, clock, **MARKET, quoteOrderQty=small) == (
            -1013,
            "Filter failure: NOTIONAL",
        )
    assert refused(exchange, clock, **MARKET, quoteOrderQty="10.000000001") == (
        -1111,
        "Parameter 'quoteOrderQty' has too much precision.",
    )


@pytest.mark.parametrize(
    ("fields", "code", "msg"),
    [
        (
            {**MARKET},
            -1102,
            "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
        ),
        (
            {**MARKET, "quantity": "0.001", "quoteOrderQty": "50"},
            -1106,
            "Parameter 'quoteOrderQty' sent when not required.",
        ),
        (
            {**MARKET, "quantity": "0.001", "timeInForce": "GTC"},
            -1106,
            "Parameter 'timeInForce' sent when not required.",
        ),
        (
            {**MARKET, "quantity": "0.001", "price": "50000"},
            -1106,
            "Parameter 'price' sent when not required.",
        ),
        (
            {**LIMIT, "quantity": "0.001", "price": "50000", "quoteOrderQty": "50"},
            -1106,
            "Parameter 'quoteOrderQty' sent when not required.",
        ),
        (
            {**LIMIT, "timeInForce": "", "quantity": "0.001", "price": "50000"},
            -1102,
            "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
        ),
        (
            {**LIMIT, "timeInForce": "GTX", "quantity": "0.001", "price": "50000"},
            -1115,
            "Invalid timeInForce.",
        ),
        (
            {**LIMIT, "price": "50000"},
            -1102,
            "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
        ),
        (
            {**LIMIT, "quantity": "0.001"},
            -1102,
            "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
        ),
        ({**LIMIT, "side": "HOLD", "quantity": "1", "price": "1"}, -1117, "Invalid side."),
        ({**LIMIT, "type": "OCO", "quantity": "1", "price": "1"}, -1116, "Invalid orderType."),
        (
            {**LIMIT, "quantity": "1e-3", "price": "50000"},
            -1100,
            "Illegal characters found in parameter 'quantity'; legal range is "
            "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ),
        (
            {**LIMIT, "quantity": "0.001", "price": "-5"},
            -1100,
            "Illegal characters found in parameter 'price'; legal range is "
            "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ),
        (
            {**LIMIT, "quantity": "0.001", "price": "50000.000000001"},
            -1111,
            "Parameter 'price' has too much precision.",
        ),
        (
            {**LIMIT, "quantity": "0.001", "price": "50000", "newOrderRespType": "MINI"},
            -1130,
            "Invalid data sent for parameter 'newOrderRespType'.",
        ),
        (
            {**LIMIT, "quantity": "0.001", "price": "50000", "selfTradePreventionMode": "X"},
            -1130,
            "Invalid data sent for parameter 'selfTradePreventionMode'.",
        ),
    ],
)
def test_missing_contradictory_and_malformed_parameters(
    exchange: SimExchange, clock: Clock, fields: dict[str, str], code: int, msg: str
) -> None:
    assert refused(exchange, clock, **fields) == (code, msg)


def test_client_order_ids_follow_binances_pattern(exchange: SimExchange, clock: Clock) -> None:
    for client_id in ("my-order_1:x/y.z", "A" * 36):
        order, _ = parse(
            exchange, clock, **LIMIT, quantity="0.001", price="50000", newClientOrderId=client_id
        )
        assert order.client_id == client_id
    for wrong in ("has space", "A" * 37, "é"):
        code, msg = refused(
            exchange, clock, **LIMIT, quantity="0.001", price="50000", newClientOrderId=wrong
        )
        assert code == -1100 and "'newClientOrderId'" in msg
        assert "^[\\.A-Z\\:/a-z0-9_-]{1,36}$" in msg
    assert parse(exchange, clock, **LIMIT, quantity="0.001", price="50000")[0].client_id is None


def test_order_types_binance_has_but_the_simulator_does_not_are_logged(
    exchange: SimExchange, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="freqfleet.sim.order_requests"):
        code, msg = refused(exchange, clock, **{**LIMIT, "type": "STOP_LOSS_LIMIT"})
        assert (code, msg) == (-1116, "Invalid orderType.")
        assert [r.getMessage() for r in caplog.records] == [
            "Not simulated: order type STOP_LOSS_LIMIT (answered -1116)"
        ]
        caplog.clear()
        refused(exchange, clock, **{**LIMIT, "type": "NONSENSE"})
        assert caplog.records == []
