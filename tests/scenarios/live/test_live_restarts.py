"""A live consumer killed with ``kill -9`` around its orders (real ``freqtrade trade``).

One live consumer process (``dry_run: false`` on the simulator's account) runs
``FollowQuiet``, which never trades on its own: every order here is a force entry or exit
over its REST API. The tests run in order on the one bot, each on its own pair:

- killed while an entry's request is in flight (the simulator holds the answer): after the
  restart the order, found on the exchange by its journalled client id, is in a trade;
- killed while an exit's request is in flight: the exit is recorded in its trade, which
  closes;
- killed with an order resting on the exchange: freqtrade's own start-up finds it, and its
  unfilled timeout cancels it.

After each: one exchange order per decision, none outside a trade, the bot's wallet equal
to the account, the process still running (no crash loop), and a clear log line.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from freqfleet.sim import RunningSimulator, running_simulator
from freqfleet.sim.account_file import create_account_file
from freqfleet.strategy.order_journal import JOURNAL_FILE, OrderJournal, OrderState
from tests.kit.live_wallet import (
    DB_ORDERS_SQL,
    Reconciliation,
    db_orders_from_rows,
    reconcile,
)
from tests.scenarios.follow.support import Bot, _common, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ORDER = "/api/v3/order"
HELD_ANSWER_S = 60.0
"""How long the simulator holds an order's answer: longer than the test needs to kill."""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("live-restarts")
    account = workdir / "account.json"
    create_account_file(account, {"USDT": 100_000 * 10**8})  # in units of 1e-8
    with running_simulator(pairs=4, seed=5, account=account) as sim:
        config = _common(sim, sim.pairs, "live-consumer", throttle=1)
        config.update(
            {
                "dry_run": False,
                "max_open_trades": 4,
                "stake_amount": 100,
                "exchange": sim.exchange_config(sim.pairs, live=True),
                "unfilledtimeout": {"entry": 20, "exit": 20, "unit": "seconds"},
                "external_message_consumer": {
                    "enabled": True,
                    # No producer runs: the bot trades on force entries and exits only.
                    "producers": [
                        {"name": "producer-1", "host": "127.0.0.1", "port": 9, "ws_token": "t"}
                    ],
                },
                "fleet": {"follow": []},
            }
        )
        bot = Bot("live-consumer", workdir / "consumer", config, "FollowQuiet")
        try:
            bot.start()
            yield {"bot": bot, "sim": sim, "pairs": sim.pairs}
        finally:
            bot.stop()


def journal(bot: Bot) -> OrderJournal:
    return OrderJournal(bot.workdir / "user_data" / JOURNAL_FILE)


def exchange_orders(sim: RunningSimulator, pair: str) -> list[dict[str, Any]]:
    symbol = pair.replace("/", "")
    return [o for o in sim.account()["orders"] if o["symbol"] == symbol]


def in_background(call: Any) -> threading.Thread:
    """A REST call that will not get its answer (the bot is killed meanwhile)."""

    def run() -> None:
        with contextlib.suppress(Exception):  # the connection dies with the bot
            call()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def kill_and_restart(bot: Bot) -> None:
    pid = bot.process.pid if bot.process else None
    bot.stop(kill=True)
    assert bot.process is not None and bot.process.returncode == -9, pid
    bot.start()


def reconciliation(bot: Bot, sim: RunningSimulator) -> Reconciliation:
    answer = bot.client().balance()
    assert isinstance(answer, dict), answer
    wallet = {c["currency"]: (float(c["free"]), float(c["used"])) for c in answer["currencies"]}
    account = sim.account()
    # Assets the bot does not list (dust of no value) are compared only when it does.
    account_listed = {
        **account,
        "balances": {a: b for a, b in account["balances"].items() if a in wallet},
    }
    return reconcile(account_listed, db_orders_from_rows(bot.query(DB_ORDERS_SQL)), wallet)


def check_reconciled(bot: Bot, sim: RunningSimulator, case: str) -> None:
    """The account and the bot's database and wallet agree; print the figures.

    freqtrade refreshes a live wallet from the exchange after its own fills and on its
    refresh interval, not after every cancel: the wallet is given up to 30 s to catch up.
    """
    deadline = time.monotonic() + 30
    result = reconciliation(bot, sim)
    while not result.clean and time.monotonic() < deadline:
        time.sleep(1)
        result = reconciliation(bot, sim)
    print(f"{case}: {result.summary()}")
    assert result.clean, result.summary()
    time.sleep(2)
    assert bot.process is not None and bot.process.poll() is None, "the bot exited"


def test_killed_while_an_entry_is_in_flight_the_order_is_recorded_after_the_restart(
    live: dict[str, Any],
) -> None:
    bot, sim, pair = live["bot"], live["sim"], live["pairs"][0]
    sim.inject_fault(method="POST", path=ORDER, kind="delay", delay_s=HELD_ANSWER_S)
    in_background(lambda: bot.client().forceenter(pair, "long", order_type="market"))
    wait_until(lambda: exchange_orders(sim, pair), 30, "the entry to reach the exchange")
    sent = journal(bot).unsettled(pair)
    assert [e.state for e in sent] == [OrderState.SENT]
    kill_and_restart(bot)
    sim.clear_faults()
    trade = wait_until(lambda: bot.open_trade(pair), 30, "the entry's trade after the restart")
    [order] = exchange_orders(sim, pair)
    assert order["clientOrderId"] == sent[0].client_id
    assert [o["order_id"] for o in trade["orders"]] == [str(order["id"])]
    assert trade["amount"] > 0
    assert "sent before the bot stopped was found on the exchange" in bot.log_text()
    wait_until(
        lambda: any(
            e.client_id == sent[0].client_id and e.state is OrderState.ADOPTED
            for e in journal(bot).entries()
        ),
        10,
        "the journal to record the order as adopted",
    )
    check_reconciled(bot, sim, "killed with an entry in flight")


def test_killed_while_an_exit_is_in_flight_the_exit_closes_its_trade_after_the_restart(
    live: dict[str, Any],
) -> None:
    bot, sim, pair = live["bot"], live["sim"], live["pairs"][1]
    opened = bot.client().forceenter(pair, "long", order_type="market")
    assert isinstance(opened, dict) and opened.get("trade_id"), opened
    trade = wait_until(
        lambda: (t := bot.open_trade(pair)) and not t["has_open_orders"] and t,
        30,
        "the entry to fill",
    )
    sim.inject_fault(method="POST", path=ORDER, kind="delay", delay_s=HELD_ANSWER_S)
    in_background(lambda: bot.client().forceexit(trade["trade_id"], ordertype="market"))
    wait_until(lambda: len(exchange_orders(sim, pair)) == 2, 30, "the exit to reach the exchange")
    kill_and_restart(bot)
    sim.clear_faults()
    wait_until(lambda: bot.open_trade(pair) is None, 60, "the trade to close after the restart")
    orders = exchange_orders(sim, pair)
    assert [o["side"] for o in orders] == ["BUY", "SELL"]
    assert all(o["status"] == "FILLED" for o in orders)
    closed = [t for t in bot.closed_trades() if t["pair"] == pair]
    assert len(closed) == 1 and not closed[0]["is_open"]
    assert sorted(o["order_id"] for o in closed[0]["orders"]) == sorted(
        str(o["id"]) for o in orders
    )
    check_reconciled(bot, sim, "killed with an exit in flight")


def test_killed_with_an_order_open_on_the_exchange_it_is_managed_after_the_restart(
    live: dict[str, Any],
) -> None:
    bot, sim, pair = live["bot"], live["sim"], live["pairs"][2]
    symbol = pair.replace("/", "")
    rate = float(
        httpx.get(f"{sim.url}/api/v3/ticker/price", params={"symbol": symbol}).json()["price"]
    )
    # A limit entry 3 % under the market rests on the exchange.
    opened = bot.client().forceenter(pair, "long", price=round(rate * 0.97, 2), order_type="limit")
    assert isinstance(opened, dict) and opened.get("trade_id"), opened
    [order] = wait_until(lambda: exchange_orders(sim, pair), 30, "the resting entry")
    assert order["status"] == "NEW"
    kill_and_restart(bot)
    wait_until(lambda: "Updating 1 open orders." in bot.log_text(), 30, "the start-up's update")
    # The unfilled timeout (20 s) cancels it; freqtrade deletes the trade it opened.
    wait_until(
        lambda: exchange_orders(sim, pair)[0]["status"] == "CANCELED", 60, "the timeout's cancel"
    )
    wait_until(lambda: bot.open_trade(pair) is None, 30, "the unfilled trade to go")
    assert len(exchange_orders(sim, pair)) == 1
    assert Decimal(exchange_orders(sim, pair)[0]["executedQty"]) == 0
    check_reconciled(bot, sim, "killed with an order open")
