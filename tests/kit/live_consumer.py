"""A live fleet consumer in this process: freqtrade's ``FreqtradeBot`` with ``dry_run:
false`` on the simulator's account, fed producer rows through its message consumer.

Orders go through freqtrade's own live path (signed requests, order states, fees from the
account's trades) and the consumer's order guard; the test drives the bot's loop and reads
its database, its wallet and the account (``GET /sim/account``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
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

MARKET = {"entry": "market", "exit": "market", "stoploss": "market", "stoploss_on_exchange": False}
"""Market orders for every kind (``order_types``)."""
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

    def send_signals(self, pairs: list[str]) -> None:
        """The producer's whitelist and, for every pair, its closed candles with an entry
        signal on ``pairs``' newest (the consumer's candles come from these frames)."""
        send_whitelist(self.bot, self.pairs)
        for pair in self.pairs:
            frame = closed_candles(self.sim, pair)
            if pair in pairs:
                frame.loc[frame.index[-1], "enter_long"] = 1
            send_frame(self.bot, pair, frame)
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


def closed_candles(sim: RunningSimulator, pair: str, limit: int = 200) -> pd.DataFrame:
    """The simulator's closed 1m candles of ``pair`` as a producer sends them (no signal;
    at least freqtrade's FULL_DATAFRAME_THRESHOLD of 100 rows: stored as a whole frame)."""
    answer = httpx.get(
        f"{sim.url}/api/v3/klines",
        params={"symbol": pair.replace("/", ""), "interval": "1m", "limit": limit},
        timeout=10,
    ).json()
    frame = pd.DataFrame(
        [[int(k[0]), *(float(v) for v in k[1:6])] for k in answer],
        columns=["date", "open", "high", "low", "close", "volume"],
    )
    frame["date"] = pd.to_datetime(frame["date"], unit="ms", utc=True)
    frame = frame[frame["date"] + timedelta(minutes=1) <= datetime.now(UTC)]
    frame["enter_long"] = 0
    frame["exit_long"] = 0
    return frame.reset_index(drop=True)


def away_from_a_close(margin: float = 10.0) -> None:
    """Wait until a minute's close is at least ``margin`` seconds away (the signals' candle
    stays the newest during a test of a few loops)."""
    into = time.time() % 60
    if into > 60 - margin:
        time.sleep(60 - into + 1)


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


@pytest.fixture
def dry_consumer(sim: RunningSimulator, tmp_path: Path) -> Iterator[Callable[..., LiveConsumer]]:
    """``make(name, **config changes)``: a dry-run consumer on every simulator pair with
    market entries (one bot at a time: freqtrade's database is one per process)."""
    bots = OneBot()

    def make(name: str, **changes: Any) -> LiveConsumer:
        config = live_config(
            sim, tmp_path, name, list(sim.pairs), dry_run=True, order_types=MARKET, **changes
        )
        config["runmode"] = RunMode.DRY_RUN
        bot = bots.start(config)
        bot.startup()
        bot.process()
        consumer = LiveConsumer(bot, sim, list(sim.pairs), start=account_totals(sim))
        consumer.send_signals([])  # the producer's pairs, routed in the next loop
        consumer.loop()
        return consumer

    yield make
    bots.stop()


__all__ = [
    "PRODUCER",
    "STAKE",
    "LiveConsumer",
    "account_totals",
    "away_from_a_close",
    "closed_candles",
    "dry_consumer",
    "live_config",
    "live_consumer",
]
