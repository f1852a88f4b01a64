"""Every use of freqtrade's (and pandas') internals, in one place, behind a version check.

The consumer needs four things freqtrade has no public API for:

- hand freqtrade the analysed frame of a pair (``DataProvider._set_cached_df``: what
  ``IStrategy._analyze_ticker_internal`` does after analysing);
- see each producer message where it arrives, to check it before it is stored
  (``DataProvider._add_external_df``, ``_set_producer_pairs``) and to take the stored
  frame without the copy ``get_producer_df`` makes (``_replace_external_df``);
- send and receive frames with exact floats and dtypes (the websocket serialiser's
  ``_json_default`` / ``_json_object_hook``);
- read a column without building a Series on the per-loop path (pandas'
  ``DataFrame._get_column_array``, optional).

``check_supported()`` runs when a fleet strategy is created: outside the tested freqtrade
range it warns once; when an internal is missing it raises a start-up error naming the
running version and what to install, so a new freqtrade never fails inside the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pandas import DataFrame

from freqfleet.errors import StrategySetupError

logger = logging.getLogger(__name__)

TESTED_FREQTRADE = ("2026.9",)
"""freqtrade releases the consumer is tested with (``make test``)."""

_DP_METHODS = ("_set_cached_df", "_add_external_df", "_replace_external_df", "_set_producer_pairs")
_SERIALIZER_NAMES = ("_json_default", "_json_object_hook", "dataframe_to_json", "json_to_dataframe")

_warned_version = False


def freqtrade_version() -> str:
    import freqtrade

    return str(freqtrade.__version__)


def _release(version: str) -> str:
    """``2026.9`` of ``2026.9``, ``2026.9.1``, ``docker-2026.9-abcd``, ``2026.10-dev-...``."""
    text = version.removeprefix("docker-")
    parts = text.replace("-", ".").split(".")
    return ".".join(parts[:2])


def missing_internals() -> list[str]:
    """The freqtrade internals the consumer uses that this freqtrade lacks."""
    from freqtrade.data.dataprovider import DataProvider
    from freqtrade.rpc.api_server.ws import serializer

    missing = [f"DataProvider.{name}" for name in _DP_METHODS if not hasattr(DataProvider, name)]
    missing += [
        f"freqtrade.rpc.api_server.ws.serializer.{name}"
        for name in _SERIALIZER_NAMES
        if not callable(getattr(serializer, name, None))
    ]
    return missing


def check_supported() -> None:
    """Warn outside the tested releases; fail at start-up when an internal is missing."""
    global _warned_version
    version = freqtrade_version()
    missing = missing_internals()
    tested = ", ".join(TESTED_FREQTRADE)
    if missing:
        raise StrategySetupError(
            f"freqtrade {version} lacks {', '.join(missing)}, which the fleet strategy needs; "
            f"install a tested freqtrade release ({tested}): pip install 'freqtrade=={TESTED_FREQTRADE[-1]}'"
        )
    if _release(version) not in TESTED_FREQTRADE and not _warned_version:
        _warned_version = True
        logger.warning("freqfleet is tested with freqtrade %s; this bot runs %s", tested, version)


# -- the analysed frame freqtrade hands to signals and callbacks -------------------------


def set_analyzed_frame(
    dp: Any, pair: str, timeframe: str, frame: DataFrame, candle_type: Any
) -> None:
    """Store ``frame`` as the pair's analysed frame (what ``get_analyzed_dataframe`` returns)."""
    dp._set_cached_df(pair, timeframe, frame, candle_type=candle_type)


# -- producer messages where they arrive --------------------------------------------------

FrameCheck = Callable[[str, str, str, Any, DataFrame], bool]
"""``check(producer, pair, timeframe, candle_type, frame)``: False drops the message."""
FrameStored = Callable[[str, str, str, Any, DataFrame, datetime], None]
WhitelistCheck = Callable[[str, list[str]], list[str] | None]
"""``check(producer, pairs)``: the pairs to store, or None to drop the message."""


def watch_producer_messages(
    dp: Any, *, check_frame: FrameCheck, stored: FrameStored, check_whitelist: WhitelistCheck
) -> None:
    """Route every producer message of ``dp`` through the consumer's checks.

    Wraps the DataProvider methods freqtrade's ExternalMessageConsumer calls (in its
    message thread): a frame that fails ``check_frame`` is dropped as handled (freqtrade
    would otherwise ask the producer for it again), a stored frame is reported to
    ``stored`` without a copy, a whitelist is replaced by what ``check_whitelist`` keeps.
    """
    if getattr(dp, "_fleet_watched", False):
        return
    add_external = dp._add_external_df
    replace_external = dp._replace_external_df
    set_pairs = dp._set_producer_pairs

    def add_external_df(
        pair, dataframe, last_analyzed, timeframe, candle_type, producer_name="default"
    ):
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
        pair, dataframe, last_analyzed, timeframe, candle_type, producer_name="default"
    ):
        replace_external(
            pair,
            dataframe,
            last_analyzed=last_analyzed,
            timeframe=timeframe,
            candle_type=candle_type,
            producer_name=producer_name,
        )
        stored(producer_name, pair, timeframe, candle_type, dataframe, last_analyzed)

    def set_producer_pairs(pairlist, producer_name="default"):
        kept = check_whitelist(producer_name, pairlist)
        if kept is not None:
            set_pairs(kept, producer_name=producer_name)

    dp._add_external_df = add_external_df
    dp._replace_external_df = replace_external_df
    dp._set_producer_pairs = set_producer_pairs
    dp._fleet_watched = True


# -- frames on the wire -------------------------------------------------------------------

_codec_installed = False


def install_frame_codec() -> None:
    """Send and read analysed frames exactly (see ``freqfleet.strategy.codec``).

    Replaces the websocket serialiser's two hooks in this process: frames this bot sends
    carry exact floats and dtypes (still readable by any freqtrade consumer), and frames
    it receives are rebuilt exactly when they carry the fleet's dtype record.
    """
    global _codec_installed
    if _codec_installed:
        return
    from freqtrade.rpc.api_server.ws import serializer

    from freqfleet.strategy.codec import (
        FrameDecodeError,
        decode_frame,
        encode_frame,
        is_fleet_encoded,
    )

    original_default = serializer._json_default
    original_hook = serializer._json_object_hook

    def json_default(value: Any) -> Any:
        if isinstance(value, DataFrame):
            return encode_frame(value)
        return original_default(value)

    def json_object_hook(value: dict) -> Any:
        if value.get("__type__") == "dataframe" and is_fleet_encoded(value):
            try:
                return decode_frame(value)
            except FrameDecodeError as error:
                # A frame without dates: the consumer's check drops it and counts it
                # against the producer that sent it, instead of the whole connection.
                return DataFrame({"fleet_malformed": [str(error)[:200]]})
        return original_hook(value)

    serializer._json_default = json_default
    serializer._json_object_hook = json_object_hook
    _codec_installed = True


# -- pandas -------------------------------------------------------------------------------


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
    "TESTED_FREQTRADE",
    "check_supported",
    "column_values",
    "freqtrade_version",
    "install_frame_codec",
    "missing_internals",
    "set_analyzed_frame",
    "watch_producer_messages",
]
