"""``POST /fapi/v1/order`` parameters checked with Binance USD-M's rules: what a valid
request becomes (steps, ticks), and each refusal's code, before the account sees it."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import QueryParams

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.funding import mark_price_ticks
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_requests import parse_futures_order
from freqfleet.sim.routing import Params
from tests.kit.clock import Clock
from tests.kit.futures_book import BTC, UNIT, make, new_exchange

NOW = Clock().now_ms


@pytest.fixture(scope="module")
def account() -> FuturesAccount:
    return make(new_exchange(Clock()))


def parse(account: FuturesAccount, **fields: Any) -> Any:
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", **fields}
    return parse_futures_order(Params(QueryParams(params)), BTC, account, NOW)


def test_a_limit_order_becomes_steps_and_ticks(account: FuturesAccount) -> None:
    spec = account.markets[BTC]
    order, answer = parse(
        account,
        type="LIMIT",
        side="SELL",
        quantity="0.125",
        price="50000.5",
        timeInForce="IOC",
        reduceOnly="true",
        newClientOrderId="x-abc_1",
        newOrderRespType="RESULT",
    )
    assert answer == "RESULT"
    assert order.qty == 125 * 10 ** (spec.amount_decimals - 3)
    assert order.price == 500005 * 10 ** (spec.price_decimals - 1)
    assert (order.side, order.type, order.time_in_force) == ("SELL", "LIMIT", "IOC")
    assert order.reduce_only and order.client_id == "x-abc_1"
    market_order, default = parse(account, quantity="0.01")
    assert default == "ACK" and market_order.price == 0 and not market_order.reduce_only


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"side": "HOLD", "quantity": "0.01"}, -1117),
        ({"type": "STOP_MARKET", "quantity": "0.01"}, -1116),
        ({"positionSide": "LONG", "quantity": "0.01"}, -4061),
        ({}, -1102),  # quantity is mandatory
        ({"quantity": "0.0000001"}, -1111),  # off the step
        ({"quantity": "0"}, -4003),
        ({"quantity": "0.01", "price": "50000"}, -1106),  # a market order takes no price
        ({"type": "LIMIT", "quantity": "0.01", "price": "50000"}, -1102),  # timeInForce
        ({"type": "LIMIT", "quantity": "0.01", "price": "1.01", "timeInForce": "GTX"}, -1115),
        ({"type": "LIMIT", "quantity": "0.01", "price": "50000.01", "timeInForce": "GTC"}, -4014),
        ({"quantity": "0.00001"}, -4164),  # below 5 USDT
        ({"quantity": "0.01", "reduceOnly": "maybe"}, -1130),
    ],
)
def test_refusals_carry_binance_usdm_codes(
    account: FuturesAccount, fields: dict[str, str], code: int
) -> None:
    with pytest.raises(BinanceError) as refused:
        parse(account, **fields)
    assert refused.value.code == code


def test_reduce_only_orders_are_exempt_from_the_minimum_notional(
    account: FuturesAccount,
) -> None:
    spec = account.markets[BTC]
    tiny = f"{1 / 10**spec.amount_decimals:.{spec.amount_decimals}f}"
    mark = mark_price_ticks(account.exchange, BTC, NOW)
    assert fm.notional(spec, mark, 1) < spec.min_notional * UNIT  # one step: under 5 USDT
    order, _ = parse(account, quantity=tiny, reduceOnly="true")
    assert order.qty == 1 and order.reduce_only
