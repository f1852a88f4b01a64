"""A live futures freqtrade bot (``FreqtradeBot``, ``dry_run: false``, in process) whose
limit entry fills in parts, on a simulator in process whose clock the test moves.

The entry takes the best ask at once (a taker fill, 0.05 %) and rests for the rest (maker
fills, 0.02 %). freqtrade reads the order's trades and books as the entry's fee rate the
unweighted mean of the fills' rates (its rule, tests/kit/live_futures_wallet.py), not
what the account charged; the reconciliation states that gap, with its numbers, and finds
the bot's wallet, orders, position and profit otherwise equal to the account's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from freqtrade.configuration import Configuration
from freqtrade.enums import ExitCheckTuple, ExitType, RunMode
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.persistence import Trade

from tests.kit.clock import Clock
from tests.kit.clocked_sim import ClockedSimulator, clocked_simulator
from tests.kit.force_only import write_force_only
from tests.kit.live_futures_wallet import reconcile_futures, side_fees
from tests.kit.sim_consumer import OneBot

pytestmark = pytest.mark.timeout(180)

PAIR = "SOL/USDT:USDT"
LEVERAGE = 2


def bot_config(sim: ClockedSimulator, folder: Path) -> dict[str, Any]:
    """Limit entries at the best ask (freqtrade prices futures from the book), market
    exits; the unfilled timeout never strikes (the account's clock is not the bot's)."""
    write_force_only(folder, "ForceOnlyFutures", stoploss=-0.9, can_short=True)
    config = {
        "bot_name": "futures-fees",
        "dry_run": False,
        "max_open_trades": 1,
        "stake_currency": "USDT",
        "stake_amount": "unlimited",
        "timeframe": "1m",
        "strategy": "ForceOnlyFutures",
        "user_data_dir": str(folder),
        "db_url": f"sqlite:///{folder}/live.sqlite",
        "initial_state": "running",
        "order_types": {
            "entry": "limit",
            "exit": "market",
            "stoploss": "market",
            "stoploss_on_exchange": False,
        },
        "unfilledtimeout": {"entry": 100_000, "exit": 100_000, "unit": "minutes"},
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "pairlists": [{"method": "StaticPairList"}],
        **sim.futures_config([PAIR], bot="futures-fees"),
    }
    path = folder / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    loaded = Configuration.from_files([str(path)])
    loaded["runmode"] = RunMode.LIVE
    return loaded


@pytest.fixture
def sim() -> Iterator[ClockedSimulator]:
    with clocked_simulator(Clock(), futures_usdt=10_000) as running:
        yield running


@pytest.fixture
def bot(sim: ClockedSimulator, tmp_path: Path) -> Iterator[FreqtradeBot]:
    bots = OneBot()
    started = bots.start(bot_config(sim, tmp_path / "user_data"))
    sim.sync(started.exchange._api, started.exchange._api_async)
    started.startup()
    yield started
    bots.stop()


def settle(sim: ClockedSimulator, bot: FreqtradeBot, trade: Trade, order_id: str) -> None:
    """Move the clock a second at a time, freqtrade reading the order each time (as its
    loop does for an open order), until it closed."""
    for _ in range(300):
        bot.update_trade_state(trade, order_id)
        order = trade.select_order_by_order_id(order_id)
        if order is not None and order.status == "closed":
            return
        sim.advance(1000)
    raise AssertionError(f"order {order_id} still open")


def test_a_limit_entry_filled_in_parts_is_booked_at_the_mean_of_its_fills_rates(
    sim: ClockedSimulator, bot: FreqtradeBot
) -> None:
    price, size = bot.exchange.fetch_l2_order_book(PAIR, 5)["asks"][0]
    stake = price * size * 1.5 / LEVERAGE  # half as much again as the best ask holds
    assert bot.execute_entry(PAIR, stake, leverage_=LEVERAGE)
    [trade] = Trade.get_trades_proxy()
    entry_id = trade.orders[0].order_id
    assert trade.orders[0].filled == size  # the ask, at once; the rest rests
    settle(sim, bot, trade, entry_id)

    fills = [t for t in sim.account()["futures"]["trades"] if str(t["orderId"]) == entry_id]
    assert [t["maker"] for t in fills] == [False] + [True] * (len(fills) - 1)
    assert len(fills) >= 3
    entry = side_fees(trade.to_json(), fills, entry=True)
    charged = sum(Decimal(t["commission"]) for t in fills)
    value = sum(Decimal(t["quoteQty"]) for t in fills)
    assert entry.charged == charged and abs(entry.value - value) < Decimal("1e-6")
    # freqtrade's rate is the mean of the fills' rates, not what the account charged
    taker, maker = Decimal("0.0005"), Decimal("0.0002")
    mean = (taker + maker * (len(fills) - 1)) / len(fills)
    assert abs(Decimal(str(trade.fee_open)) - mean) < Decimal("1e-12")
    assert charged / value - mean > Decimal("0.00001")
    # and its fee_open_cost is that rate times the margin
    assert abs(Decimal(str(trade.fee_open_cost)) - mean * value / LEVERAGE) < Decimal("1e-6")

    exit_price = bot.exchange.fetch_l2_order_book(PAIR, 5)["bids"][0][0]
    assert bot.execute_trade_exit(trade, exit_price, ExitCheckTuple(ExitType.FORCE_EXIT))
    settle(sim, bot, trade, trade.orders[-1].order_id)
    assert not trade.is_open

    bot.wallets.update()
    wallet = {"free": bot.wallets.get_free("USDT"), "total": bot.wallets.get_total("USDT")}
    futures = sim.account()["futures"]
    result = reconcile_futures(futures, [trade.to_json()], wallet)
    assert result.clean, result.differences
    [gap] = result.fee_gaps
    assert (gap.side, gap.charged, gap.rate) == ("entry", charged, mean)
    assert abs(gap.booked - Decimal(str(trade.fee_open)) * value) < Decimal("1e-6")
    # the bot's profit is the account's plus that gap (the exit, a taker's, has none)
    realized = sum(Decimal(t["realizedPnl"]) for t in futures["trades"])
    account_profit = realized - sum(Decimal(t["commission"]) for t in futures["trades"])
    assert abs(Decimal(str(trade.close_profit_abs)) - account_profit - gap.gap) < Decimal("1e-6")
    print(gap)
