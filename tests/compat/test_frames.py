"""Producer frames seen where they arrive, analysed frames handed over, frames on the wire."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import orjson
import pandas as pd
from freqtrade.constants import FULL_DATAFRAME_THRESHOLD
from freqtrade.data.dataprovider import DataProvider
from freqtrade.enums import CandleType, RunMode
from freqtrade.rpc.api_server.ws import serializer

from freqfleet import compat
from freqfleet.strategy.codec import ENVELOPE_KEY, decode_frame, encode_frame, is_fleet_encoded

PAIR = "BTC/USDT"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def frame(rows: int = FULL_DATAFRAME_THRESHOLD) -> pd.DataFrame:
    dates = pd.date_range("2026-11-01", periods=rows, freq="5min", tz="UTC")
    return pd.DataFrame({"date": dates, "close": np.linspace(1.1, 1.3, rows)})


def watched(accept: bool = True, keep: list[str] | None = None):
    dp = DataProvider({"timeframe": "5m", "runmode": RunMode.DRY_RUN}, None)
    seen: list[tuple] = []
    compat.watch_producer_messages(
        dp,
        check_frame=lambda producer, pair, timeframe, candle_type, data: accept,
        stored=lambda producer, pair, timeframe, candle_type, data, when: seen.append(
            (producer, pair, data, when)
        ),
        check_whitelist=lambda producer, pairs: keep,
    )
    return dp, seen


def test_a_stored_frame_is_reported_without_a_copy():
    dp, seen = watched()
    data = frame()
    assert dp._add_external_df(PAIR, data, NOW, "5m", CandleType.SPOT, "p1") == (True, 0)
    assert len(seen) == 1 and seen[0][:2] == ("p1", PAIR) and seen[0][2] is data
    stored, _ = dp.get_producer_df(PAIR, "5m", CandleType.SPOT, "p1")
    assert len(stored) == len(data)


def test_a_refused_frame_is_dropped_as_handled():
    dp, seen = watched(accept=False)
    assert dp._add_external_df(PAIR, frame(), NOW, "5m", CandleType.SPOT, "p1") == (True, 0)
    assert seen == []
    assert dp.get_producer_df(PAIR, "5m", CandleType.SPOT, "p1")[0].empty


def test_a_whitelist_is_what_the_check_keeps_or_nothing():
    dp, _ = watched(keep=[PAIR])
    dp._set_producer_pairs([PAIR, "ETH/USDT"], producer_name="p1")
    assert dp.get_producer_pairs("p1") == [PAIR]
    dropped, _ = watched(keep=None)
    dropped._set_producer_pairs([PAIR], producer_name="p1")
    assert dropped.get_producer_pairs("p1") == []


def test_a_dataprovider_is_watched_once_and_given_back_unwatched():
    dp, seen = watched()
    compat.watch_producer_messages(
        dp, check_frame=lambda *args: False, stored=lambda *args: None, check_whitelist=None
    )
    dp._add_external_df(PAIR, frame(), NOW, "5m", CandleType.SPOT, "p1")
    assert len(seen) == 1  # the first watch still answers
    assert compat.undo_patches() == 3
    assert not {"_add_external_df", "_replace_external_df", "_set_producer_pairs"} & set(vars(dp))


def test_the_analysed_frame_is_what_freqtrade_hands_the_strategy():
    dp = DataProvider({"timeframe": "5m", "runmode": RunMode.DRY_RUN}, None)
    data = frame()
    compat.set_analyzed_frame(dp, PAIR, "5m", data, CandleType.SPOT)
    analysed, _ = dp.get_analyzed_dataframe(PAIR, "5m")
    assert analysed is data


def test_column_values_with_and_without_pandas_internal(monkeypatch):
    data = frame()
    fast = compat.column_values(data, "close")
    monkeypatch.delattr(pd.DataFrame, "_get_column_array")
    assert list(compat.column_values(data, "close")) == list(fast) == list(data["close"])


def wire():
    return serializer.HybridJSONWebSocketSerializer(None)


def test_frames_cross_freqtrades_serialiser_exactly_with_the_codec():
    data = frame(3)
    data["close"] = [0.1 + 0.2, 1 / 3, 2.675]
    data["streak"] = np.array([1, 2, 3], dtype="int32")
    plain = wire()._deserialize(wire()._serialize({"df": data}))["df"]
    assert list(plain["close"]) != list(data["close"]) and plain["streak"].dtype == "int64"
    compat.install_frame_codec(encode_frame, decode_frame, is_fleet_encoded)
    compat.install_frame_codec(encode_frame, decode_frame, is_fleet_encoded)  # once
    exact = wire()._deserialize(wire()._serialize({"df": data}))["df"]
    pd.testing.assert_frame_equal(exact, data)
    assert compat.undo_patches() == 2
    again = wire()._deserialize(wire()._serialize({"df": data}))["df"]
    assert again["streak"].dtype == "int64"  # freqtrade's own serialiser is back


def test_a_malformed_fleet_frame_becomes_one_marked_row():
    compat.install_frame_codec(encode_frame, decode_frame, is_fleet_encoded)
    encoded = encode_frame(frame(3))
    encoded[ENVELOPE_KEY]["version"] = -1
    received = wire()._deserialize(orjson.dumps({"df": encoded}).decode())["df"]
    assert list(received.columns) == ["fleet_malformed"]
    assert received["fleet_malformed"][0].startswith("FrameDecodeError: unknown frame format")
