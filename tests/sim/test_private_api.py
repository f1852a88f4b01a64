"""The account's signed endpoints end to end, in process: signed requests in the query or
the body, Binance's answers, weights and order counts in the headers, each refusal with
Binance's code (signature, key, time, parameters, filters, limits) leaving the account as
it was, and the simulator's own account and fault endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from freqfleet.sim.account import Account
from freqfleet.sim.account_file import random_credential
from freqfleet.sim.app import create_app
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.order_limits import OrderLimits
from freqfleet.sim.private_api import install_account
from freqfleet.sim.signing import Credentials
from freqfleet.sim.units import UNIT
from tests.kit.clock import Clock
from tests.kit.signed_api import FAR_BELOW, KEY, SECRET, Api

START_USDT = 100_000 * UNIT
ORDERS_PER_10S = 3
BTC = 0
MINUTE = 60_000


@pytest.fixture
def api(exchange: SimExchange, clock: Clock) -> Iterator[Api]:
    app = create_app(exchange, order_limit=ORDERS_PER_10S)
    account = Account(exchange, {"USDT": START_USDT}, first_id=1)
    install_account(app, account, Credentials(KEY, SECRET), OrderLimits(ORDERS_PER_10S))
    with TestClient(app) as client:
        yield Api(client, clock, account)


def test_an_order_placed_read_and_cancelled_with_weights_and_order_counts(api: Api) -> None:
    placed = api.resting_buy(newClientOrderId="mine-1", newOrderRespType="RESULT")
    assert placed.status_code == 200, placed.text
    order = placed.json()
    assert (order["status"], order["clientOrderId"], order["price"]) == (
        "NEW",
        "mine-1",
        "1000.00000000",
    )
    assert "fills" not in order
    assert placed.headers["X-MBX-USED-WEIGHT-1M"] == "1"
    assert placed.headers["X-MBX-ORDER-COUNT-10S"] == placed.headers["X-MBX-ORDER-COUNT-1D"] == "1"
    by_id = api.call("GET", "/api/v3/order", symbol="BTCUSDT", orderId=order["orderId"])
    assert by_id.json()["orderId"] == order["orderId"] and by_id.json()["status"] == "NEW"
    assert by_id.headers["X-MBX-USED-WEIGHT-1M"] == "5"  # 1 + 4
    assert "X-MBX-ORDER-COUNT-10S" not in by_id.headers  # only new orders count
    by_client = api.ok("GET", "/api/v3/order", symbol="BTCUSDT", origClientOrderId="mine-1")
    assert by_client == by_id.json()
    assert api.snapshot()["balances"]["USDT"]["locked"] == "10.00000000"  # 1000 x 0.01
    cancelled = api.call(
        "DELETE", "/api/v3/order", symbol="BTCUSDT", orderId=order["orderId"], newClientOrderId="c"
    )
    assert cancelled.headers["X-MBX-USED-WEIGHT-1M"] == "10"  # 5 + 4 + 1
    assert (cancelled.json()["status"], cancelled.json()["origClientOrderId"]) == (
        "CANCELED",
        "mine-1",
    )
    assert cancelled.json()["clientOrderId"] == "c"
    snapshot = api.snapshot()
    assert snapshot["balances"]["USDT"] == {"free": "100000.00000000", "locked": "0.00000000"}
    assert [o["status"] for o in snapshot["orders"]] == ["CANCELED"]
    requests = api.client.get("/sim/stats").json()["requests"]
    assert requests == {"POST /api/v3/order": 1, "/api/v3/order": 2, "DELETE /api/v3/order": 1}


def test_a_market_buy_answers_its_fills_and_the_account_reads_them(api: Api) -> None:
    full = api.order(symbol="BTCUSDT", side="BUY", type="MARKET", quoteOrderQty="250").json()
    assert full["status"] == "FILLED" and full["fills"]
    spent = Decimal(full["cummulativeQuoteQty"])
    assert Decimal(250) - spent >= 0
    fees = sum(Decimal(f["commission"]) for f in full["fills"])
    account = api.ok("GET", "/api/v3/account", omitZeroBalances="true")
    assert {
        b["asset"]: (Decimal(b["free"]), Decimal(b["locked"])) for b in account["balances"]
    } == {
        "USDT": (Decimal(START_USDT) / UNIT - spent, 0),
        "BTC": (Decimal(full["executedQty"]) - fees, 0),
    }
    trades = api.ok("GET", "/api/v3/myTrades", symbol="BTCUSDT", orderId=full["orderId"])
    assert [t["id"] for t in trades] == [f["tradeId"] for f in full["fills"]]
    assert api.ok("GET", "/api/v3/openOrders", symbol="BTCUSDT") == []
    assert [o["orderId"] for o in api.ok("GET", "/api/v3/allOrders", symbol="BTCUSDT")] == [
        full["orderId"]
    ]


def test_a_resting_order_is_matched_before_any_signed_read(
    api: Api, exchange: SimExchange, clock: Clock
) -> None:
    last = exchange.store.live(BTC, exchange.model.base_ms, clock.now_ms).close
    price = exchange.markets[BTC].price_text(int(last) - 1)  # inside the spread
    order = api.order(**FAR_BELOW, quantity="0.0001", price=price).json()
    assert order["status"] == "NEW"
    clock.now_ms += 10 * MINUTE  # nothing calls the matcher in between
    read = api.ok("GET", "/api/v3/order", symbol="BTCUSDT", orderId=order["orderId"])
    assert read["status"] == "FILLED" and read["executedQty"] == read["origQty"]
    assert order["transactTime"] < read["updateTime"] <= clock.now_ms
    trades = api.ok("GET", "/api/v3/myTrades", symbol="BTCUSDT")
    assert trades and all(t["isMaker"] for t in trades)


def test_a_duplicate_client_order_id_is_refused_and_changes_nothing(api: Api) -> None:
    assert api.resting_buy(newClientOrderId="twice").status_code == 200
    before = api.snapshot()
    again = api.resting_buy(newClientOrderId="twice")
    assert (again.status_code, again.json()) == (
        400,
        {"code": -2010, "msg": "Duplicate order sent."},
    )
    assert api.snapshot() == before


@pytest.mark.parametrize(
    ("changes", "failure"),
    [
        ({"price": "1000.05"}, "PRICE_FILTER"),
        ({"quantity": "0.000001"}, "LOT_SIZE"),
        ({"price": "1.0"}, "NOTIONAL"),  # 0.01 BTC at 1 USDT
    ],
)
def test_an_order_off_a_filter_leaves_no_trace_and_is_not_counted(
    api: Api, changes: dict[str, str], failure: str
) -> None:
    fields = {**FAR_BELOW, "quantity": "0.01", "price": "1000.0", **changes}
    answer = api.order(**fields)
    assert (answer.status_code, answer.json()) == (
        400,
        {"code": -1013, "msg": f"Filter failure: {failure}"},
    )
    assert "X-MBX-ORDER-COUNT-10S" not in answer.headers
    assert api.snapshot() == {
        "balances": {"USDT": {"free": "100000.00000000", "locked": "0.00000000"}},
        "orders": [],
        "trades": [],
    }
    assert api.resting_buy().headers["X-MBX-ORDER-COUNT-10S"] == "1"
    assert api.client.get("/sim/stats").json()["errors"] == {"-1013": 1}


def test_keys_signatures_and_times_are_checked_on_every_signed_route(api: Api) -> None:
    invalid = (400, -1022, "Signature for this request is not valid.")
    unknown_key = (401, -2015, "Invalid API-key, IP, or permissions for action.")
    for method, path in (
        ("GET", "/api/v3/account"),
        ("GET", "/api/v3/openOrders"),
        ("GET", "/sapi/v1/capital/config/getall"),
        ("DELETE", "/api/v3/order"),
    ):
        assert api.refused(method, path, secret=random_credential()) == invalid
        assert api.refused(method, path, key=random_credential()) == unknown_key
        assert api.refused(method, path, key=None)[:2] == (401, -2014)
    assert api.refused("POST", "/api/v3/order", in_body=True, secret=SECRET[::-1]) == invalid
    assert api.snapshot()["orders"] == []
    late = api.clock.now_ms - 6_000  # older than the default recvWindow of 5 s
    assert api.refused("GET", "/api/v3/account", timestamp=late) == (
        400,
        -1021,
        "Timestamp for this request is outside of the recvWindow.",
    )
    api.ok("GET", "/api/v3/account", timestamp=late, recvWindow=10_000)
    ahead = api.clock.now_ms + 2_000
    assert api.refused("GET", "/api/v3/account", timestamp=ahead) == (
        400,
        -1021,
        "Timestamp for this request was 1000ms ahead of the server's time.",
    )


def test_a_parameter_the_route_does_not_read_is_refused(api: Api) -> None:
    assert api.refused("GET", "/api/v3/account", colour="blue") == (
        400,
        -1104,
        "Not all sent parameters were read; read '1' parameter(s) but was sent '2'.",
    )
    answer = api.order(**FAR_BELOW, quantity="0.01", price="1000.0", stopPrice="900")
    read = len(FAR_BELOW) + 3  # and quantity, price, timestamp; not stopPrice
    assert (answer.status_code, answer.json()["code"]) == (400, -1104)
    assert answer.json()["msg"] == (
        f"Not all sent parameters were read; read '{read}' parameter(s) but was sent '{read + 1}'."
    )
    assert api.snapshot()["orders"] == []


def test_orders_and_symbols_the_account_does_not_know(api: Api) -> None:
    assert api.refused("GET", "/api/v3/order", symbol="NOPEUSDT", orderId=1) == (
        400,
        -1121,
        "Invalid symbol.",
    )
    assert api.refused("GET", "/api/v3/order", symbol="BTCUSDT", orderId=999) == (
        400,
        -2013,
        "Order does not exist.",
    )
    assert api.refused("DELETE", "/api/v3/order", symbol="BTCUSDT", orderId=999) == (
        400,
        -2011,
        "Unknown order sent.",
    )
    assert api.refused("GET", "/api/v3/order", symbol="BTCUSDT") == (
        400,
        -1102,
        "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
    )


def test_too_many_new_orders_answer_429_until_the_window_turns(api: Api, clock: Clock) -> None:
    clock.now_ms += 10_000 - clock.now_ms % 10_000 - 4_000  # 4 s before the window turns
    counts = [api.resting_buy().headers["X-MBX-ORDER-COUNT-10S"] for _ in range(ORDERS_PER_10S)]
    assert counts == ["1", "2", "3"]
    limited = api.resting_buy()
    assert (limited.status_code, limited.json()) == (
        429,
        {
            "code": -1015,
            "msg": f"Too many new orders; current limit is {ORDERS_PER_10S} orders per 10 SECOND.",
        },
    )
    assert limited.headers["Retry-After"] == "4"
    assert limited.headers["X-MBX-ORDER-COUNT-10S"] == str(ORDERS_PER_10S)
    assert len(api.snapshot()["orders"]) == ORDERS_PER_10S
    api.ok("GET", "/api/v3/account")  # reads are not orders
    clock.now_ms += 4_000
    turned = api.resting_buy()
    assert turned.status_code == 200
    assert (turned.headers["X-MBX-ORDER-COUNT-10S"], turned.headers["X-MBX-ORDER-COUNT-1D"]) == (
        "1",
        str(ORDERS_PER_10S + 1),
    )


def test_a_balance_changed_behind_the_bots_back(api: Api) -> None:
    changed = api.client.post("/sim/account/balance", json={"asset": "USDT", "delta": "-9500.5"})
    assert changed.json() == {"asset": "USDT", "free": "90499.50000000", "locked": "0.00000000"}
    usdt = next(b for b in api.ok("GET", "/api/v3/account")["balances"] if b["asset"] == "USDT")
    assert usdt["free"] == "90499.50000000"
    for wrong in (
        {"asset": "USDT", "delta": "1.000000001"},
        {"asset": "USDT", "delta": 1.5},
        {"asset": 5, "delta": "1"},
        {"delta": "1"},
        {"asset": "USDT", "delta": "-100000"},  # below zero
    ):
        answer = api.client.post("/sim/account/balance", json=wrong)
        assert answer.status_code == 400 and answer.json()["error"]
    assert "below zero" in answer.json()["error"]
    assert api.client.post("/sim/account/balance", content=b"{nope").status_code == 400
    assert api.snapshot()["balances"]["USDT"]["free"] == "90499.50000000"


def test_faults_are_installed_before_the_account(api: Api) -> None:
    order = {"method": "POST", "path": "/api/v3/order"}
    assert api.client.post("/sim/faults", json={**order, "kind": "rate_limit"}).status_code == 200
    assert api.client.get("/sim/faults").json()["faults"][0]["kind"] == "rate_limit"
    limited = api.resting_buy()
    assert limited.status_code == 429 and limited.json()["code"] == -1015
    assert f"limit is {ORDERS_PER_10S} orders per 10 SECOND" in limited.json()["msg"]
    api.client.post("/sim/faults", json={**order, "kind": "error", "status": 503, "count": 2})
    assert api.resting_buy().status_code == 503
    assert api.client.delete("/sim/faults").json() == {"cleared": 1}
    assert api.snapshot()["orders"] == []
    assert api.resting_buy().status_code == 200
