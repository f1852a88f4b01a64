"""A live fleet consumer in this process: freqtrade's ``FreqtradeBot`` with ``dry_run:
false`` on the simulator's account, fed producer rows through its message consumer.

Orders go through freqtrade's own live path (signed requests, order states, fees from the
account's trades) and the consumer's order guard; the test drives the bot's loop and reads
its database, its wallet and the account (``GET /sim/account``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from freqtrade.enums import RunMode
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.persistence import Trade

from freqfleet.sim import RunningSimulator
from tests.kit.live_wallet import Reconciliation, db_orders_in_process, reconcile
from tests.kit.sim_consumer import (
    PRODUCER,
    OneBot,
    consumer_config,
    send_frame,
    send_whitelist,
    silent_strategy,
)

STAKE = 50.0

STRATEGY = silent_strategy(
    "LiveOrders",
    "Enters and exits only when told (the tests call freqtrade's own entry and exit).",
    roi=10.0,
    stoploss=-0.99,
    more="""

class LiveOrdersFleet(FleetStrategy, LiveOrders):
    pass
""",
)


def live_config(
    sim: RunningSimulator,
    tmp_path: Path,
    name: str,
    pairs: list[str],
    ccxt_timeout_ms: int | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """A live consumer's config on ``sim``'s account (limit orders unless changed);
    ``ccxt_timeout_ms``: how long ccxt waits for an answer."""
    exchange = sim.exchange_config(pairs, bot=name, websocket=False, live=True)
    for key in ("ccxt_config", "ccxt_async_config"):
        exchange[key] = {**(exchange.get(key) or {}), "enableRateLimit": False}
        if ccxt_timeout_ms is not None:
            exchange[key]["timeout"] = ccxt_timeout_ms
    settings: dict[str, Any] = {
        "dry_run": False,
        "stake_amount": STAKE,
        "order_types": {
            "entry": "limit",
            "exit": "limit",
            "stoploss": "market",
            "stoploss_on_exchange": False,
        },
        "unfilledtimeout": {"entry": 3, "exit": 3, "unit": "seconds"},
        "exchange": exchange,
        "db_url": f"sqlite:///{tmp_path / (name + '.sqlite')}",
        "fleet": {"follow": ["exits"], "exit_price_secs": 5},
    }
    strategy = ("LiveOrdersFleet", STRATEGY)
    return consumer_config(
        sim, tmp_path, name, pairs, strategy, RunMode.LIVE, **{**settings, **changes}
    )


@dataclass
class LiveConsumer:
    """A live consumer bot and the simulator it trades on."""

    bot: FreqtradeBot
    sim: RunningSimulator
    pairs: list[str]
    start: dict[str, Decimal] = field(default_factory=dict)
    sent: set[str] = field(default_factory=set)

    def send_rows(self) -> None:
        """The producer's whitelist and a frame per pair (no signal), once."""
        dp = self.bot.dataprovider
        if not self.sent:
            send_whitelist(self.bot, self.pairs)
        for pair in self.pairs:
            if pair in self.sent:
                continue
            candles = dp.ohlcv(pair, "1m").copy()
            if candles.empty:
                continue
            candles["enter_long"] = 0
            candles["exit_long"] = 0
            send_frame(self.bot, pair, candles)
            self.sent.add(pair)

    def loop(self) -> None:
        self.send_rows()
        self.bot.process()

    def trades(self) -> list[Trade]:
        return list(Trade.get_trades_proxy())

    def open_trade(self, pair: str) -> Trade | None:
        return next((t for t in self.trades() if t.pair == pair and t.is_open), None)

    def wallet(self) -> dict[str, tuple[float, float]]:
        self.bot.wallets.update()
        return {
            currency: (wallet.free, wallet.used)
            for currency, wallet in self.bot.wallets.get_all_balances().items()
        }

    def steps(self) -> dict[str, Decimal]:
        markets = self.bot.exchange.markets
        return {pair: Decimal(str(markets[pair]["precision"]["amount"])) for pair in self.pairs}

    def reconcile(self) -> Reconciliation:
        return reconcile(
            self.sim.account(),
            db_orders_in_process(),
            self.wallet(),
            start=self.start,
            steps=self.steps(),
        )

    def exchange_orders(self, pair: str) -> list[dict[str, Any]]:
        symbol = pair.replace("/", "")
        return [o for o in self.sim.account()["orders"] if o["symbol"] == symbol]


def account_totals(sim: RunningSimulator) -> dict[str, Decimal]:
    return {
        asset: Decimal(b["free"]) + Decimal(b["locked"])
        for asset, b in sim.account()["balances"].items()
    }


@pytest.fixture
def live_consumer(tmp_path: Path) -> Iterator[Any]:
    """``make(sim, pairs, **config changes)``: a live consumer (one at a time: freqtrade's
    database is one per process), cleaned up after the test."""
    bots = OneBot()

    def make(sim: RunningSimulator, pairs: list[str], **changes: Any) -> LiveConsumer:
        bots.stop()
        sim.clear_faults()
        bot = bots.start(live_config(sim, tmp_path, "live-0", pairs, **changes))
        bot.startup()
        consumer = LiveConsumer(bot, sim, pairs, start=account_totals(sim))
        bot.process()  # the first loop: candles of every pair
        consumer.send_rows()
        return consumer

    yield make
    bots.stop()


__all__ = ["PRODUCER", "STAKE", "LiveConsumer", "account_totals", "live_config", "live_consumer"]
