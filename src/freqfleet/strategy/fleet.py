"""FleetStrategy: one class that is a producer or a consumer, decided by the config.

``class MyFleet(FleetStrategy, MyStrategy): pass``. With a producer's config the mixin
does nothing and the bot runs ``MyStrategy`` unchanged. With a consumer's config
(``external_message_consumer`` enabled with producers) the consumer does no analysis of
its own: each pair's analysed frame is the serving producer's columns merged onto the
consumer's candles (cached, rebuilt only when either side has a new candle), with entries
blocked while the producer's data is stale. Callbacks read that frame through
``dp.get_analyzed_dataframe`` as usual.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from freqtrade.enums import CandleType, RunMode
from freqtrade.exchange import timeframe_to_seconds
from freqtrade.strategy import IStrategy
from pandas import DataFrame

from freqfleet.errors import StrategySetupError
from freqfleet.files import dump_json, write_atomic
from freqfleet.strategy.merge import MergeCache, MergedEntry, column_values, last_date_ns
from freqfleet.strategy.routing import (
    ProducerRouter,
    newest_candle,
    producer_data,
    producer_whitelists,
)
from freqfleet.strategy.settings import (
    ConsumerSettings,
    check_fleet_config,
    is_consumer_config,
)

logger = logging.getLogger(__name__)

STATE_FILE = "fleet-state.json"
STATE_INTERVAL_SECS = 5.0
_NO_CONSUMER_ROLE = (RunMode.BACKTEST, RunMode.HYPEROPT)


def _misplaced_init(self: Any, *args: Any, **kwargs: Any) -> None:
    raise StrategySetupError(
        f"{type(self).__name__}: FleetStrategy must come first in the class bases; "
        f"write class {type(self).__name__}(FleetStrategy, YourStrategy)"
    )


def _iso(epoch_ns: int | None) -> str | None:
    if epoch_ns is None:
        return None
    return datetime.fromtimestamp(epoch_ns / 1e9, UTC).isoformat()


class FleetStrategy:
    """Mixin that turns a strategy into a fleet strategy; goes first in the bases."""

    fleet_role: str = "producer"
    fleet_follower: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__mro__[1:]:
            if base is FleetStrategy:
                return
            if issubclass(base, IStrategy) and not issubclass(base, FleetStrategy):
                # The wrapped strategy's methods would shadow the mixin's.
                cls.__init__ = _misplaced_init  # type: ignore[method-assign]
                return

    def __init__(self, config: dict[str, Any]) -> None:
        settings = check_fleet_config(config)
        super().__init__(config)  # type: ignore[call-arg]
        self._fleet_settings: ConsumerSettings | None = None
        if settings is None or config.get("runmode") in _NO_CONSUMER_ROLE:
            if settings is not None:
                logger.info("Fleet strategy in %s: running its own analysis", config["runmode"])
            return
        self._fleet_settings = settings
        self.fleet_role = "consumer"
        self._fleet_setup_consumer(config, settings)

    # -- public helpers -----------------------------------------------------------------

    def has_producer_data(self, pair: str) -> bool:
        """Whether ``pair``'s analysed frame holds producer data (always True on a producer).

        A consumer restarted with open trades may run callbacks before its producers are
        back; the frame then has the consumer's candles and no producer columns.
        """
        if self._fleet_settings is None:
            return True
        entry = self._fleet_cache.get(pair)
        return entry is not None and entry.producer is not None

    def fleet_state(self) -> dict[str, Any]:
        """The consumer's routing and freshness summary (what ``fleet-state.json`` holds)."""
        settings = self._fleet_settings
        if settings is None:
            return {"role": "producer"}
        newest: dict[str, Any] = dict.fromkeys(settings.producer_names)
        stale, unrouted = [], []
        for pair, entry in list(self._fleet_cache.pairs().items()):
            if entry.stale:
                stale.append(pair)
            if not self._fleet_router.producers_for(pair):
                unrouted.append(pair)
            if entry.producer is not None and entry.producer_newest is not None:
                current = newest.get(entry.producer)
                if current is None or entry.producer_newest > current:
                    newest[entry.producer] = entry.producer_newest
        counts = self._fleet_router.pair_counts()
        follower = self.fleet_follower
        return {
            "role": "consumer",
            "updated": datetime.now(UTC).isoformat(),
            "timeframe": self.timeframe,
            "max_signal_age": settings.max_signal_age,
            "producers": {
                name: {
                    "pairs": counts.get(name, 0),
                    "newest_candle": _iso(newest[name]),
                }
                for name in settings.producer_names
            },
            "unrouted_pairs": sorted(unrouted),
            "stale_pairs": sorted(stale),
            "follow": follower.stats() if follower is not None else {},
        }

    # -- consumer set-up ----------------------------------------------------------------

    def _fleet_setup_consumer(self, config: dict[str, Any], settings: ConsumerSettings) -> None:
        if self.process_only_new_candles or config.get("process_only_new_candles"):
            logger.info("Fleet consumer: process_only_new_candles set to false")
        self.process_only_new_candles = False
        config["process_only_new_candles"] = False
        self._fleet_router = ProducerRouter(settings.producer_names)
        self._fleet_cache = MergeCache()
        self._fleet_freshness: dict[str, str] = {}
        self._fleet_candle_ns = timeframe_to_seconds(self.timeframe) * 1_000_000_000
        self._fleet_candle_type = config.get("candle_type_def", CandleType.SPOT)
        self._fleet_state_written = 0.0
        self._fleet_timeframe_warned: set[str] = set()
        # The consumer's callbacks, bound on the instance so a producer keeps the wrapped
        # strategy's own methods (and freqtrade's view of them) untouched.
        self._fleet_handed: dict[str, DataFrame] = {}
        self._fleet_watched_dp: Any = None
        self._fleet_next: DataFrame | None = None
        self._analyze_ticker_internal = self._fleet_analyze_ticker_internal
        self.analyze_ticker = self._fleet_analyze_ticker
        self.analyze = self._fleet_analyze
        self.gather_informative_pairs = self._fleet_gather_informative_pairs
        self.bot_start = self._fleet_bot_start
        self.bot_loop_start = self._fleet_bot_loop_start
        self.custom_exit = self._fleet_custom_exit
        self.adjust_trade_position = self._fleet_adjust_trade_position
        self.ft_bot_cleanup = self._fleet_bot_cleanup
        logger.info(
            "Fleet consumer of %s (max_signal_age %d candle(s))",
            ", ".join(settings.producer_names),
            settings.max_signal_age,
        )

    # -- consumer: analysis replaced by producer data ------------------------------------

    def _fleet_gather_informative_pairs(self) -> list:
        if self._fleet_settings is not None and self._fleet_settings.informative_candles:
            return IStrategy.gather_informative_pairs(self)  # type: ignore[arg-type]
        return []

    def _fleet_analyze(self, pairs: list[str]) -> None:
        self._fleet_refresh_routes()
        for pair in pairs:
            self.analyze_pair(pair)  # type: ignore[attr-defined]
        keep = set(pairs)
        self._fleet_cache.forget(keep)
        # list(): the message thread may drop entries meanwhile (see _fleet_on_arrival).
        for pair in [p for p in list(self._fleet_handed) if p not in keep]:
            del self._fleet_handed[pair]
        self._fleet_write_state()

    def _fleet_refresh_routes(self) -> None:
        whitelists = producer_whitelists(self.dp, self._fleet_router.producer_names)  # type: ignore[attr-defined]
        if self._fleet_router.refresh(whitelists):
            logger.info(
                "Fleet routes: %s",
                ", ".join(f"{n} {c} pairs" for n, c in self._fleet_router.pair_counts().items()),
            )

    def _fleet_analyze_ticker_internal(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        """freqtrade's per-pair analysis step, skipped while nothing changed.

        An unchanged frame was validated and cached by freqtrade before; only its time in
        the DataProvider is refreshed (what process_only_new_candles does for a plain bot).
        """
        pair = str(metadata.get("pair"))
        frame = self._fleet_frame(pair, dataframe)
        if self._fleet_handed.get(pair) is frame:
            self.dp._set_cached_df(pair, self.timeframe, frame, candle_type=self._fleet_candle_type)  # type: ignore[attr-defined]
            return frame
        self._fleet_next = frame
        try:
            result = IStrategy._analyze_ticker_internal(self, dataframe, metadata)  # type: ignore[arg-type]
        finally:
            self._fleet_next = None
        self._fleet_handed[pair] = result
        return result

    def _fleet_analyze_ticker(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        if self._fleet_next is not None:
            return self._fleet_next
        return self._fleet_frame(metadata["pair"], dataframe)

    def _fleet_frame(self, pair: str, dataframe: DataFrame) -> DataFrame:
        """The merged frame of ``pair``, with the follower's entries when it has any."""
        frame = self._fleet_entry(pair, dataframe).frame
        if self.fleet_follower is not None:
            frame = self.fleet_follower.apply_entries(pair, frame)
        return frame

    def _fleet_entry(self, pair: str, dataframe: DataFrame) -> MergedEntry:
        """The pair's merged frame, rebuilt only when either side has new data."""
        dp = self.dp  # type: ignore[attr-defined]
        if dp is not self._fleet_watched_dp:
            self._fleet_watch_arrivals(dp)
        self._fleet_refresh_routes()
        pair_key = (pair, self.timeframe, self._fleet_candle_type)
        name, data = self._fleet_router.choose(pair, lambda n: producer_data(dp, n, pair_key))
        consumer_newest = last_date_ns(dataframe)
        key = (
            consumer_newest,
            len(dataframe),
            column_values(dataframe, "close")[-1],
            name,
            None if data is None else id(data[0]),
            None if data is None else data[1],
        )
        cached = self._fleet_cache.get(pair)
        if cached is not None and cached.key == key:
            return cached
        producer_frame = None if data is None else data[0]
        producer_newest = None if producer_frame is None else newest_candle(producer_frame)
        state, age = self._fleet_freshness_of(consumer_newest, producer_newest)
        if data is None:
            self._fleet_check_timeframe(pair)
        entry = self._fleet_cache.frame(
            pair,
            dataframe,
            key,
            name,
            producer_frame,
            stale=state != "fresh",
            producer_newest=producer_newest,
        )
        self._fleet_log_freshness(pair, state, name, age)
        return entry

    def _fleet_watch_arrivals(self, dp: Any) -> None:
        """Rebuild a pair's frame as soon as its producer data is replaced.

        The merged frame is a view of the producer's rows; rebuilding it when the
        producer's frame is replaced (in freqtrade's message thread) frees the replaced
        frame at once instead of holding old and new until the consumer's next loop.
        """
        self._fleet_watched_dp = dp
        if not hasattr(dp, "_replace_external_df"):
            return
        replace_external = type(dp)._replace_external_df

        def replace(
            pair, dataframe, last_analyzed, timeframe, candle_type, producer_name="default"
        ):
            replace_external(
                dp, pair, dataframe, last_analyzed, timeframe, candle_type, producer_name
            )
            self._fleet_on_arrival(pair, timeframe)

        dp._replace_external_df = replace

    def _fleet_on_arrival(self, pair: str, timeframe: str) -> None:
        entry = self._fleet_cache.get(pair)
        if entry is None or timeframe != self.timeframe:
            return
        try:
            # The merged frame holds the consumer's candles it was built on.
            rebuilt = self._fleet_entry(pair, entry.frame)
        except Exception:
            logger.exception("Fleet: could not merge new producer data for %s", pair)
            return
        if rebuilt is not entry:
            self._fleet_handed.pop(pair, None)  # the next loop validates it as usual
            self.dp._set_cached_df(  # type: ignore[attr-defined]
                pair, self.timeframe, rebuilt.frame, candle_type=self._fleet_candle_type
            )

    def _fleet_freshness_of(
        self, consumer_newest: int, producer_newest: int | None
    ) -> tuple[str, int]:
        if producer_newest is None:
            return "missing", 0
        age = (consumer_newest - producer_newest) // self._fleet_candle_ns
        assert self._fleet_settings is not None
        return ("stale" if age > self._fleet_settings.max_signal_age else "fresh"), age

    def _fleet_log_freshness(self, pair: str, state: str, producer: str | None, age: int) -> None:
        previous = self._fleet_freshness.get(pair)
        if previous == state:
            return
        self._fleet_freshness[pair] = state
        if state == "missing":
            logger.info("Fleet: no producer data for %s yet; no entries on it", pair)
        elif state == "stale":
            logger.warning(
                "Fleet: %s data for %s is %d candles old (fleet.max_signal_age %d); "
                "no entries on it until it is fresh",
                producer,
                pair,
                age,
                self._fleet_settings.max_signal_age if self._fleet_settings else 1,
            )
        elif previous is not None:
            logger.info("Fleet: %s data for %s is fresh again", producer, pair)

    def _fleet_check_timeframe(self, pair: str) -> None:
        """Log (once per producer) when a producer sends another timeframe than ours."""
        stored = getattr(self.dp, "_DataProvider__producer_pairs_df", None)  # type: ignore[attr-defined]
        if not isinstance(stored, dict):
            return
        for name, frames in stored.items():
            if name in self._fleet_timeframe_warned:
                continue
            timeframes = {key[1] for key in frames if key[0] == pair}
            if timeframes and self.timeframe not in timeframes:
                self._fleet_timeframe_warned.add(name)
                logger.error(
                    "Fleet: producer %s analyses %s on %s but this consumer runs %s; "
                    "set the same timeframe on producers and consumer",
                    name,
                    pair,
                    ", ".join(sorted(timeframes)),
                    self.timeframe,
                )

    # -- consumer: state file ---------------------------------------------------------------

    def _fleet_write_state(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._fleet_state_written < STATE_INTERVAL_SECS:
            return
        self._fleet_state_written = now
        user_data = self.config.get("user_data_dir")  # type: ignore[attr-defined]
        if not user_data or self.config.get("runmode") not in (RunMode.LIVE, RunMode.DRY_RUN):  # type: ignore[attr-defined]
            return
        try:
            write_atomic(Path(user_data) / STATE_FILE, dump_json(self.fleet_state()))
        except OSError as error:
            logger.warning("Fleet: could not write %s: %s", STATE_FILE, error)

    # -- consumer: follower hooks -------------------------------------------------------------

    def _fleet_bot_start(self, **kwargs: Any) -> None:
        from freqfleet.strategy.follow import create_follower

        self._fleet_check_producer_timeframes()
        self.fleet_follower = create_follower(self)
        if self.fleet_follower is not None:
            self.fleet_follower.start()
        super().bot_start(**kwargs)  # type: ignore[misc]

    def _fleet_bot_loop_start(self, current_time: datetime, **kwargs: Any) -> None:
        if self.fleet_follower is not None:
            self.fleet_follower.on_loop(current_time)
        super().bot_loop_start(current_time=current_time, **kwargs)  # type: ignore[misc]

    def _fleet_custom_exit(
        self,
        pair: str,
        trade: Any,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs: Any,
    ) -> str | bool | None:
        follower = self.fleet_follower
        if follower is not None:
            reason = follower.exit_reason(trade, current_time)
            if reason is not None:
                return reason
            if follower.owns_exit(trade):
                return None
        return super().custom_exit(  # type: ignore[misc]
            pair, trade, current_time, current_rate, current_profit, **kwargs
        )

    def _fleet_adjust_trade_position(self, trade: Any, current_time: datetime, **kwargs: Any):
        if self.fleet_follower is not None:
            stake = self.fleet_follower.stake_adjustment(trade, current_time)
            if stake is not None:
                return stake
        return super().adjust_trade_position(  # type: ignore[misc]
            trade=trade, current_time=current_time, **kwargs
        )

    def _fleet_bot_cleanup(self) -> None:
        if self.fleet_follower is not None:
            self.fleet_follower.stop()
        super().ft_bot_cleanup()  # type: ignore[misc]

    def _fleet_check_producer_timeframes(self) -> None:
        """Fail at start-up when a reachable producer runs another timeframe."""
        api = (self.config.get("fleet") or {}).get("producer_api") or {}  # type: ignore[attr-defined]
        if not api or self.config.get("runmode") not in (RunMode.LIVE, RunMode.DRY_RUN):  # type: ignore[attr-defined]
            return
        import httpx

        for name, access in api.items():
            url = (access or {}).get("url")
            if not url:
                continue
            auth = None
            if access.get("username"):
                auth = (access["username"], access.get("password") or "")
            try:
                response = httpx.get(f"{url.rstrip('/')}/api/v1/show_config", auth=auth, timeout=3)
                timeframe = response.json().get("timeframe") if response.is_success else None
            except (httpx.HTTPError, ValueError):
                continue  # not up yet: checked again when its data arrives
            if timeframe and timeframe != self.timeframe:
                raise StrategySetupError(
                    f"producer {name} runs timeframe {timeframe} but this consumer runs "
                    f"{self.timeframe}; set the same timeframe in every bot's config"
                )


__all__ = ["STATE_FILE", "FleetStrategy", "is_consumer_config"]
