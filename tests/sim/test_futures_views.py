"""The futures account written as Binance USD-M's JSON: orders' executed quantity and
average price, a position's risk (amount, notional, margins, liquidation price) and the
account and balance sums, all agreeing with the account to the unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from freqfleet.sim import futures_margin as fm
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.futures_account import FuturesAccount
from freqfleet.sim.futures_records import ISOLATED
from freqfleet.sim.futures_views import (
    V3_RISK_FIELDS,
    account_answer,
    balance_answer,
    order_result,
    position_risk,
    totals,
)
from tests.kit import futures_book
from tests.kit.clock import Clock
from tests.kit.futures_book import BTC, ETH, UNIT, make, market

exchange = futures_book.exchange


@pytest.fixture
def account(exchange: SimExchange, clock: Clock) -> FuturesAccount:
    """A cross long on BTC and an isolated short on ETH, an hour old."""
    made = make(exchange)
    made.set_leverage(BTC, 10, clock.now_ms)
    made.set_margin_type(ETH, ISOLATED, clock.now_ms)
    made.set_leverage(ETH, 4, clock.now_ms)
    made.place(market("BUY", 3000), clock.now_ms)
    made.place(market("SELL", 500, ETH), clock.now_ms)
    clock.now_ms += 3_600_000
    return made


def units(text: str) -> int:
    return int(Decimal(text) * UNIT)


def test_an_order_shows_its_executed_quantity_and_average_price(
    account: FuturesAccount,
) -> None:
    order = next(o for o in account.orders.values() if o.market == BTC)
    shown = order_result(account, order)
    spec = account.markets[BTC]
    executed = Decimal(shown["executedQty"])
    assert executed == Decimal(order.executed).scaleb(-spec.amount_decimals)
    assert units(shown["cumQuote"]) == order.cum_quote
    average = Decimal(shown["avgPrice"])
    assert abs(average * executed - Decimal(order.cum_quote) / UNIT) < Decimal("1e-6")
    assert (shown["status"], shown["side"], shown["reduceOnly"]) == ("FILLED", "BUY", False)


def test_a_positions_risk_agrees_with_the_account(account: FuturesAccount, clock: Clock) -> None:
    now = clock.now_ms
    for index, sign, kind in ((BTC, 1, "cross"), (ETH, -1, "isolated")):
        risk = position_risk(account, index, now)
        pos, spec = account.position(index), account.markets[index]
        assert Decimal(risk["positionAmt"]) * sign > 0 and risk["marginType"] == kind
        value = fm.notional(spec, account.mark(index, now), pos.qty)
        assert units(risk["notional"]) == sign * value
        assert units(risk["unRealizedProfit"]) == account.unrealized(index, now)
        assert units(risk["maintMargin"]) == account.maint_margin(index, now)
        assert units(risk["positionInitialMargin"]) == account.position_margin(index, now)
        liquidation = Decimal(risk["liquidationPrice"])
        mark = Decimal(risk["markPrice"])
        # A long is liquidated below the mark, a short above.
        assert (mark - liquidation) * sign > 0
        assert set(V3_RISK_FIELDS) <= set(risk)
    isolated = position_risk(account, ETH, now)
    assert units(isolated["isolatedWallet"]) == account.position(ETH).isolated_margin


def test_account_and_balance_sums_are_the_wallets(account: FuturesAccount, clock: Clock) -> None:
    now = clock.now_ms
    sums = totals(account, now)
    upnl = account.unrealized(BTC, now) + account.unrealized(ETH, now)
    assert sums["totalWalletBalance"] == account.wallet
    assert sums["totalMarginBalance"] == account.wallet + upnl
    assert sums["availableBalance"] == account.available(now)
    assert sums["totalCrossWalletBalance"] == account.wallet - account.position(ETH).isolated_margin
    for version in (2, 3):
        answer = account_answer(account, now, version)
        assert units(answer["totalWalletBalance"]) == account.wallet
        assert [p["symbol"] for p in answer["positions"]] == ["BTCUSDT", "ETHUSDT"]
        assert ("leverage" in answer["positions"][0]) is (version == 2)
    [usdt] = balance_answer(account, now)
    assert units(usdt["balance"]) == account.wallet
    assert units(usdt["availableBalance"]) == account.available(now)
