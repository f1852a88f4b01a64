"""The futures account's signed endpoints end to end, in process on a clock the tests move:
funding and liquidation as a bot reads them (income, orders, positions, wallet), each
refusal with Binance USD-M's code leaving no trace, and the simulator's own account view."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from freqfleet.sim.account import Account
from freqfleet.sim.app import create_app
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import FUNDING_INTERVAL_MS, funding_rate
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_markets import futures_markets
from freqfleet.sim.futures_private_api import install_futures
from freqfleet.sim.models.synthetic import SyntheticModel
from freqfleet.sim.order_limits import OrderLimits
from freqfleet.sim.private_api import SignedRoutes, install_account
from freqfleet.sim.signing import Credentials
from freqfleet.sim.units import UNIT
from tests.kit.clock import Clock
from tests.kit.signed_api import KEY, SECRET, Api

SEED = 7
WALLET = 10_000 * UNIT


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(clock: Clock) -> Any:
    exchange = SimExchange(SyntheticModel(pairs=4, seed=SEED), clock=clock)
    app = create_app(exchange)
    credentials = Credentials(KEY, SECRET)
    spot = Account(exchange, {"USDT": WALLET}, first_id=1)
    install_account(app, spot, credentials, OrderLimits())
    futures = FuturesAccount(exchange, futures_markets(exchange.markets), WALLET, SEED, first_id=1)
    install_futures(SignedRoutes(app, credentials, spot, OrderLimits(300)), futures)
    with TestClient(app) as client:
        yield Api(client, clock, spot), futures


def test_funding_shows_as_income_and_in_the_wallet(api: Any, clock: Clock) -> None:
    client, _ = api
    instant = (clock.now_ms // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS
    clock.now_ms = instant - 60_000
    opened = client.ok(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="SELL", type="MARKET",
        quantity="0.01", newOrderRespType="RESULT",
    )  # fmt: skip
    assert opened["status"] == "FILLED" and opened["positionSide"] == "BOTH"
    clock.now_ms = instant + 60_000
    [fee] = client.ok("GET", "/fapi/v1/income", incomeType="FUNDING_FEE")
    assert (fee["symbol"], fee["time"], fee["asset"]) == ("BTCUSDT", instant, "USDT")
    rate = funding_rate(SEED, 0, instant)
    assert (Decimal(fee["income"]) > 0) == (rate > 0)  # a short receives a positive rate
    incomes = client.ok("GET", "/fapi/v1/income")
    assert {i["incomeType"] for i in incomes} == {"COMMISSION", "FUNDING_FEE"}
    account = client.ok("GET", "/fapi/v3/account")
    booked = sum(Decimal(i["income"]) for i in incomes)
    assert Decimal(account["totalWalletBalance"]) == Decimal(WALLET) / UNIT + booked
    [position] = client.ok("GET", "/fapi/v3/positionRisk")
    assert position["positionAmt"] == "-0.01000" and "leverage" not in position
    [position_v2] = client.ok("GET", "/fapi/v2/positionRisk", symbol="BTCUSDT")
    assert position_v2["leverage"] == "20" and position_v2["marginType"] == "cross"
    [balance] = client.ok("GET", "/fapi/v2/balance")
    assert balance["balance"] == account["totalWalletBalance"]


def test_a_liquidation_is_an_order_and_trade_the_bot_can_read(api: Any, clock: Clock) -> None:
    client, _ = api
    client.ok("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")
    client.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=125)
    client.ok(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.05"
    )
    for _ in range(48):
        clock.now_ms += 1_800_000
        orders = client.ok("GET", "/fapi/v1/allOrders", symbol="BTCUSDT")
        if len(orders) > 1:
            break
    else:
        raise AssertionError("the path never went 0.4 % against the long in a day")
    liquidation = orders[-1]
    assert liquidation["type"] == "LIQUIDATION" and liquidation["side"] == "SELL"
    assert liquidation["clientOrderId"].startswith("autoclose-")
    assert liquidation["status"] == "FILLED" and liquidation["executedQty"] == "0.05000"
    trades = client.ok("GET", "/fapi/v1/userTrades", symbol="BTCUSDT")
    assert Decimal(trades[-1]["realizedPnl"]) < 0
    assert client.ok("GET", "/fapi/v3/positionRisk") == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"type": "MARKET", "quantity": "0.000001"}, -1111),
        ({"type": "MARKET", "quantity": "0.00001"}, -4164),
        ({"type": "LIMIT", "quantity": "0.01", "price": "50000.05", "timeInForce": "GTC"}, -4014),
        ({"type": "LIMIT", "quantity": "0.01", "price": "50000", "timeInForce": "GTX"}, -1115),
        ({"type": "STOP_MARKET", "quantity": "0.01"}, -1116),
        ({"type": "MARKET", "quantity": "0.01", "positionSide": "LONG"}, -4061),
        ({"type": "MARKET", "quantity": "0.01", "reduceOnly": "true"}, -2022),
        ({"type": "MARKET", "quantity": "100"}, -2019),
        ({"type": "MARKET", "quantity": "0.01", "price": "50000"}, -1106),
    ],
)
def test_refused_orders_get_binances_codes_and_leave_no_trace(
    api: Any, params: dict[str, str], code: int
) -> None:
    client, futures = api
    status, got, _ = client.refused(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", **params
    )
    assert (status, got) == (400, code)
    assert not futures.orders and futures.wallet == WALLET


def test_settings_refusals_and_unknown_orders(api: Any) -> None:
    client, _ = api
    assert client.refused("POST", "/fapi/v1/leverage", symbol="BNBUSDT", leverage=100)[1] == -4028
    assert (
        client.refused("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="CROSSED")[1]
        == -4046
    )
    assert client.refused("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=5)[1] == -2013
    assert client.refused("DELETE", "/fapi/v1/order", symbol="BTCUSDT", orderId=5)[1] == -2011
    assert client.refused("GET", "/fapi/v1/order", symbol="NOPEUSDT", orderId=5)[1] == -1121
    assert client.ok("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": False}
    assert client.ok("GET", "/fapi/v1/multiAssetsMargin") == {"multiAssetsMargin": False}
    rates = client.ok("GET", "/fapi/v1/commissionRate", symbol="BTCUSDT")
    assert (rates["makerCommissionRate"], rates["takerCommissionRate"]) == ("0.0002", "0.0005")


def test_the_sim_account_shows_the_futures_side(api: Any) -> None:
    client, _ = api
    client.ok("POST", "/fapi/v1/leverage", symbol="ETHUSDT", leverage=3)
    client.ok("POST", "/fapi/v1/order", symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.1")
    view = client.client.get("/sim/account").json()
    futures = view["futures"]
    assert futures["settings"]["ETHUSDT"] == {"leverage": 3, "marginType": "CROSSED"}
    [position] = futures["positions"]
    assert position["positionAmt"] == "0.1000"
    assert view["balances"]["USDT"]["free"] == "10000.00000000"  # spot apart


def test_the_futures_wallet_changes_behind_the_bots_back_apart_from_spot(api: Any) -> None:
    client, futures = api
    answer = client.client.post(
        "/sim/account/balance", json={"asset": "USDT", "delta": "-9990", "wallet": "futures"}
    )
    assert answer.status_code == 200 and answer.json()["free"] == "10.00000000"
    assert futures.wallet == 10 * UNIT
    assert client.client.get("/sim/account").json()["balances"]["USDT"]["free"] == "10000.00000000"
    code = client.refused(
        "POST", "/fapi/v1/order", symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1"
    )[1]
    assert code == -2019
    too_much = client.client.post(
        "/sim/account/balance", json={"asset": "USDT", "delta": "-11", "wallet": "futures"}
    )
    assert too_much.status_code == 400 and futures.wallet == 10 * UNIT
