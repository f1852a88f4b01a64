"""A live fleet consumer in this process: freqtrade's ``FreqtradeBot`` with ``dry_run:
false`` on the simulator's account, fed producer rows through its message consumer.

Orders go through freqtrade's own live path (signed requests, order states, fees from the
account's trades) and the consumer's order guard; the test drives the bot's loop and reads
its database, its wallet and the account (``GET /sim/account``).
"""

from __future__ import annotations

import json
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
from freqtrade.configuration import Configuration
from freqtrade.enums import RunMode
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.persistence import Trade

from freqfleet.sim import RunningSimulator
from tests.kit.fleet_strategy import producer_entry, wire
from tests.kit.live_wallet import Reconciliation, db_orders_in_process, reconcile

PRODUCER = "producer-1"
MARKET = {"entry": "market", "exit": "market", "stoploss": "market", "stoploss_on_exchange": False}
"""Market orders for every kind (``order_types``)."""
STAKE = 50.0

STRATEGY = '''
from pandas import DataFrame

from freqtrade.strategy import IStrategy

from freqfleet.strategy import FleetStrategy


class LiveOrders(IStrategy):
    """Enters and exits only when told (the tests call freqtrade's own entry and exit)."""

    INTERFACE_VERSION = 3
    timeframe = "1m"
    minimal_roi = {"0": 10.0}
    stoploss = -0.99
    use_exit_signal = True
    startup_candle_count = 0

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 0
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe


class LiveOrdersFleet(FleetStrategy, LiveOrders):
    pass
'''


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
    user_data = tmp_path / name
    (user_data / "strategies").mkdir(parents=True, exist_ok=True)
    (user_data / "strategies" / "live_orders.py").write_text(STRATEGY)
    exchange = sim.exchange_config(pairs, bot=name, websocket=False, live=True)
    for key in ("ccxt_config", "ccxt_async_config"):
        exchange[key] = {**(exchange.get(key) or {}), "enableRateLimit": False}
        if ccxt_timeout_ms is not None:
            exchange[key]["timeout"] = ccxt_timeout_ms
    config: dict[str, Any] = {
        "bot_name": name,
        "strategy": "LiveOrdersFleet",
        "dry_run": False,
        "stake_currency": "USDT",
        "stake_amount": STAKE,
        "max_open_trades": len(pairs),
        "timeframe": "1m",
        "trading_mode": "spot",
        "margin_mode": "",
        "initial_state": "running",
        "order_types": {
            "entry": "limit",
            "exit": "limit",
            "stoploss": "market",
            "stoploss_on_exchange": False,
        },
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "unfilledtimeout": {"entry": 3, "exit": 3, "unit": "seconds"},
        "exchange": exchange,
        "pairlists": [{"method": "StaticPairList"}],
        "internals": {"process_throttle_secs": 1, "heartbeat_interval": 0},
        "db_url": f"sqlite:///{tmp_path / (name + '.sqlite')}",
        "user_data_dir": str(user_data),
        "datadir": str(user_data / "data"),
        "external_message_consumer": {
            "enabled": True,
            "producers": [producer_entry(PRODUCER)],
            "sleep_time": 60,
        },
        "fleet": {"follow": ["exits"], "exit_price_secs": 5},
    }
    config.update(changes)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    loaded = Configuration.from_files([str(path)])
    loaded["runmode"] = RunMode.LIVE
    return loaded


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
            self.bot.emc.handle_producer_message(
                producer_entry(PRODUCER), wire({"type": "whitelist", "data": self.pairs})
            )
        for pair in self.pairs:
            if pair in self.sent:
                continue
            candles = dp.ohlcv(pair, "1m").copy()
            if candles.empty:
                continue
            candles["enter_long"] = 0
            candles["exit_long"] = 0
            message = {
                "type": "analyzed_df",
                "data": {"key": [pair, "1m", "spot"], "df": candles, "la": datetime.now(UTC)},
            }
            self.bot.emc.handle_producer_message(producer_entry(PRODUCER), wire(message))
            self.sent.add(pair)

    def send_signals(self, pairs: list[str]) -> None:
        """The producer's whitelist and, for every pair, its closed candles with an entry
        signal on ``pairs``' newest (the consumer's candles come from these frames)."""
        self.bot.emc.handle_producer_message(
            producer_entry(PRODUCER), wire({"type": "whitelist", "data": self.pairs})
        )
        for pair in self.pairs:
            frame = closed_candles(self.sim, pair)
            if pair in pairs:
                frame.loc[frame.index[-1], "enter_long"] = 1
            message = {
                "type": "analyzed_df",
                "data": {"key": [pair, "1m", "spot"], "df": frame, "la": datetime.now(UTC)},
            }
            self.bot.emc.handle_producer_message(producer_entry(PRODUCER), wire(message))
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
    made: list[FreqtradeBot] = []

    def make(sim: RunningSimulator, pairs: list[str], **changes: Any) -> LiveConsumer:
        while made:
            made.pop().cleanup()
        sim.clear_faults()
        bot = FreqtradeBot(live_config(sim, tmp_path, f"live-{len(made)}", pairs, **changes))
        made.append(bot)
        bot.startup()
        consumer = LiveConsumer(bot, sim, pairs, start=account_totals(sim))
        bot.process()  # the first loop: candles of every pair
        consumer.send_rows()
        return consumer

    yield make
    for bot in made:
        bot.cleanup()


@pytest.fixture
def dry_consumer(sim: RunningSimulator, tmp_path: Path) -> Iterator[Callable[..., LiveConsumer]]:
    """``make(name, **config changes)``: a dry-run consumer on every simulator pair with
    market entries (one bot at a time: freqtrade's database is one per process)."""
    made: list[FreqtradeBot] = []

    def make(name: str, **changes: Any) -> LiveConsumer:
        while made:
            made.pop().cleanup()
        config = live_config(
            sim, tmp_path, name, list(sim.pairs), dry_run=True, order_types=MARKET, **changes
        )
        config["runmode"] = RunMode.DRY_RUN
        bot = FreqtradeBot(config)
        made.append(bot)
        bot.startup()
        bot.process()
        consumer = LiveConsumer(bot, sim, list(sim.pairs), start=account_totals(sim))
        consumer.send_signals([])  # the producer's pairs, routed in the next loop
        consumer.loop()
        return consumer

    yield make
    for bot in made:
        bot.cleanup()


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
