"""The consumer's candles through freqtrade's Exchange: the loop's refresh leaves the
served pairs out, their candles sit in freqtrade's own cache (with real bots on the
simulator in ``tests/strategy/test_consumer_candles.py``)."""

from __future__ import annotations

import logging

import pandas as pd
from freqtrade.enums import CandleType
from freqtrade.exchange import Exchange

from freqfleet import compat
from freqfleet.compat import ProducerCandles, candles

SPOT = CandleType.SPOT


class CandleCache(Exchange):
    """freqtrade's Exchange with its candle cache; the download is recorded, not made."""

    def __init__(self) -> None:
        self._klines = {}
        self.asked: list[tuple[list, int | None, bool]] = []

    def refresh_latest_ohlcv(self, pair_list, *, since_ms=None, cache=True, drop_incomplete=None):
        self.asked.append((list(pair_list), since_ms, cache))
        return {}

    def close(self) -> None:
        pass


def frame(rows: int = 3) -> pd.DataFrame:
    dates = pd.date_range("2026-01-01", periods=rows, freq="1min", tz="UTC")
    out = pd.DataFrame({"date": dates, "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5})
    out["volume"] = 10.0
    out["rsi"] = 50.0
    return out


def test_the_loops_refresh_leaves_out_the_pairs_producers_serve():
    exchange = CandleCache()
    served = {"ETH/USDT"}
    producer_candles = ProducerCandles(exchange, "1m", SPOT, served.__contains__)
    assert producer_candles.install()
    exchange.refresh_latest_ohlcv(
        [("ETH/USDT", "1m", SPOT), ("BTC/USDT", "1m", SPOT), ("ETH/USDT", "1h", SPOT)]
    )
    # The other pair and the other timeframe (informative candles) are still downloaded.
    assert exchange.asked[-1] == ([("BTC/USDT", "1m", SPOT), ("ETH/USDT", "1h", SPOT)], None, True)
    # One-off downloads (pairlist filters, funding fees) are left alone.
    exchange.refresh_latest_ohlcv([("ETH/USDT", "1m", SPOT)], cache=False)
    exchange.refresh_latest_ohlcv([("ETH/USDT", "1m", SPOT)], since_ms=5)
    assert [asked[0] for asked in exchange.asked[1:]] == [[("ETH/USDT", "1m", SPOT)]] * 2
    assert producer_candles.skipped == 1
    assert compat.undo_patches() == 1


def test_stored_candles_are_what_freqtrade_reads_until_undone():
    exchange = CandleCache()
    producer_candles = ProducerCandles(exchange, "1m", SPOT, lambda pair: True)
    assert producer_candles.install()
    producer_candles.store("ETH/USDT", frame())
    producer_candles.store("BTC/USDT", frame())
    read = exchange.klines(("ETH/USDT", "1m", SPOT))
    assert list(read.columns) == candles.OHLCV
    pd.testing.assert_frame_equal(read, frame()[candles.OHLCV])
    producer_candles.forget({"ETH/USDT"})
    assert exchange.klines(("BTC/USDT", "1m", SPOT)).empty
    producer_candles.undo()
    assert exchange.klines(("ETH/USDT", "1m", SPOT)).empty
    assert not compat.is_patched(exchange, "refresh_latest_ohlcv")
    exchange.refresh_latest_ohlcv([("ETH/USDT", "1m", SPOT)])
    assert exchange.asked == [([("ETH/USDT", "1m", SPOT)], None, True)]


def test_without_what_it_needs_the_consumer_downloads_its_candles(monkeypatch, caplog):
    monkeypatch.setattr(candles, "missing", lambda *features: ["Exchange._klines"])
    exchange = CandleCache()
    with caplog.at_level(logging.WARNING):
        assert not ProducerCandles(exchange, "1m", SPOT, lambda pair: True).install()
    assert "downloads its own candles" in caplog.text and "Exchange._klines" in caplog.text
    assert not compat.is_patched(exchange, "refresh_latest_ohlcv")
