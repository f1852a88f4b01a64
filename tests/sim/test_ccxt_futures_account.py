"""ccxt's own ``binance`` class (defaultType swap) with a key and secret against a
simulator with an account: leverage, margin mode, orders long and short, positions,
balance and funding history as ccxt parses them, equal to the simulator's own books."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from freqfleet.sim.account_file import random_credential
from freqfleet.sim.launcher import RunningSimulator, running_simulator

pytestmark = pytest.mark.timeout(120)

BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    path = tmp_path_factory.mktemp("account") / "account.json"
    account = {
        "key": random_credential(),
        "secret": random_credential(),
        "balances": {"USDT": 1000},
        "futures": {"USDT": 50_000},
    }
    path.write_text(json.dumps(account))
    with running_simulator(pairs=5, seed=11, account=path) as running:
        yield running


@pytest.fixture(scope="module")
def exchange(sim: RunningSimulator) -> ccxt.binance:
    section = sim.futures_config(bot="ccxt-futures", live=True)["exchange"]
    config = {**section["ccxt_config"], "apiKey": section["key"], "secret": section["secret"]}
    config["options"] = {**config["options"], "defaultType": "swap"}
    client = ccxt.binance(config)
    client.load_markets()
    return client


def futures(sim: RunningSimulator) -> dict[str, Any]:
    return sim.account()["futures"]


def position(sim: RunningSimulator, symbol: str) -> dict[str, Any] | None:
    return next((p for p in futures(sim)["positions"] if p["symbol"] == symbol), None)


def test_leverage_and_margin_mode_are_set_and_refused_as_on_binance(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    assert exchange.set_leverage(7, BTC)["leverage"] == 7
    exchange.set_margin_mode("isolated", BTC)
    with pytest.raises(ccxt.MarginModeAlreadySet):
        exchange.set_margin_mode("isolated", BTC)
    with pytest.raises(ccxt.ExchangeError, match="-4028"):
        exchange.set_leverage(100, "BNB/USDT:USDT")  # BNB's perpetual goes to 75x
    assert futures(sim)["settings"]["BTCUSDT"] == {"leverage": 7, "marginType": "ISOLATED"}
    tiers = exchange.fetch_leverage_tiers([BTC])[BTC]
    assert tiers[0]["maxLeverage"] == 125 and tiers[0]["maintenanceMarginRate"] == 0.004


def test_a_short_opens_shows_as_a_position_and_closes_with_its_pnl(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    exchange.set_leverage(5, BTC)
    before = Decimal(futures(sim)["wallet"]["totalWalletBalance"])
    order = exchange.create_order(BTC, "market", "sell", 0.02)
    assert order["status"] == "closed" and order["filled"] == 0.02
    mine = position(sim, "BTCUSDT")
    assert mine is not None and mine["positionAmt"] == "-0.02000"
    [seen] = exchange.fetch_positions([BTC])
    assert seen["side"] == "short" and seen["contracts"] == 0.02
    assert seen["marginMode"] == "isolated"
    assert Decimal(str(seen["entryPrice"])) == Decimal(mine["entryPrice"])
    assert Decimal(str(seen["liquidationPrice"])) == Decimal(mine["liquidationPrice"])
    assert Decimal(str(seen["liquidationPrice"])) > Decimal(mine["markPrice"])
    closing = exchange.create_order(BTC, "market", "buy", 0.02, params={"reduceOnly": True})
    assert closing["reduceOnly"] is True and closing["status"] == "closed"
    assert position(sim, "BTCUSDT") is None and exchange.fetch_positions([BTC]) == []
    trades = exchange.fetch_my_trades(BTC)
    mine_trades = [t for t in futures(sim)["trades"] if t["symbol"] == "BTCUSDT"]
    assert [t["id"] for t in trades] == [str(t["id"]) for t in mine_trades]
    pnl = sum(Decimal(t["realizedPnl"]) for t in mine_trades)
    fees = sum(Decimal(t["commission"]) for t in mine_trades)
    assert sum(Decimal(str(t["fee"]["cost"])) for t in trades) == fees
    after = Decimal(futures(sim)["wallet"]["totalWalletBalance"])
    assert after == before + pnl - fees


def test_a_resting_long_is_open_holds_margin_and_cancels(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    ticker = exchange.fetch_ticker(ETH)
    price = exchange.price_to_precision(ETH, ticker["last"] * 0.8)
    order = exchange.create_order(ETH, "limit", "buy", 1, float(price))
    assert order["status"] == "open"
    [open_order] = exchange.fetch_open_orders(ETH)
    assert open_order["id"] == order["id"] and open_order["price"] == float(price)
    held = Decimal(futures(sim)["wallet"]["totalOpenOrderInitialMargin"])
    assert held > 0
    balance = exchange.fetch_balance()
    assert Decimal(str(balance["USDT"]["free"])) == Decimal(
        futures(sim)["wallet"]["availableBalance"]
    )
    assert exchange.cancel_order(order["id"], ETH)["status"] == "canceled"
    assert exchange.fetch_order(order["id"], ETH)["status"] == "canceled"
    assert Decimal(futures(sim)["wallet"]["totalOpenOrderInitialMargin"]) == 0


def test_failures_a_bot_can_hit_get_binances_codes(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    with pytest.raises(ccxt.ExchangeError, match="-2022"):
        exchange.create_order(ETH, "market", "sell", 0.1, params={"reduceOnly": True})
    with pytest.raises(ccxt.ExchangeError, match="-2019"):
        exchange.create_order(ETH, "market", "buy", 1000)
    with pytest.raises(ccxt.ExchangeError, match="-4164"):
        exchange.create_order(ETH, "market", "buy", 0.001)
    with pytest.raises(ccxt.OrderNotFound):
        exchange.fetch_order("12345", ETH)
    assert not [o for o in futures(sim)["orders"] if o["status"] == "NEW"]


def test_funding_history_is_the_accounts_funding_income(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    history = exchange.fetch_funding_history(BTC)
    income = [i for i in futures(sim)["income"] if i["incomeType"] == "FUNDING_FEE"]
    assert [str(h["id"]) for h in history] == [
        str(i["tranId"]) for i in income if i["symbol"] == "BTCUSDT"
    ]
    rows = exchange.fapiPrivateGetIncome({"incomeType": "COMMISSION"})
    assert rows and all(Decimal(r["income"]) < 0 for r in rows)


def test_faults_apply_to_the_futures_routes(sim: RunningSimulator, exchange: ccxt.binance) -> None:
    sim.inject_fault(method="POST", path="/fapi/v1/order", kind="error", status=503)
    with pytest.raises(ccxt.RequestTimeout):
        exchange.create_order(ETH, "market", "buy", 0.01)
    assert position(sim, "ETHUSDT") is None
    order = exchange.create_order(ETH, "market", "buy", 0.01)
    assert order["status"] == "closed"
    exchange.create_order(ETH, "market", "sell", 0.01, params={"reduceOnly": True})
    assert position(sim, "ETHUSDT") is None
