"""FleetStrategy: one class that is a producer or a consumer, decided by the config.

``class MyFleet(FleetStrategy, MyStrategy): pass``. With a producer's config the bot runs
``MyStrategy`` unchanged (the mixin only makes the frames it broadcasts exact and keeps
secrets out of its logs). With a consumer's config (``external_message_consumer``
enabled with producers) the bot does no analysis of its own: a ``FleetConsumer`` hands
freqtrade each pair's producer frame, and the hooks below, bound on the consumer's
instance only, forward freqtrade's calls to it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from freqtrade.enums import CandleType, RunMode, SignalDirection
from freqtrade.exceptions import OperationalException
from freqtrade.strategy import IStrategy

from freqfleet import compat
from freqfleet.botapi import BotApi, BotApiError
from freqfleet.errors import StrategySetupError
from freqfleet.fleet_state import STATE_FILE, Role
from freqfleet.section import read_consumer_section
from freqfleet.strategy.callbacks import guard_callbacks
from freqfleet.strategy.codec import decode_frame, encode_frame, is_fleet_encoded
from freqfleet.strategy.consumer import FleetConsumer
from freqfleet.strategy.exit_pricing import ExitPrices
from freqfleet.strategy.fleet_alerts import AlertHook, alert_hook
from freqfleet.strategy.order_journal import JOURNAL_FILE, OrderJournal
from freqfleet.strategy.settings import check_fleet_config, is_consumer_config

logger = logging.getLogger(__name__)

_NO_CONSUMER_ROLE = (RunMode.BACKTEST, RunMode.HYPEROPT)
_TRADING = (RunMode.LIVE, RunMode.DRY_RUN)


def _misplaced_init(self: Any, *args: Any, **kwargs: Any) -> None:
    raise StrategySetupError(
        f"{type(self).__name__}: FleetStrategy must come first in the class bases; "
        f"write class {type(self).__name__}(FleetStrategy, YourStrategy)"
    )


if TYPE_CHECKING:
    # What the mixin always stands in front of (its __init_subclass__ makes sure);
    # freqtrade ships no types, so for the checker this base is Any.
    from freqtrade.strategy import IStrategy as _Strategy
else:
    _Strategy = object


class FleetStrategy(_Strategy):
    """Mixin that turns a strategy into a fleet strategy; goes first in the bases."""

    fleet_role: Role = Role.PRODUCER
    fleet_consumer: FleetConsumer | None = None
    fleet_exit_prices: ExitPrices | None = None
    fleet_no_entry: Any = None
    """On a consumer: whether freqtrade's entry check of a pair can be skipped (read by
    freqtrade's patched ``create_trade``, ``compat.skip_unchanged_entry_checks``)."""
    """On a consumer with ``fleet.exit_price_secs``: when open trades' prices are reused
    (read by freqtrade's patched pricing, ``compat.reuse_exit_prices``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__mro__[1:]:
            if base is FleetStrategy:
                return
            if issubclass(base, IStrategy) and not issubclass(base, FleetStrategy):
                # The wrapped strategy's methods would shadow the mixin's.
                cls.__init__ = _misplaced_init  # type: ignore[method-assign]  # on purpose
                return

    def __init__(self, config: dict[str, Any]) -> None:
        compat.check_supported()
        settings = check_fleet_config(config)
        super().__init__(config)
        compat.install_frame_codec(encode_frame, decode_frame, is_fleet_encoded)
        _install_log_guard(config)
        if settings is None or config.get("runmode") in _NO_CONSUMER_ROLE:
            if settings is None and _is_trading_producer(config):
                _ProducerHooks(self).bind()
            if settings is not None:
                logger.info("Fleet strategy in %s: running its own analysis", config["runmode"])
            return
        self.fleet_role = Role.CONSUMER
        compat.send_requests_unspaced()
        self.fleet_consumer = FleetConsumer(settings)
        self.fleet_consumer.strategy_files = compat.loaded_strategy_files(type(self))
        _ConsumerHooks(self, self.fleet_consumer).bind()
        self.fleet_exit_prices = self.fleet_consumer.exit_prices
        self.fleet_no_entry = self.fleet_consumer.no_entry
        compat.skip_unchanged_entry_checks()
        compat.fetch_entry_books()
        if self.fleet_exit_prices is not None:
            compat.reuse_exit_prices()
        logger.info(
            "Fleet consumer of %s (max_signal_age %d candle(s), %s)",
            ", ".join(settings.producer_names),
            settings.max_signal_age,
            "open trades priced every loop"
            if settings.exit_price_secs is None
            else f"open trades priced every {settings.exit_price_secs:g} s",
        )

    # freqtrade sets ``strategy.dp`` before it starts the message consumer (checked at
    # start-up, ``freqfleet.compat``): the consumer attaches its checks there, so no
    # producer message arrives unchecked.
    @property
    def dp(self) -> Any:
        try:
            return self.__dict__["_fleet_dp"]
        except KeyError:
            raise AttributeError("dp") from None

    @dp.setter
    def dp(self, value: Any) -> None:
        self.__dict__["_fleet_dp"] = value
        if self.fleet_consumer is not None and value is not None:
            _attach(self, self.fleet_consumer, value)

    # -- public helpers -----------------------------------------------------------------

    def has_producer_data(self, pair: str) -> bool:
        """Whether ``pair``'s analysed frame holds producer data (always True on a producer)."""
        return self.fleet_consumer is None or self.fleet_consumer.has_producer_data(pair)

    def fleet_state(self) -> dict[str, Any]:
        """The consumer's routing, freshness and intake summary (``fleet-state.json``)."""
        if self.fleet_consumer is None:
            return {"role": Role.PRODUCER.value}
        return self.fleet_consumer.state()


def _install_log_guard(config: dict[str, Any]) -> None:
    try:
        from freqfleet.strategy.log_guard import install_log_guard
    except ImportError:  # pragma: no cover - shipped with the package
        return
    install_log_guard(config)


def _attach(strategy: Any, consumer: FleetConsumer, dp: Any) -> None:
    config = strategy.config
    try:
        dp.market("__fleet__/__probe__")
        market = dp.market
    except OperationalException:  # no exchange (tests, tools): markets cannot be checked
        market = None
    user_data = config.get("user_data_dir")
    state_path = (
        Path(user_data) / STATE_FILE if user_data and config.get("runmode") in _TRADING else None
    )
    if config.get("runmode") == RunMode.LIVE and not config.get("dry_run", True):
        _guard_live_orders(dp, config)
    consumer.attach(
        dp,
        strategy.timeframe,
        config.get("candle_type_def", CandleType.SPOT),
        stake_currency=config.get("stake_currency"),
        market=market,
        state_path=state_path,
    )


def _guard_live_orders(dp: Any, config: dict[str, Any]) -> None:
    """A live consumer sends its orders through the order guard (``OrderGuard``), with its
    journal in ``user_data_dir``."""
    exchange = compat.bot_exchange(dp)
    user_data = config.get("user_data_dir")
    if exchange is None or not user_data:
        return
    journal = OrderJournal(Path(user_data) / JOURNAL_FILE)
    compat.guard_orders(exchange, journal)
    logger.info("Fleet consumer trades live: orders journalled in %s", journal.path)


def _is_trading_producer(config: dict[str, Any]) -> bool:
    """A fleet's producer (``fleet.role``, written by ``plan``) running trade or dry-run."""
    fleet = config.get("fleet")
    role = fleet.get("role") if isinstance(fleet, dict) else None
    return role == Role.PRODUCER and config.get("runmode") in _TRADING


class _ProducerHooks:
    """On a producer that trades: its tickers from the exchange's streams (ProducerPricing)."""

    def __init__(self, strategy: Any) -> None:
        self.strategy = strategy
        self.pricing: Any = None

    def bind(self) -> None:
        strategy = self.strategy
        self.original = {
            name: getattr(strategy, name)
            for name in ("bot_start", "bot_loop_start", "ft_bot_cleanup")
        }
        for name in ("bot_start", "bot_loop_start", "ft_bot_cleanup"):
            compat.patch(strategy, name, getattr(self, name))

    def bot_start(self, **kwargs: Any) -> None:
        from freqfleet.strategy.producer_pricing import ProducerPricing, TickerStream

        exchange = compat.bot_exchange(getattr(self.strategy, "dp", None))
        if exchange is not None:
            maker = compat.stream_client_maker(exchange)
            stream = None if maker is None else TickerStream(maker)
            pricing = ProducerPricing(
                lambda symbols: compat.fetch_tickers_uncached(exchange, symbols), stream
            )
            if compat.route_tickers(exchange, pricing.ticker):
                self.pricing = pricing
                if stream is not None:
                    stream.start()
                logger.info(
                    "Producer prices its open trades from %s",
                    "the exchange's ticker stream" if stream else "batched REST tickers",
                )
        self.original["bot_start"](**kwargs)

    def bot_loop_start(self, current_time: datetime, **kwargs: Any) -> None:
        if self.pricing is not None:
            from freqtrade.persistence import Trade

            self.pricing.new_loop(trade.pair for trade in Trade.get_open_trades())
        self.original["bot_loop_start"](current_time=current_time, **kwargs)

    def ft_bot_cleanup(self) -> None:
        if self.pricing is not None:
            self.pricing.close()
        self.original["ft_bot_cleanup"]()


class _ConsumerHooks:
    """freqtrade's hooks on a consumer's instance, each forwarding to the FleetConsumer."""

    def __init__(self, strategy: Any, consumer: FleetConsumer) -> None:
        self.strategy = strategy
        self.consumer = consumer
        self.alerts: AlertHook | None = None

    def bind(self) -> None:
        strategy, consumer = self.strategy, self.consumer
        if strategy.process_only_new_candles or strategy.config.get("process_only_new_candles"):
            logger.info("Fleet consumer: process_only_new_candles set to false")
        strategy.process_only_new_candles = False
        strategy.config["process_only_new_candles"] = False
        guard_callbacks(strategy, consumer.has_producer_data, consumer.callback_skipped)
        self.original = {
            name: getattr(strategy, name)
            for name in (
                "bot_start",
                "bot_loop_start",
                "ft_bot_cleanup",
                "custom_exit",
                "adjust_trade_position",
                "get_entry_signal",
                "gather_informative_pairs",
            )
        }
        compat.patch(strategy, "analyze", consumer.analyze)
        for name in self.original:
            compat.patch(strategy, name, getattr(self, name))

    def gather_informative_pairs(self) -> list:
        if self.consumer.settings.informative_candles:
            return self.original["gather_informative_pairs"]()
        return []

    def get_entry_signal(
        self, pair: str, timeframe: str, dataframe: Any
    ) -> tuple[SignalDirection | None, str | None]:
        follower = self.consumer.follower
        if follower is not None:
            followed = follower.entry_signal(pair)
            if followed is not None:
                return followed
        if not self.consumer.entry_allowed(pair):
            return None, None
        signal = self.original["get_entry_signal"](pair, timeframe, dataframe)
        if signal[0] is None:
            self.consumer.said_no(pair, dataframe)
        return signal

    def bot_start(self, **kwargs: Any) -> None:
        from freqfleet.strategy.follow import create_follower

        config = self.strategy.config
        if config.get("runmode") in _TRADING:
            check_producer_timeframes(config, self.consumer.timeframe)
            self.consumer.watch_access(config["external_message_consumer"]["producers"])
        follower = create_follower(self.strategy, self.consumer)
        self.consumer.follower = follower
        if follower is not None:
            follower.start()
        if config.get("runmode") in _TRADING:
            self.alerts = alert_hook(self.strategy, self.consumer)
        self.original["bot_start"](**kwargs)

    def bot_loop_start(self, current_time: datetime, **kwargs: Any) -> None:
        if self.consumer.follower is not None:
            self.consumer.follower.on_loop(current_time)
        if self.alerts is not None:
            self.alerts.on_loop()
        self.original["bot_loop_start"](current_time=current_time, **kwargs)

    def custom_exit(
        self,
        pair: str,
        trade: Any,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs: Any,
    ) -> str | bool | None:
        follower = self.consumer.follower
        if follower is not None:
            reason = follower.exit_reason(trade, current_time)
            if reason is not None:
                return reason
            if follower.owns_exit(trade):
                return None
        return self.original["custom_exit"](
            pair=pair,
            trade=trade,
            current_time=current_time,
            current_rate=current_rate,
            current_profit=current_profit,
            **kwargs,
        )

    def adjust_trade_position(self, trade: Any, current_time: datetime, **kwargs: Any) -> Any:
        follower = self.consumer.follower
        if follower is not None:
            stake = follower.stake_adjustment(trade, current_time)
            if stake is not None:
                return stake
        return self.original["adjust_trade_position"](
            trade=trade, current_time=current_time, **kwargs
        )

    def ft_bot_cleanup(self) -> None:
        self.consumer.stop()
        if self.consumer.follower is not None:
            self.consumer.follower.stop()
        self.consumer.write_state(force=True)
        if self.alerts is not None:
            self.alerts.stop()
        self.original["ft_bot_cleanup"]()
        _forget_strategy_modules(type(self.strategy))


def _forget_strategy_modules(strategy_class: type[Any]) -> None:
    """After the consumer's bot is cleaned up: the strategy's own modules are forgotten, so
    a bot that ``reload_config`` builds next runs the strategy files as they are on disk
    (``compat.strategy_modules``)."""
    folder = compat.strategy_folder(strategy_class)
    if folder is None:
        return
    if not compat.reloads_strategy_files():
        logger.warning(
            "Fleet consumer: this freqtrade loads strategies differently from the releases "
            "freqfleet knows; a changed strategy file needs a restart of the consumer"
        )
        return
    forgotten = compat.forget_strategy_modules(folder)
    if forgotten:
        logger.info("Fleet consumer: strategy modules read again on reload: %s", forgotten)


def check_producer_timeframes(config: dict[str, Any], timeframe: str) -> None:
    """Fail at start-up when a reachable producer runs another timeframe."""
    for name, access in read_consumer_section(config).producer_api.items():
        producer = BotApi(access.url, access.username, access.password, timeout=3)
        try:
            with producer:
                producer_timeframe = producer.show_config().get("timeframe")
        except BotApiError:
            continue  # not up yet: its frames are checked when they arrive
        if producer_timeframe and producer_timeframe != timeframe:
            raise StrategySetupError(
                f"producer {name} runs timeframe {producer_timeframe} but this consumer runs "
                f"{timeframe}; set the same timeframe in every bot's config"
            )


__all__ = ["STATE_FILE", "FleetStrategy", "is_consumer_config"]
