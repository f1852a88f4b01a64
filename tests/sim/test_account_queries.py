"""Binance's paging of order and trade history, as ``allOrders`` and ``myTrades`` page."""

from __future__ import annotations

from freqfleet.sim.account_queries import coin_info, select

ITEMS = [(id_, 1000 * id_) for id_ in range(1, 11)]  # (id, time): one a second


def pick(first: int | None, start: int | None, end: int | None, limit: int) -> list[int]:
    chosen = select(ITEMS, lambda i: i[0], lambda i: i[1], first, start, end, limit)
    return [id_ for id_, _ in chosen]


def test_without_a_start_the_newest_come_oldest_first() -> None:
    assert pick(None, None, None, 3) == [8, 9, 10]
    assert pick(None, None, 5000, 3) == [3, 4, 5]


def test_from_an_id_or_a_start_the_oldest_come_first() -> None:
    assert pick(4, None, None, 3) == [4, 5, 6]
    assert pick(None, 6500, None, 10) == [7, 8, 9, 10]
    assert pick(None, 2000, 4000, 10) == [2, 3, 4]
    assert pick(11, None, None, 5) == []


def test_a_coin_has_one_network_named_as_itself() -> None:
    coin = coin_info("BTC", 150_000_000, 1)
    assert (coin["coin"], coin["free"], coin["locked"]) == ("BTC", "1.50000000", "0.00000001")
    assert coin["networkList"][0]["network"] == "BTC" and coin["trading"] is True
