"""The consumer's candles from its producers' frames, not from the exchange.

freqtrade downloads every whitelist pair's candles in each loop (``DataProvider.refresh``
calls ``Exchange.refresh_latest_ohlcv``; its first call is the start-up download of
``startup_candle_count`` and more) although a consumer's producers send the same OHLCV in
their analysed frames. ``ProducerCandles`` takes the pairs the producers serve out of the
loop's refresh (the bot's exchange only: pairlist filters' and funding fees' one-off
downloads, ``cache=False`` or ``since_ms``, are left alone) and stores each pair's
producer candles in freqtrade's candle cache (``Exchange._klines``), so that
``DataProvider.ohlcv``, ``Exchange.klines`` and ``available_pairs`` answer with them.

``undo()`` removes the patch and the stored candles: freqtrade's next refresh downloads
them again, as it does for any pair it has not cached.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from freqfleet.compat import patches
from freqfleet.compat.checks import missing
from freqfleet.compat.model import Feature
from freqfleet.compat.versions import unsupported_message

if TYPE_CHECKING:
    from pandas import DataFrame

logger = logging.getLogger(__name__)

OHLCV = ["date", "open", "high", "low", "close", "volume"]
Served = Callable[[str], bool]
"""``served(pair)``: whether the producers give the pair's candles (so none is downloaded)."""


class ProducerCandles:
    """One bot exchange's candle cache, fed with its producers' candles."""

    def __init__(self, exchange: Any, timeframe: str, candle_type: Any, served: Served) -> None:
        self.exchange = exchange
        self.timeframe = timeframe
        self.candle_type = candle_type
        self.served = served
        self.skipped = 0
        """Pair refreshes left out of freqtrade's loop so far."""
        self._stored: set[str] = set()
        self._patch: patches.Patch | None = None

    def install(self) -> bool:
        """Take the served pairs out of the loop's refresh; False when this freqtrade lacks
        what that needs (the consumer then downloads its candles, as freqtrade does)."""
        problems = missing(Feature.PRODUCER_CANDLES)
        if problems:
            logger.warning(
                "Fleet consumer downloads its own candles: %s",
                unsupported_message(problems, "reading them from the producers"),
            )
            return False
        exchange = self.exchange
        if not hasattr(exchange, "refresh_latest_ohlcv"):
            return True  # a stand-in exchange (tests, tools): it downloads nothing anyway
        if patches.is_patched(exchange, "refresh_latest_ohlcv"):
            return True
        refresh = exchange.refresh_latest_ohlcv

        def refresh_latest_ohlcv(
            pair_list: list[Any],
            *,
            since_ms: int | None = None,
            cache: bool = True,
            drop_incomplete: bool | None = None,
        ) -> Any:
            if cache and since_ms is None:
                pair_list = self._to_download(pair_list)
            return refresh(
                pair_list, since_ms=since_ms, cache=cache, drop_incomplete=drop_incomplete
            )

        self._patch = patches.patch(exchange, "refresh_latest_ohlcv", refresh_latest_ohlcv)
        return True

    def _to_download(self, pair_list: list[Any]) -> list[Any]:
        kept = [
            key
            for key in pair_list
            if key[1] != self.timeframe or key[2] != self.candle_type or not self.served(key[0])
        ]
        self.skipped += len(pair_list) - len(kept)
        return kept

    def store(self, pair: str, frame: DataFrame) -> None:
        """The pair's candles are ``frame``'s OHLCV (a producer's frame: a view, no copy)."""
        klines = getattr(self.exchange, "_klines", None)
        if not isinstance(klines, dict) or not set(OHLCV) <= set(frame.columns):
            return
        klines[(pair, self.timeframe, self.candle_type)] = frame[OHLCV]
        self._stored.add(pair)

    def forget(self, keep: set[str]) -> None:
        """Drop the stored candles of pairs the consumer no longer trades."""
        for pair in [p for p in self._stored if p not in keep]:
            self._drop(pair)

    def _drop(self, pair: str) -> None:
        self._stored.discard(pair)
        klines = getattr(self.exchange, "_klines", None)
        if isinstance(klines, dict):
            klines.pop((pair, self.timeframe, self.candle_type), None)

    def undo(self) -> None:
        """freqtrade downloads its candles again from its next refresh."""
        if self._patch is not None:
            patches.undo(self._patch)
            self._patch = None
        for pair in list(self._stored):
            self._drop(pair)


__all__ = ["OHLCV", "ProducerCandles", "Served"]
