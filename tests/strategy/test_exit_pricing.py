"""A consumer reuses open trades' prices between loops, and never acts on a reused one.

The bots here are real freqtrade ``FreqtradeBot`` consumers in dry-run on the simulator
(markets, candles); where a test needs prices it controls, the exchange's order-book
answer is scripted (``ScriptedBook``: the ccxt call, nothing of freqtrade's). The policy's
clock is a test clock moved one second per loop, as the consumer's 1 s loop does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from freqtrade.enums import RunMode
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.persistence import Trade

from freqfleet.sim import RunningSimulator, running_simulator
from freqfleet.strategy.exit_pricing import ExitPrices
from freqfleet.strategy.follow.events import FollowEvent
from tests.kit.sim_consumer import (
    PRODUCER,
    OneBot,
    consumer_config,
    send_frame,
    send_whitelist,
    silent_strategy,
)

pytestmark = pytest.mark.timeout(180)

STAKE = 100.0
USER_LOOP = 5  # the user's process_throttle_secs: fleet.exit_price_secs

STRATEGY = silent_strategy(
    "Priced",
    "Exits on ROI, stoploss, exit signals and a producer column; adds on another.",
    roi=0.05,
    stoploss=-0.05,
    more="""
    def _last(self, pair, column):
        frame, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        if frame.empty or column not in frame.columns:
            return 0
        return frame[column].iat[-1]

    def custom_exit(self, pair, trade, current_time, current_rate, current_profit, **kwargs):
        self.custom_exit_calls.append(pair)
        # Decided by something else than the analysis or the price (a clock, say).
        if getattr(self, "leave_now", False):
            return "leave_now"
        # The producer says "leave", and only while in profit: the price decides.
        if self._last(pair, "leave") == 1 and current_profit > 0:
            return "leave"
        return None

    def adjust_trade_position(self, trade, current_time, current_rate, current_profit,
                              min_stake, max_stake, **kwargs):
        if self._last(trade.pair, "add") == 1 and trade.nr_of_successful_entries == 1:
            return trade.stake_amount / 2
        return None


class PricedFleet(FleetStrategy, Priced):
    def bot_start(self, **kwargs):
        self.custom_exit_calls = []
        super().bot_start(**kwargs)
""",
)


class TestClock:
    """The policy's clock: seconds the test moves."""

    __test__ = False

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class ScriptedBook:
    """The exchange's order-book answer (ccxt's ``fetch_l2_order_book``) from a price path.

    ``prices(pair, second)`` is the price relative to the pair's start; the book's mid is
    that times 10,000 of the market's price steps, with one level a step either side.
    ``calls`` records (second, pair, limit): pricing asks for 5 levels (freqtrade's
    ``order_book_top`` 1 on Binance), dry-run fills for 20.
    """

    clock: TestClock
    prices: Callable[[str, int], float]
    ticks: dict[str, float]
    calls: list[tuple[int, str, int]] = field(default_factory=list)

    def __call__(self, symbol: str, limit: int | None = None, params: Any = None) -> dict:
        second = int(self.clock.now)
        self.calls.append((second, symbol, int(limit or 0)))
        return {
            "symbol": symbol,
            "bids": [[self.bid(symbol, second), 1_000_000.0]],
            "asks": [[self.ask(symbol, second), 1_000_000.0]],
            "timestamp": None,
            "datetime": None,
            "nonce": None,
        }

    def mid(self, pair: str, second: int) -> float:
        tick = self.ticks[pair]
        return round(self.prices(pair, second) * 10_000) * tick

    def bid(self, pair: str, second: int) -> float:
        return self.mid(pair, second) - self.ticks[pair]

    def ask(self, pair: str, second: int) -> float:
        return self.mid(pair, second) + self.ticks[pair]

    def priced(self, pair: str) -> list[int]:
        """Seconds at which the pair was priced (order-book requests of 5 levels)."""
        return [second for second, symbol, limit in self.calls if symbol == pair and limit == 5]


# -- the policy alone ------------------------------------------------------------------


def test_a_price_is_reused_until_it_is_as_old_as_the_users_loop() -> None:
    clock = TestClock()
    prices = ExitPrices(5, clock=clock)
    assert prices.reusable("exit", "BTC/USDT", False) is None  # none taken yet
    prices.taken("exit", "BTC/USDT", False, (100.0,))
    for second in (1, 2, 3, 4):
        clock.now = second
        assert prices.reusable("exit", "BTC/USDT", False) == (100.0,)
    clock.now = 5
    assert prices.reusable("exit", "BTC/USDT", False) is None
    # Per pair, per kind of check, per side.
    assert prices.reusable("adjust", "BTC/USDT", False) is None
    assert prices.reusable("exit", "ETH/USDT", False) is None
    clock.now = 1
    assert prices.reusable("exit", "BTC/USDT", True) is None
    assert prices.stats() == {"fetched": 1, "reused": 4, "repriced": 0}


def test_a_new_analysis_or_a_followed_action_asks_for_a_fresh_price() -> None:
    analysis: dict[str, Any] = {"BTC/USDT": None}
    exits: set[str] = set()
    adjustments: set[str] = set()
    prices = ExitPrices(
        5,
        analysis=analysis.__getitem__,
        exit_pending=exits.__contains__,
        adjustment_pending=adjustments.__contains__,
        clock=TestClock(),
    )
    prices.taken("exit", "BTC/USDT", False, (100.0,))
    prices.taken("adjust", "BTC/USDT", False, (100.1, 100.0))
    analysis["BTC/USDT"] = ("producer-1", 60)  # the producer's analysis of a new row ...
    assert prices.reusable("exit", "BTC/USDT", False) is None
    assert prices.reusable("adjust", "BTC/USDT", False) is None
    prices.taken("exit", "BTC/USDT", False, (99.0,))
    prices.taken("adjust", "BTC/USDT", False, (99.1, 99.0))
    assert prices.reusable("exit", "BTC/USDT", False) == (99.0,)  # ... asks once
    assert prices.reusable("adjust", "BTC/USDT", False) == (99.1, 99.0)
    analysis["BTC/USDT"] = ("producer-1", 120)  # the next candle's analysis
    assert prices.reusable("exit", "BTC/USDT", False) is None
    prices.taken("exit", "BTC/USDT", False, (98.0,))
    exits.add("BTC/USDT")
    assert prices.reusable("exit", "BTC/USDT", False) is None
    prices.taken("adjust", "BTC/USDT", False, (98.1, 98.0))
    assert prices.reusable("adjust", "BTC/USDT", False) == (98.1, 98.0)
    adjustments.add("BTC/USDT")
    assert prices.reusable("adjust", "BTC/USDT", False) is None


# -- real consumer bots -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(pairs=6, seed=7) as running:
        yield running


def no_rate_limit(exchange: dict[str, Any]) -> dict[str, Any]:
    """ccxt spaces a bot's requests 50 ms apart (Binance's pace); the simulator needs none."""
    for key in ("ccxt_config", "ccxt_sync_config"):
        exchange[key] = {**(exchange.get(key) or {}), "enableRateLimit": False}
    return exchange


def bot_config(
    sim: RunningSimulator, tmp_path: Path, name: str, pairs: list[str], **changes: Any
) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "dry_run": True,
        "dry_run_wallet": 10_000,
        "stake_amount": STAKE,
        "order_types": {
            "entry": "market",
            "exit": "market",
            "stoploss": "market",
            "stoploss_on_exchange": False,
        },
        "unfilledtimeout": {"entry": 10, "exit": 10, "unit": "minutes"},
        "exchange": no_rate_limit(sim.exchange_config(pairs, bot=name, websocket=False)),
        "db_url": "sqlite://",
        "fleet": {"follow": ["exits"], "exit_price_secs": USER_LOOP},
        **changes,
    }
    # The producer's frames are built from the consumer's own candles (``send_rows``).
    settings["fleet"] = {"consumer_candles": "exchange", **settings["fleet"]}
    strategy = ("PricedFleet", STRATEGY)
    return consumer_config(sim, tmp_path, name, pairs, strategy, RunMode.DRY_RUN, **settings)


@dataclass
class Consumer:
    """A consumer bot, its test clock and (when scripted) its order book."""

    bot: FreqtradeBot
    clock: TestClock
    pairs: list[str]
    book: ScriptedBook | None = None
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    """Pair -> the producer columns of its newest row (exit_long, leave, add)."""
    sent: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def prices(self) -> ExitPrices:
        prices = self.bot.strategy.fleet_exit_prices
        assert prices is not None
        return prices

    def enter(self) -> None:
        """One trade on every pair, at second 0 (a dry-run market entry each)."""
        for pair in self.pairs:
            assert self.bot.execute_entry(pair, STAKE)
        Trade.commit()

    def send_rows(self) -> None:
        """The producer's frame of every pair: the consumer's own candles, its columns on
        the newest row (as a producer sends after analysing it)."""
        dp = self.bot.dataprovider
        if not self.sent:
            send_whitelist(self.bot, self.pairs)
        for pair in self.pairs:
            columns = {"enter_long": 0, "exit_long": 0, "leave": 0, "add": 0}
            columns.update(self.rows.get(pair, {}))
            if self.sent.get(pair) == columns:
                continue  # the producer sends a pair's frame when its analysis changed
            candles = dp.ohlcv(pair, "1m").copy()
            if candles.empty:
                continue
            self.sent[pair] = columns
            for column, value in columns.items():
                candles[column] = 0
                candles.loc[candles.index[-1], column] = value
            send_frame(self.bot, pair, candles)

    def loop(self, second: int) -> None:
        self.clock.now = float(second)
        self.send_rows()
        self.bot.process()

    def trades(self) -> dict[str, Trade]:
        return {trade.pair: trade for trade in Trade.get_trades_proxy()}

    def decisions(self) -> dict[str, tuple[Any, ...]]:
        """What the bot decided so far, per pair: open or its exit (reason, rate), and its
        entries (count, newest order's price)."""
        out = {}
        for pair, trade in self.trades().items():
            entries = [o for o in trade.orders if o.ft_order_side == trade.entry_side]
            out[pair] = (
                trade.is_open,
                trade.exit_reason,
                None if trade.close_rate is None else round(trade.close_rate, 10),
                len(entries),
                round(entries[-1].safe_price, 10),
            )
        return out


@pytest.fixture
def consumer(sim: RunningSimulator, tmp_path: Path) -> Iterator[Callable[..., Consumer]]:
    bots = OneBot()

    def make(
        name: str,
        pairs: list[str],
        prices: Callable[[str, int], float] | None = None,
        **changes: Any,
    ) -> Consumer:
        bots.stop()
        bot = bots.start(bot_config(sim, tmp_path, name, pairs, **changes))
        clock = TestClock()
        book = None
        if prices is not None:
            ticks = {
                pair: float(bot.exchange.markets[pair]["precision"]["price"]) for pair in pairs
            }
            book = ScriptedBook(clock, prices, ticks)
            bot.exchange._api.fetch_l2_order_book = book
        if bot.strategy.fleet_exit_prices is not None:
            bot.strategy.fleet_exit_prices.clock = clock
        running = Consumer(bot, clock, pairs, book)
        bot.process()  # the first loop: candles of every pair
        running.send_rows()
        return running

    yield make
    bots.stop()


def flat(pair: str, second: int) -> float:
    return 1.0


def test_open_trades_are_priced_at_the_users_loop_not_the_consumers(
    sim: RunningSimulator, consumer: Callable[..., Consumer]
) -> None:
    pairs = sim.pairs[:5]
    depth = {}
    for name, fleet in (
        ("every-loop", {"follow": []}),
        ("reusing", {"follow": [], "exit_price_secs": USER_LOOP}),
    ):
        # ROI and stoploss out of reach: one minute of holding five trades.
        bot = consumer(name, pairs, fleet=fleet, minimal_roi={"0": 10.0}, stoploss=-0.99)
        bot.enter()
        before = sim.bot_stats()[name]["requests"].get("/api/v3/depth", 0)
        for second in range(60):
            bot.loop(second)
        depth[name] = sim.bot_stats()[name]["requests"]["/api/v3/depth"] - before
        assert len([t for t in bot.trades().values() if t.is_open]) == 5
    # freqtrade's own loop: every trade priced every loop, 60 loops a minute ...
    assert depth["every-loop"] == 5 * 60
    # ... the consumer's: every trade priced every 5 s, what the user's own bot asks.
    assert depth["reusing"] == 5 * 60 // USER_LOOP
    state = bot.bot.strategy.fleet_state()["exit_prices"]
    assert state == {"reuse_secs": USER_LOOP, "fetched": 60, "reused": 240, "repriced": 0}


def test_a_rising_exit_signal_is_priced_fresh(
    sim: RunningSimulator, consumer: Callable[..., Consumer]
) -> None:
    pair = sim.pairs[0]
    # In loss from second 2 on: exit_profit_only keeps the exit signal from exiting.
    bot = consumer("signal", [pair], lambda p, s: 1.0 if s < 2 else 0.99, exit_profit_only=True)
    bot.enter()
    for second in range(0, 12):
        if second == 3:
            bot.rows[pair] = {"exit_long": 1}
        bot.loop(second)
    assert bot.book is not None
    # Priced at 0 and 5, and at 3 when the exit signal rose; reused otherwise.
    assert bot.book.priced(pair) == [0, 0, 3, 8]
    assert bot.trades()[pair].is_open


def test_a_pending_followed_exit_is_priced_fresh_and_exits_at_that_price(
    sim: RunningSimulator, consumer: Callable[..., Consumer]
) -> None:
    pair = sim.pairs[0]
    bot = consumer("followed", [pair], lambda p, s: 1.0 + s / 1000)
    bot.enter()
    for second in range(3):
        bot.loop(second)
    follower = bot.bot.strategy.fleet_consumer.follower
    follower.ledger.add(
        FollowEvent(
            producer=PRODUCER,
            kind="exit",
            pair=pair,
            trade_id=1,
            is_short=False,
            reason="exit_signal",
            time=datetime.now(UTC),
            key=("exit", PRODUCER, 1, 0),
        )
    )
    repriced = bot.prices.repriced
    bot.loop(3)
    assert bot.book is not None
    assert bot.book.priced(pair)[-1] == 3
    assert bot.prices.repriced == repriced  # priced fresh before deciding, not after
    trade = bot.trades()[pair]
    assert not trade.is_open
    assert trade.exit_reason == "exit_signal"
    assert trade.orders[-1].ft_order_side == "sell"
    # The dry-run market exit fills against the book of second 3, not the price of 0.
    assert trade.close_rate == pytest.approx(bot.book.bid(pair, 3), rel=1e-9)


def test_a_new_analysis_is_decided_on_a_fresh_price(
    sim: RunningSimulator, consumer: Callable[..., Consumer]
) -> None:
    pair = sim.pairs[0]

    def prices(p: str, second: int) -> float:
        # Entered at 1.00; in profit at 0 and 1, at a loss from 2 to 11, in profit from 12.
        if second < 0:
            return 1.0
        return 0.99 if 2 <= second < 12 else 1.01

    bot = consumer("leave", [pair], prices)
    bot.clock.now = -1
    bot.enter()
    bot.loop(0)
    bot.loop(1)
    bot.rows[pair] = {"leave": 1}  # custom_exit: leave, while in profit
    exited = None
    for second in range(2, 20):
        bot.loop(second)
        if not bot.trades()[pair].is_open:
            exited = second
            break
    trade = bot.trades()[pair]
    assert bot.book is not None
    # At 2 the producer's new analysis asks for a fresh price (at a loss: the trade stays,
    # where the price reused from 0 would have left in profit); then priced every 5 s, and
    # at 12 in profit: it exits, decided and placed on the price of that loop.
    assert bot.book.priced(pair) == [-1, 0, 2, 7, 12]
    assert bot.prices.repriced == 0
    assert exited == 12 and trade.exit_reason == "leave"
    assert trade.close_rate == pytest.approx(bot.book.bid(pair, 12), rel=1e-9)


def test_an_exit_decided_on_a_reused_price_is_placed_on_a_fresh_one_deciding_once(
    sim: RunningSimulator, consumer: Callable[..., Consumer]
) -> None:
    pair = sim.pairs[0]
    bot = consumer("once", [pair], lambda p, s: 1.0 + s / 1000)
    bot.enter()
    strategy = bot.bot.strategy
    for second in range(3):
        bot.loop(second)
    calls_before = len(strategy.custom_exit_calls)
    strategy.leave_now = True  # decided at 3, on the price reused from 0
    bot.loop(3)
    trade = bot.trades()[pair]
    assert bot.book is not None
    assert not trade.is_open and trade.exit_reason == "leave_now"
    # custom_exit ran once in that loop (freqtrade's own check, not a second decision) ...
    assert strategy.custom_exit_calls[calls_before:] == [pair]
    # ... and the order went out at the price taken for it at 3, not the one of 0.
    assert bot.book.priced(pair)[-2:] == [0, 3]
    assert bot.prices.repriced == 1
    assert trade.orders[-1].ft_order_side == "sell"
    assert trade.close_rate == pytest.approx(bot.book.bid(pair, 3), rel=1e-9)


def test_a_position_adjustment_is_placed_at_a_price_taken_in_its_loop(
    sim: RunningSimulator, consumer: Callable[..., Consumer]
) -> None:
    pair = sim.pairs[0]
    bot = consumer(
        "adjust", [pair], lambda p, s: 1.0 if s < 2 else 1.02, position_adjustment_enable=True
    )
    bot.enter()
    bot.loop(0)
    bot.loop(1)
    bot.rows[pair] = {"add": 1}
    bot.loop(2)
    trade = bot.trades()[pair]
    entries = [o for o in trade.orders if o.ft_order_side == "buy"]
    assert len(entries) == 2
    # The producer's new analysis at 2: decided and placed on the rates taken at 2.
    assert bot.prices.repriced == 0
    assert entries[-1].safe_price == pytest.approx(bot.book.ask(pair, 2), rel=1e-9)


def test_decisions_equal_those_of_a_bot_pricing_every_loop(
    sim: RunningSimulator, consumer: Callable[..., Consumer]
) -> None:
    a, b, c, d, e = sim.pairs[:5]

    def prices(pair: str, second: int) -> float:
        # The market moves every USER_LOOP seconds (what a bot on the user's loop sees).
        step = second - second % USER_LOOP
        if pair == a:
            return 1.0 if step < 20 else 1.06  # ROI from 20
        if pair == c:
            return 1.0 if step < 30 else 0.94  # stoploss from 30
        if pair == d:
            return 1.0 if step < 10 else 1.01  # in profit from 10
        return 1.0 + step / 10_000

    events = {
        13: (b, {"exit_long": 1}),  # b: an exit signal rises between two prices
        17: (d, {"leave": 1}),  # d: custom_exit on a reused price (in profit)
        22: (e, {"add": 1}),  # e: a position adjustment on a reused price
    }
    outcome = {}
    for name, fleet in (
        ("reference", {"follow": []}),
        ("reusing", {"follow": [], "exit_price_secs": USER_LOOP}),
    ):
        bot = consumer(name, [a, b, c, d, e], prices, fleet=fleet, position_adjustment_enable=True)
        bot.enter()
        decided = []
        for second in range(40):
            if second in events:
                pair, row = events[second]
                bot.rows[pair] = row
            bot.loop(second)
            decided.append(bot.decisions())
        assert bot.book is not None
        outcome[name] = (decided, len([c for c in bot.book.calls if c[2] == 5]))
        reuse = bot.bot.strategy.fleet_exit_prices
        if reuse is not None:
            # d's exit and e's adjustment came with new analyses: decided on fresh prices.
            assert reuse.repriced == 0
    decided, priced = outcome["reusing"]
    reference, reference_priced = outcome["reference"]
    for second, (ours, theirs) in enumerate(zip(decided, reference, strict=True)):
        assert ours == theirs, f"second {second}"
    final = decided[-1]
    assert final[a][:2] == (False, "roi")
    assert final[b][:2] == (False, "exit_signal")
    assert final[c][:2] == (False, "stop_loss")
    assert final[d][:2] == (False, "leave")
    assert final[e][0] is True and final[e][3] == 2
    assert priced < reference_priced / 3
