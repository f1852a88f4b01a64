"""A fill moves its order on and is written as a trade, the same on spot and futures."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from freqfleet.sim.matching import Fill
from freqfleet.sim.trade_records import TradeRecord, record_fill, trades_of


@dataclass
class Order:
    id: int
    market: int
    symbol: str
    side: str
    executed: int = 0
    cum_quote: int = 0
    update_ms: int = 0
    trades: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class WithCommission(TradeRecord):
    commission: int = 0


def test_each_fill_adds_to_the_order_and_becomes_a_trade_of_the_account_kind() -> None:
    order = Order(id=7, market=2, symbol="ETHUSDT", side="BUY")
    first = record_fill(WithCommission, order, Fill(3000_00, 5, 1_000), 15_000, 1, commission=5)
    second = record_fill(
        WithCommission, order, Fill(3001_00, 3, 2_000, maker=True), 9_003, 2, commission=3
    )

    assert (order.executed, order.cum_quote, order.update_ms) == (8, 24_003, 2_000)
    assert order.trades == [1, 2]
    assert isinstance(first, WithCommission) and first.commission == 5
    assert (first.order_id, first.market, first.symbol, first.side) == (7, 2, "ETHUSDT", "BUY")
    assert (second.price, second.qty, second.quote, second.maker) == (3001_00, 3, 9_003, True)
    assert (first.time_ms, second.time_ms) == (1_000, 2_000)


def test_an_unknown_money_field_is_refused() -> None:
    order = Order(id=1, market=0, symbol="BTCUSDT", side="SELL")
    with pytest.raises(TypeError):
        record_fill(WithCommission, order, Fill(1, 1, 1), 1, 1, realized_pnl=1)


def test_trades_are_selected_by_market_and_optionally_by_order() -> None:
    order_a = Order(id=1, market=0, symbol="BTCUSDT", side="BUY")
    order_b = Order(id=2, market=0, symbol="BTCUSDT", side="SELL")
    order_c = Order(id=3, market=1, symbol="ETHUSDT", side="BUY")
    trades = [
        record_fill(WithCommission, order, Fill(10, 1, n), 10, n)
        for n, order in enumerate([order_a, order_b, order_c, order_a], start=1)
    ]

    assert [t.id for t in trades_of(trades, 0, None)] == [1, 2, 4]
    assert [t.id for t in trades_of(trades, 0, 1)] == [1, 4]
    assert trades_of(trades, 1, 1) == []
