"""The kline intervals the simulator serves: Binance's strings, whole minutes that divide
a day."""

from __future__ import annotations

from freqtrade.exchange import timeframe_to_msecs

from freqfleet.sim.timeframes import DAY_MS, INTERVAL_MS, MINUTE_MS, interval_ms


def test_every_interval_is_as_long_as_freqtrade_reads_it_and_divides_a_day() -> None:
    for interval, length in INTERVAL_MS.items():
        assert interval_ms(interval) == length == timeframe_to_msecs(interval)
        assert length % MINUTE_MS == 0 and DAY_MS % length == 0


def test_an_interval_binance_lacks_is_none() -> None:
    assert interval_ms("7m") is None
    assert interval_ms("1w") is None  # Binance has it; the simulator does not
