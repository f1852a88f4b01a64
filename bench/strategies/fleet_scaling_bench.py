"""Strategies for ``bench/fleet_scaling.py``: the shipped samples plus a timing record.

Each bot appends what it does to ``<bench_record_dir>/<bot_name>.jsonl`` (a key of its
config), in wall-clock seconds:

- ``refresh``: its candle refresh (start, end, thread CPU seconds; ``c0``: the bot
  thread's CPU seconds so far, at its start: what one loop to the next costs);
- ``analyze``: its analysis step of the loop (start, end, thread CPU seconds);
- ``pair`` (producers, single bot): one pair analysed (start, end, CPU, candle, signal);
- ``rx`` (consumer): a producer's analysed frame stored (time, producer, pair, the
  producer's analysis time ``la``, the newest candle of the message, rows);
- ``signal`` (consumer): the newest row carries an entry signal, whether the consumer
  offered it to freqtrade (entries of a candle wait for every producer's row) and the
  pair's lag in candles.

Trades leave at the first exit check (``minimal_roi`` -1), so every pair is free for the
next candle's signal; ``BenchHeavy`` signals on 4 of 8 oversold measures instead of 5.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from pandas import DataFrame

from freqfleet.strategy.heavy_sample import FleetHeavySampleStrategy
from freqfleet.strategy.samples import FleetSampleStrategy


def _newest(frame: Any) -> float | None:
    try:
        return float(frame["date"].iloc[-1].timestamp())
    except (KeyError, IndexError, AttributeError, TypeError):
        return None


class BenchRecorder:
    """Appends timings to the bot's record file (no file: records nothing)."""

    _bench_file: Any = None
    _bench_lock = threading.Lock()

    def _bench_write(self, **record: Any) -> None:
        if self._bench_file is None:
            return
        with self._bench_lock:
            self._bench_file.write(json.dumps(record) + "\n")

    def bot_start(self, **kwargs: Any) -> None:
        super().bot_start(**kwargs)  # type: ignore[misc]
        folder = self.config.get("bench_record_dir")  # type: ignore[attr-defined]
        if not folder:
            return
        name = self.config.get("bot_name") or "bot"  # type: ignore[attr-defined]
        self._bench_file = open(Path(folder) / f"{name}.jsonl", "a", buffering=1)  # noqa: SIM115
        dp = self.dp  # type: ignore[attr-defined]
        refresh, analyze = dp.refresh, self.analyze  # type: ignore[attr-defined]

        def timed_refresh(*args: Any, **kwargs: Any) -> Any:
            start, cpu = time.time(), time.thread_time()
            try:
                return refresh(*args, **kwargs)
            finally:
                self._bench_write(
                    e="refresh", t0=start, t1=time.time(), cpu=time.thread_time() - cpu, c0=cpu
                )

        def timed_analyze(pairs: list[str]) -> Any:
            start, cpu = time.time(), time.thread_time()
            try:
                return analyze(pairs)
            finally:
                self._bench_write(
                    e="analyze", t0=start, t1=time.time(), cpu=time.thread_time() - cpu
                )

        dp.refresh = timed_refresh
        self.analyze = timed_analyze
        if getattr(self, "fleet_consumer", None) is not None:
            add = dp._add_external_df

            def recorded_add(
                pair, dataframe, last_analyzed, timeframe, candle_type, producer_name="default"
            ):
                result = add(
                    pair,
                    dataframe,
                    last_analyzed=last_analyzed,
                    timeframe=timeframe,
                    candle_type=candle_type,
                    producer_name=producer_name,
                )
                self._bench_write(
                    e="rx",
                    t=time.time(),
                    producer=producer_name,
                    pair=pair,
                    la=last_analyzed.timestamp(),
                    candle=_newest(dataframe),
                    rows=len(dataframe),
                )
                return result

            dp._add_external_df = recorded_add
            entry_signal = self.get_entry_signal  # type: ignore[attr-defined]

            def recorded_signal(pair: str, timeframe: str, dataframe: DataFrame) -> Any:
                result = entry_signal(pair, timeframe, dataframe)
                offered = "enter_long" in dataframe.columns and dataframe["enter_long"].iat[-1] == 1
                if result[0] is not None or offered:
                    entry = self.fleet_consumer.cache.get(pair)  # type: ignore[attr-defined]
                    self._bench_write(
                        e="signal", t=time.time(), pair=pair, candle=_newest(dataframe),
                        taken=result[0] is not None,
                        lag=None if entry is None else entry.lag,
                    )  # fmt: skip
                return result

            self.get_entry_signal = recorded_signal

    def analyze_ticker(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        start, cpu = time.time(), time.thread_time()
        frame = super().analyze_ticker(dataframe, metadata)  # type: ignore[misc]
        signal = frame["enter_long"].iat[-1] if "enter_long" in frame.columns else 0
        self._bench_write(
            e="pair",
            pair=metadata.get("pair"),
            t0=start,
            t1=time.time(),
            cpu=time.thread_time() - cpu,
            candle=_newest(frame),
            enter=int(signal == 1),
        )
        return frame


class BenchHeavy(BenchRecorder, FleetHeavySampleStrategy):
    minimal_roi = {"0": -1}
    entry_score = 4


class BenchLight(BenchRecorder, FleetSampleStrategy):
    timeframe = "1m"
    minimal_roi = {"0": -1}
