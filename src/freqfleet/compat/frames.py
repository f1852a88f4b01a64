"""Frames: the consumer's producer frames in, its analysed frames out, frames on the wire.

freqtrade has no public API for:

- handing freqtrade the analysed frame of a pair (``DataProvider._set_cached_df``: what
  ``IStrategy._analyze_ticker_internal`` does after analysing);
- seeing each producer message where it arrives, to check it before it is stored
  (``DataProvider._add_external_df``, ``_set_producer_pairs``) and to take the stored
  frame without the copy ``get_producer_df`` makes (``_replace_external_df``);
- sending and receiving frames with exact floats and dtypes (the websocket serialiser's
  ``_json_default`` / ``_json_object_hook``);
- reading a column without building a Series on the per-loop path (pandas'
  ``DataFrame._get_column_array``, optional).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pandas import DataFrame

from freqfleet.compat import patches

FrameCheck = Callable[[str, str, str, Any, DataFrame], bool]
"""``check(producer, pair, timeframe, candle_type, frame)``: False drops the message."""
FrameStored = Callable[[str, str, str, Any, DataFrame, datetime], None]
WhitelistCheck = Callable[[str, list[str]], list[str] | None]
"""``check(producer, pairs)``: the pairs to store, or None to drop the message."""


def set_analyzed_frame(
    dp: Any, pair: str, timeframe: str, frame: DataFrame, candle_type: Any
) -> None:
    """Store ``frame`` as the pair's analysed frame (what ``get_analyzed_dataframe`` returns)."""
    dp._set_cached_df(pair, timeframe, frame, candle_type=candle_type)


def watch_producer_messages(
    dp: Any, *, check_frame: FrameCheck, stored: FrameStored, check_whitelist: WhitelistCheck
) -> None:
    """Route every producer message of ``dp`` through the consumer's checks.

    Wraps the DataProvider methods freqtrade's ExternalMessageConsumer calls (in its
    message thread): a frame that fails ``check_frame`` is dropped as handled (freqtrade
    would otherwise ask the producer for it again), a stored frame is reported to
    ``stored`` without a copy, a whitelist is replaced by what ``check_whitelist`` keeps.
    """
    if patches.is_patched(dp, "_add_external_df"):
        return
    add_external = dp._add_external_df
    replace_external = dp._replace_external_df
    set_pairs = dp._set_producer_pairs

    def add_external_df(
        pair: str,
        dataframe: DataFrame,
        last_analyzed: datetime,
        timeframe: str,
        candle_type: Any,
        producer_name: str = "default",
    ) -> Any:
        if not check_frame(producer_name, pair, timeframe, candle_type, dataframe):
            return (True, 0)
        return add_external(
            pair,
            dataframe,
            last_analyzed=last_analyzed,
            timeframe=timeframe,
            candle_type=candle_type,
            producer_name=producer_name,
        )

    def replace_external_df(
        pair: str,
        dataframe: DataFrame,
        last_analyzed: datetime,
        timeframe: str,
        candle_type: Any,
        producer_name: str = "default",
    ) -> None:
        replace_external(
            pair,
            dataframe,
            last_analyzed=last_analyzed,
            timeframe=timeframe,
            candle_type=candle_type,
            producer_name=producer_name,
        )
        stored(producer_name, pair, timeframe, candle_type, dataframe, last_analyzed)

    def set_producer_pairs(pairlist: list[str], producer_name: str = "default") -> None:
        kept = check_whitelist(producer_name, pairlist)
        if kept is not None:
            set_pairs(kept, producer_name=producer_name)

    patches.patch(dp, "_add_external_df", add_external_df)
    patches.patch(dp, "_replace_external_df", replace_external_df)
    patches.patch(dp, "_set_producer_pairs", set_producer_pairs)


def install_frame_codec(
    encode: Callable[[DataFrame], Any],
    decode: Callable[[dict[str, Any]], DataFrame],
    is_encoded: Callable[[dict[str, Any]], bool],
) -> None:
    """Send and read analysed frames exactly (``freqfleet.strategy.codec`` gives the three
    functions).

    Replaces the websocket serialiser's two hooks in this process: frames this bot sends
    carry exact floats and dtypes (still readable by any freqtrade consumer), and frames
    it receives are rebuilt exactly when they carry the fleet's dtype record.
    """
    from freqtrade.rpc.api_server.ws import serializer

    if patches.is_patched(serializer, "_json_default"):
        return
    original_default = serializer._json_default
    original_hook = serializer._json_object_hook

    def json_default(value: Any) -> Any:
        if isinstance(value, DataFrame):
            return encode(value)
        return original_default(value)

    def json_object_hook(value: dict) -> Any:
        if value.get("__type__") != "dataframe":
            return original_hook(value)
        try:
            if is_encoded(value):
                return decode(value)
            return original_hook(value)
        except (ValueError, TypeError, KeyError) as error:
            # A frame without dates (or one the codec refuses: its errors are ValueErrors):
            # the consumer's check drops it and counts it against the producer that sent
            # it, instead of dropping the whole connection.
            return DataFrame({"fleet_malformed": [f"{type(error).__name__}: {error}"[:200]]})

    patches.patch(serializer, "_json_default", json_default)
    patches.patch(serializer, "_json_object_hook", json_object_hook)


def column_values(frame: DataFrame, name: str) -> Any:
    """A column's values without building a Series (the per-loop path reads a few).

    pandas' internal column accessor takes a few microseconds instead of about ten for
    ``frame[name]``; the public path is used when it is missing.
    """
    getter = getattr(frame, "_get_column_array", None)
    if getter is not None:
        location = frame.columns.get_loc(name)
        if isinstance(location, int):
            return getter(location)
    return frame[name].array


__all__ = [
    "FrameCheck",
    "FrameStored",
    "WhitelistCheck",
    "column_values",
    "install_frame_codec",
    "set_analyzed_frame",
    "watch_producer_messages",
]
