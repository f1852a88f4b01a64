"""Injected faults and the ORDERS rate limit, as a ccxt client meets them: whether the
order exists afterwards is the point of each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ccxt
import httpx
import pytest

from freqfleet.sim.launcher import RunningSimulator, running_simulator

pytestmark = pytest.mark.timeout(120)

ORDER = {"method": "POST", "path": "/api/v3/order"}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    path = tmp_path_factory.mktemp("faults") / "account.json"  # created: 10,000 USDT
    with running_simulator(pairs=3, seed=4, account=path, order_limit=5) as running:
        yield running


@pytest.fixture
def exchange(sim: RunningSimulator) -> Iterator[ccxt.binance]:
    section = sim.exchange_config(live=True)
    client = ccxt.binance(
        {**section["ccxt_config"], "apiKey": section["key"], "secret": section["secret"]}
    )
    client.load_markets()
    yield client
    sim.clear_faults()


def resting_buy(exchange: ccxt.binance) -> dict:
    price = exchange.price_to_precision("ETH/USDT", exchange.fetch_ticker("ETH/USDT")["bid"] * 0.7)
    return exchange.create_order("ETH/USDT", "limit", "buy", 0.01, float(price))


def order_count(sim: RunningSimulator) -> int:
    return len(sim.account()["orders"])


def test_an_error_before_processing_places_nothing(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    before = order_count(sim)
    assert sim.inject_fault(**ORDER, kind="error", status=503) == [
        {
            **ORDER,
            "kind": "error",
            "status": 503,
            "after": False,
            "delay_s": 0.0,
            "count": 1,
            "filter": "NOTIONAL",
            "hits": 0,
        }
    ]
    with pytest.raises(ccxt.RequestTimeout, match="-1007"):
        resting_buy(exchange)
    assert order_count(sim) == before
    resting_buy(exchange)  # the fault was for one request
    assert order_count(sim) == before + 1
    sim.inject_fault(**ORDER, kind="error", status=502, count=2)
    for _ in range(2):
        with pytest.raises(ccxt.ExchangeNotAvailable):
            resting_buy(exchange)
    assert order_count(sim) == before + 1


def test_an_error_after_processing_leaves_the_order_placed(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    open_before = len(exchange.fetch_open_orders("ETH/USDT"))
    sim.inject_fault(**ORDER, kind="error", status=503, after=True)
    with pytest.raises(ccxt.RequestTimeout):
        resting_buy(exchange)
    assert len(exchange.fetch_open_orders("ETH/USDT")) == open_before + 1


def test_a_delayed_answer_times_the_client_out_but_the_order_exists(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    before = order_count(sim)
    sim.inject_fault(**ORDER, kind="delay", delay_s=2)
    exchange.timeout = 500
    with pytest.raises(ccxt.RequestTimeout):
        resting_buy(exchange)
    assert order_count(sim) == before + 1
    assert sim.account()["orders"][-1]["status"] == "NEW"


def test_a_rate_limit_fault_answers_429_without_placing(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    before = order_count(sim)
    sim.inject_fault(**ORDER, kind="rate_limit")
    with pytest.raises(ccxt.DDoSProtection, match="-1015"):
        resting_buy(exchange)
    assert order_count(sim) == before


@pytest.mark.parametrize(
    ("name", "error"),
    [("NOTIONAL", ccxt.BadRequest), ("LOT_SIZE", ccxt.InvalidOrder)],
)
def test_a_reject_fault_answers_a_filter_failure_without_placing(
    sim: RunningSimulator, exchange: ccxt.binance, name: str, error: type
) -> None:
    before = order_count(sim)
    sim.inject_fault(**ORDER, kind="reject", filter=name)
    with pytest.raises(error, match=f"-1013.*Filter failure: {name}"):
        resting_buy(exchange)
    assert order_count(sim) == before
    resting_buy(exchange)  # one request only
    assert order_count(sim) == before + 1


def test_faults_are_listed_cleared_and_checked(sim: RunningSimulator) -> None:
    sim.inject_fault(method="GET", path="/api/v3/account", kind="delay", delay_s=1, count=3)
    assert httpx.get(sim.url + "/sim/faults").json()["faults"][0]["count"] == 3
    assert sim.clear_faults() == 1
    for wrong in (
        {"method": "GET", "path": "/sim/account", "kind": "error"},
        {**ORDER, "kind": "explode"},
        {**ORDER, "kind": "error", "status": 404},
        {**ORDER, "kind": "delay", "delay_s": -1},
        {**ORDER, "kind": "error", "count": 0},
        {**ORDER, "kind": "error", "when": "later"},
        {**ORDER, "kind": "reject", "filter": "ICEBERG_PARTS"},
    ):
        answer = httpx.post(sim.url + "/sim/faults", json=wrong)
        assert answer.status_code == 400 and answer.json()["error"].startswith("fault: ")


def test_too_many_new_orders_answer_429_minus_1015(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    exchange.enableRateLimit = False
    with pytest.raises(ccxt.DDoSProtection) as limited:
        for _ in range(12):  # 5 per 10 s: refused within at most 11, whatever the window
            resting_buy(exchange)
    assert "-1015" in str(limited.value)
    assert "Too many new orders; current limit is 5 orders per 10 SECOND." in str(limited.value)
    headers = exchange.last_response_headers
    assert headers["X-MBX-ORDER-COUNT-10S"] == "5" and int(headers["Retry-After"]) <= 10
    assert sim.stats()["errors"]["-1015"] >= 1
    limits = httpx.get(sim.url + "/api/v3/exchangeInfo").json()["rateLimits"]
    assert {
        "rateLimitType": "ORDERS",
        "interval": "SECOND",
        "intervalNum": 10,
        "limit": 5,
    } in limits


def test_a_signed_request_the_simulator_does_not_know_is_logged_without_its_signature(
    sim: RunningSimulator, exchange: ccxt.binance
) -> None:
    with pytest.raises(ccxt.BaseError):
        exchange.privateDeleteOpenOrders({"symbol": "BTCUSDT"})
    assert sim.stats()["not_simulated"] == {"DELETE /api/v3/openOrders": 1}
    line = next(x for x in sim.log_text().splitlines() if "DELETE /api/v3/openOrders" in x)
    assert "signature=<redacted>" in line and "timestamp=" in line
    assert sim.key not in sim.log_text() and sim.secret not in sim.log_text()


def test_a_simulator_without_an_account_has_no_account_paths(tmp_path: Path) -> None:
    with running_simulator(pairs=2) as plain:
        assert httpx.get(plain.url + "/sim/account").status_code == 404
        assert httpx.get(plain.url + "/api/v3/account").status_code == 404
        with pytest.raises(RuntimeError, match="no account"):
            plain.key  # noqa: B018
