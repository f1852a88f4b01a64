"""ccxt's own ``binanceusdm`` on a limit order that fills in parts: at once as a taker for
what the book holds at its price, then resting as a maker while the price path comes back.

Each part is one ``userTrades`` line with its own commission (0.05 % taken, 0.02 % rested,
of its ``quoteQty``), one ``COMMISSION`` income and the wallet's debit; the order (no fee:
a Binance futures order carries none) totals them. The simulator runs in process on a
clock the test moves, so the fills are the same in every run."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_CEILING, Decimal

import ccxt
import pytest

from tests.kit.clock import Clock
from tests.kit.clocked_sim import ClockedSimulator, clocked_simulator

pytestmark = pytest.mark.timeout(120)

PAIR = "SOL/USDT:USDT"
TAKER, MAKER = Decimal("0.0005"), Decimal("0.0002")
UNIT = Decimal("1e-8")


@pytest.fixture
def sim() -> Iterator[ClockedSimulator]:
    with clocked_simulator(Clock()) as running:
        yield running


@pytest.fixture
def client(sim: ClockedSimulator) -> ccxt.binanceusdm:
    section = sim.futures_config([PAIR], bot="fills")["exchange"]
    client = ccxt.binanceusdm(
        {**section["ccxt_config"], "apiKey": section["key"], "secret": section["secret"]}
    )
    sim.sync(client)
    client.load_markets()
    return client


def filled_in_parts(sim: ClockedSimulator, client: ccxt.binanceusdm) -> tuple[dict, dict, float]:
    """A buy at the best ask for half as much again as the ask holds, as placed and once
    filled (the clock moved a second at a time), and the ask's size."""
    price, size = client.fetch_order_book(PAIR, 5)["asks"][0]
    amount = float(client.amount_to_precision(PAIR, size * 1.5))
    placed = client.create_order(PAIR, "limit", "buy", amount, price)
    order = placed
    for _ in range(300):
        if order["status"] == "closed":
            break
        sim.advance(1000)
        order = client.fetch_order(placed["id"], PAIR)
    assert order["status"] == "closed", order
    return placed, order, size


def commission(quote: str, rate: Decimal) -> Decimal:
    return (Decimal(quote) * rate).quantize(UNIT, rounding=ROUND_CEILING)


def test_a_limit_order_filled_at_once_and_resting_pays_taker_then_maker_per_fill(
    sim: ClockedSimulator, client: ccxt.binanceusdm
) -> None:
    wallet = Decimal(client.fetch_balance()["info"]["totalWalletBalance"])
    placed, order, size = filled_in_parts(sim, client)
    assert placed["status"] == "open" and placed["filled"] == size
    assert order["fee"] is None and order["filled"] == order["amount"]
    assert order["average"] == order["price"] and order["timestamp"] == placed["timestamp"]

    # freqtrade's query: the pair's trades since five seconds before the order's time
    trades = client.fetch_my_trades(PAIR, order["timestamp"] - 5_000)
    mine = [t for t in trades if t["order"] == order["id"]]
    assert mine == trades and len(mine) >= 3
    taken, *rested = [t["info"] for t in mine]
    assert (taken["maker"], Decimal(taken["qty"])) == (False, Decimal(str(size)))
    assert taken["time"] == order["timestamp"]
    assert all(t["maker"] and t["time"] > order["timestamp"] for t in rested)
    assert Decimal(taken["commission"]) == commission(taken["quoteQty"], TAKER)
    for fill in rested:
        assert Decimal(fill["commission"]) == commission(fill["quoteQty"], MAKER)
    assert {t["takerOrMaker"] for t in mine[1:]} == {"maker"}
    assert sum(Decimal(t["qty"]) for t in [taken, *rested]) == Decimal(order["info"]["executedQty"])
    quote = sum(Decimal(t["quoteQty"]) for t in [taken, *rested])
    assert quote == Decimal(order["info"]["cumQuote"])

    charged = {str(t["id"]): Decimal(t["commission"]) for t in [taken, *rested]}
    incomes = client.fapiPrivateGetIncome({"symbol": "SOLUSDT", "incomeType": "COMMISSION"})
    assert {i["tradeId"]: -Decimal(i["income"]) for i in incomes} == charged
    after = Decimal(client.fetch_balance()["info"]["totalWalletBalance"])
    assert wallet - after == sum(charged.values())
    # what the account charged is no single rate's: taker for the part taken, maker after
    assert quote * MAKER < sum(charged.values()) < quote * TAKER
