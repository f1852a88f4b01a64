"""ccxt's own ``binance`` class with a key and secret against a simulator with an account:
balances, orders and trades as ccxt parses them, and each Binance error as the ccxt class
freqtrade reacts to."""

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

START = {"USDT": 1_000_000, "ETH": 10}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    path = tmp_path_factory.mktemp("account") / "account.json"
    account = {"key": random_credential(), "secret": random_credential(), "balances": START}
    path.write_text(json.dumps(account))
    with running_simulator(pairs=5, seed=11, account=path) as running:
        yield running


def client(sim: RunningSimulator, **changes: Any) -> ccxt.binance:
    settings = sim.exchange_config(bot="ccxt-test", live=True)
    config = {**settings["ccxt_config"], "apiKey": settings["key"], "secret": settings["secret"]}
    exchange = ccxt.binance({**config, **changes})
    exchange.load_markets()
    return exchange


@pytest.fixture
def exchange(sim: RunningSimulator) -> ccxt.binance:
    return client(sim)


def account_order(sim: RunningSimulator, order_id: str) -> dict[str, Any]:
    return next(o for o in sim.account()["orders"] if str(o["id"]) == order_id)


def free(sim: RunningSimulator, asset: str) -> Decimal:
    balance = sim.account()["balances"].get(asset)
    return Decimal(balance["free"]) if balance else Decimal(0)


def test_a_market_buy_fills_and_the_balance_moves_by_its_trades_exactly(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    before_usdt, before_btc = free(sim, "USDT"), free(sim, "BTC")
    order = exchange.create_order("BTC/USDT", "market", "buy", 0.02)
    assert order["status"] == "closed" and order["filled"] == 0.02
    assert order["trades"] and order["fee"]["currency"] == "BTC"
    mine = account_order(sim, order["id"])
    spent = Decimal(mine["cummulativeQuoteQty"])
    fees = sum(
        Decimal(t["commission"])
        for t in sim.account()["trades"]
        if str(t["orderId"]) == order["id"]
    )
    assert free(sim, "USDT") == before_usdt - spent
    assert free(sim, "BTC") == before_btc + Decimal("0.02") - fees
    balance = exchange.fetch_balance()
    assert Decimal(str(balance["BTC"]["free"])) == free(sim, "BTC")
    assert balance["USDT"]["used"] == 0
    trades = exchange.fetch_my_trades("BTC/USDT")
    assert {t["order"] for t in trades} >= {order["id"]}
    assert all(t["fee"]["currency"] == "BTC" and t["side"] == "buy" for t in trades)


def test_a_resting_limit_order_is_open_locks_funds_and_cancels(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    bid = exchange.fetch_ticker("ETH/USDT")["bid"]
    price = float(exchange.price_to_precision("ETH/USDT", bid * 0.8))
    order = exchange.create_order(
        "ETH/USDT", "limit", "buy", 0.5, price, {"clientOrderId": "rest-1"}
    )
    assert order["status"] == "open" and order["clientOrderId"] == "rest-1"
    assert [o["id"] for o in exchange.fetch_open_orders("ETH/USDT")] == [order["id"]]
    fetched = exchange.fetch_order(order["id"], "ETH/USDT")
    assert fetched["status"] == "open" and fetched["price"] == price
    by_client = exchange.fetch_order(None, "ETH/USDT", {"origClientOrderId": "rest-1"})
    assert by_client["id"] == order["id"]
    locked = sim.account()["balances"]["USDT"]["locked"]
    assert Decimal(locked) == Decimal(str(price)) * Decimal("0.5")
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        exchange.create_order("ETH/USDT", "limit", "buy", 0.5, price, {"clientOrderId": "rest-1"})
    cancelled = exchange.cancel_order(order["id"], "ETH/USDT")
    assert cancelled["status"] == "canceled"
    assert sim.account()["balances"]["USDT"]["locked"] == "0.00000000"
    assert exchange.fetch_open_orders("ETH/USDT") == []
    history = exchange.fetch_orders("ETH/USDT")
    assert [o["status"] for o in history if o["id"] == order["id"]] == ["canceled"]
    with pytest.raises(ccxt.OrderNotFound):
        exchange.cancel_order(order["id"], "ETH/USDT")  # -2011: no longer open
    with pytest.raises(ccxt.OrderNotFound):
        exchange.fetch_order("12345", "ETH/USDT")  # -2013


def test_ioc_expires_its_rest_and_fok_expires_whole(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    book = exchange.fetch_order_book("ETH/USDT", 5)
    # Up to the second level, five times what the first two hold: the book moves between
    # the two requests, but never that far that fast.
    price, near = book["asks"][1][0], book["asks"][0][1] + book["asks"][1][1]
    amount = float(exchange.amount_to_precision("ETH/USDT", near * 5))
    fok = exchange.create_order("ETH/USDT", "limit", "buy", amount, price, {"timeInForce": "FOK"})
    assert fok["status"] == "expired" and fok["filled"] == 0
    ioc = exchange.create_order("ETH/USDT", "limit", "buy", amount, price, {"timeInForce": "IOC"})
    assert ioc["status"] == "expired" and 0 < ioc["filled"] < amount
    assert sim.account()["balances"]["USDT"]["locked"] == "0.00000000"


def test_orders_refused_as_binance_refuses_them(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    before = len(sim.account()["orders"])
    with pytest.raises(ccxt.InsufficientFunds):
        exchange.create_order("BTC/USDT", "limit", "buy", 100, 90_000)
    with pytest.raises(ccxt.InsufficientFunds):
        exchange.create_order("SOL/USDT", "market", "sell", 5)
    with pytest.raises(ccxt.InvalidOrder, match="PRICE_FILTER"):
        exchange.privatePostOrder(
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.001",
                "price": "50000.05",
            }
        )
    with pytest.raises(ccxt.InvalidOrder, match="LOT_SIZE"):
        exchange.privatePostOrder(
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.000001"}
        )
    # ccxt maps -1013 NOTIONAL to BadRequest (on Binance too); freqtrade's create_order
    # turns both into InvalidOrderException.
    with pytest.raises(ccxt.BadRequest, match="NOTIONAL"):
        exchange.create_order("BTC/USDT", "market", "buy", 0.00001)
    with pytest.raises(ccxt.BadRequest, match="-1104"):
        exchange.privatePostOrder(
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "x": "1"}
        )
    with pytest.raises(ccxt.BadRequest, match="-1116"):
        exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 1000, {"stopPrice": 900})
    assert len(sim.account()["orders"]) == before


def test_history_ranges_are_checked_as_binance_checks_them(exchange: ccxt.binance) -> None:
    day = 86_400_000
    exchange.create_order("BTC/USDT", "market", "buy", 0.001)
    with pytest.raises(ccxt.BadRequest, match="-1127"):
        exchange.privateGetMyTrades({"symbol": "BTCUSDT", "startTime": 0, "endTime": 2 * day})
    with pytest.raises(ccxt.BadRequest, match="-1128"):
        exchange.privateGetMyTrades({"symbol": "BTCUSDT", "fromId": 1, "startTime": 0})
    with pytest.raises(ccxt.BadRequest, match="-1127"):
        exchange.fetch_orders("BTC/USDT", since=0, params={"until": 2 * day})
    newest = exchange.fetch_orders("BTC/USDT", limit=1)
    assert len(newest) == 1
    first = exchange.fetch_orders("BTC/USDT", params={"orderId": 1, "limit": 1})
    assert len(first) == 1 and int(first[0]["id"]) <= int(newest[0]["id"])


def test_credentials_and_time_refused_as_authentication_errors(sim: RunningSimulator) -> None:
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        client(sim, apiKey=random_credential()).fetch_balance()
    with pytest.raises(ccxt.AuthenticationError, match="-2014"):
        client(sim, apiKey="not-a-binance-key").fetch_balance()
    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        client(sim, secret=random_credential()).fetch_balance()
    late = client(sim)
    late.options["timeDifference"] = 30_000  # its clock 30 s behind the server's
    with pytest.raises(ccxt.InvalidNonce, match="-1021"):
        late.fetch_balance()


def test_markets_load_with_ccxts_own_options_as_for_binance(sim: RunningSimulator) -> None:
    """A section without the simulator's ``fetchMargins: false`` (ccxt's default, true,
    asks for the margin pairs once it has a key) loads the same markets and coins."""
    before = sim.request_counts()
    exchange = client(sim, options={"fetchMarkets": {"types": ["spot"]}})
    assert exchange.options["fetchMargins"] is True
    assert sorted(exchange.markets) == sorted(sim.pairs)
    assert exchange.currencies["USDT"]["active"] is True
    after = sim.request_counts()
    gained = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    assert gained == {
        "/api/v3/exchangeInfo": 1,
        "/sapi/v1/capital/config/getall": 1,
        "/sapi/v1/margin/allPairs": 2,  # markets, then currencies
        "/sapi/v1/margin/isolated/allPairs": 1,
    }
    assert sim.stats()["not_simulated"] == {}


def test_weights_are_binances_and_every_path_is_simulated(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    before = sim.bot_stats().get("ccxt-test", {}).get("weight", {})
    exchange.fetch_balance()
    exchange.fetch_open_orders("BTC/USDT")
    exchange.options["fetchOpenOrders"]["warnWithoutSymbol"] = False
    exchange.fetch_open_orders()
    exchange.fetch_orders("BTC/USDT")
    exchange.fetch_my_trades("BTC/USDT")
    exchange.fetch_my_trades("BTC/USDT", params={"orderId": 1})
    after = sim.bot_stats()["ccxt-test"]["weight"]
    gained = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    assert gained == {
        "/api/v3/account": 20,
        "/api/v3/openOrders": 6 + 80,
        "/api/v3/allOrders": 20,
        "/api/v3/myTrades": 20 + 5,
    }
    assert "X-MBX-USED-WEIGHT-1M" in exchange.last_response_headers
    assert sim.stats()["not_simulated"] == {}
    assert "signature=" not in sim.log_text() and sim.secret not in sim.log_text()


def test_a_balance_changed_behind_the_bots_back(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    usdt = Decimal(str(exchange.fetch_balance()["USDT"]["free"]))
    assert sim.adjust_balance("USDT", "-1000.5")["free"] == f"{usdt - Decimal('1000.5'):.8f}"
    assert Decimal(str(exchange.fetch_balance()["USDT"]["free"])) == usdt - Decimal("1000.5")
    with pytest.raises(RuntimeError, match="below zero"):
        sim.adjust_balance("USDT", "-100000000")
    sim.adjust_balance("USDT", "1000.5")
