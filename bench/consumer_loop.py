"""Consumer loop cost: the fleet consumer against a naive consumer, in one run.

    .venv/bin/python bench/consumer_loop.py [--quick] [--loops 5] [--candles 1000]

Each configuration (N pairs, P producers, C indicator columns) runs in its own
subprocess, so its peak RSS is its own. Each loop is what the bot calls once per loop,
``strategy.analyze(whitelist)``, on a real DataProvider whose exchange (the one thing
that cannot exist here) hands out the consumer's candles as freqtrade's candle cache
does; producer frames reach the DataProvider by the calls ``ExternalMessageConsumer``
makes (``_set_producer_pairs``, ``_add_external_df``), so the fleet consumer's checks on
arrival are part of the arrival time.

- fleet: ``class BenchFleet(FleetStrategy, BenchStrategy)`` on a consumer config.
- naive: for every pair on every loop, scan the producers in config order and return the
  first non-empty ``dp.get_producer_df`` as the dataframe (freqtrade's documented
  consumer pattern, generalised to several producers).

Cases: ``unchanged`` (no producer data changed since the last loop) and ``all new``
(every pair got a new candle from the exchange and a new analysed row from its producer
before the loop). Medians over ``--loops`` loops. The arrival of the producers' rows
(freqtrade's ``_add_external_df`` for every pair, in freqtrade's message thread; the fleet
consumer checks each frame there and merges in the loop) is timed separately and
reported beside the loop.
"""

from __future__ import annotations

import argparse
import atexit
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

FULL = [(n, p, c) for n in (150, 500, 1000) for p in (3, 10) for c in (50, 400)]
QUICK = [(150, 3, 50), (500, 10, 400)]
# The target configuration and two smaller ones: a few minutes (the naive consumer's
# 1000/10/400 cell peaks near 9 GiB).
DEFAULT = [(150, 3, 50), (500, 10, 400), (1000, 10, 400)]
TIMEFRAME = "5m"

STRATEGIES = '''
from freqtrade.strategy import IStrategy
from pandas import DataFrame

from freqfleet.strategy import FleetStrategy


class BenchStrategy(IStrategy):
    """Stands for a heavy strategy; never runs on a consumer."""

    timeframe = "5m"
    minimal_roi = {"0": 0.1}
    stoploss = -0.1

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        raise AssertionError("a fleet consumer must not analyse")

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe


class BenchFleet(FleetStrategy, BenchStrategy):
    pass


class NaiveConsumer(IStrategy):
    """The first non-empty producer frame, looked up for every pair on every loop."""

    timeframe = "5m"
    minimal_roi = {"0": 0.1}
    stoploss = -0.1
    process_only_new_candles = False

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        for producer in self.config["external_message_consumer"]["producers"]:
            frame, _ = self.dp.get_producer_df(metadata["pair"], producer_name=producer["name"])
            if not frame.empty:
                return frame
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe
'''


def _frames(pairs: list[str], candles: int, columns: int, loops: int):
    """Consumer candles and producer frames (same dates; OHLCV from the bundled data),
    ending ``loops`` candles before the newest closed one so that each loop's new candle
    has closed too (the consumer refuses candles dated in the future)."""
    import numpy as np
    import pandas as pd

    import freqfleet

    data_dir = Path(freqfleet.__file__).parent / "data" / "binance-2018"
    sources = [pd.read_feather(f) for f in sorted(data_dir.glob(f"*-{TIMEFRAME}.feather"))]
    step = pd.Timedelta(TIMEFRAME.replace("m", "min"))
    newest = pd.Timestamp(datetime.now(UTC)).floor(step) - step * (loops + 1)
    dates = pd.date_range(end=newest, periods=candles, freq="5min", tz="UTC")
    rng = np.random.default_rng(1)
    names = [f"ind_{i:03d}" for i in range(columns)]
    consumer, producer = {}, {}
    for index, pair in enumerate(pairs):
        source = sources[index % len(sources)]
        start = (index * 37) % (len(source) - candles)
        ohlcv = source.iloc[start : start + candles].reset_index(drop=True)
        ohlcv["date"] = dates
        consumer[pair] = ohlcv
        values = np.empty((candles, 5 + columns + 2))
        values[:, :5] = ohlcv[["open", "high", "low", "close", "volume"]].to_numpy()
        values[:, 5 : 5 + columns] = rng.standard_normal((candles, columns))
        values[:, -2] = rng.random(candles) < 0.05
        values[:, -1] = rng.random(candles) < 0.05
        frame = pd.DataFrame(
            values,
            columns=["open", "high", "low", "close", "volume", *names, "enter_long", "exit_long"],
        )
        frame.insert(0, "date", dates)
        frame["enter_tag"] = np.where(frame["enter_long"] == 1, "signal", "")
        frame["exit_tag"] = ""
        producer[pair] = frame
    return consumer, producer


def _next_rows(consumer, producer, step: int):
    """One new candle per pair for the consumer and the same candle analysed by the producer."""
    import pandas as pd

    for pair, frame in consumer.items():
        last = frame.iloc[-1]
        date = last["date"] + pd.Timedelta(minutes=5)
        close = float(last["close"]) * (1 + 0.001 * ((step % 3) - 1))
        candle = {"date": date, "open": close, "high": close, "low": close, "close": close,
                  "volume": 1.0}  # fmt: skip
        consumer[pair] = pd.concat([frame, pd.DataFrame([candle])], ignore_index=True)
        row = producer[pair].iloc[[-1]].copy()
        for column, value in candle.items():
            row[column] = value
        yield pair, row


class BenchExchange:
    """The exchange's candle cache and markets (a live exchange cannot exist here)."""

    def __init__(self, candles: dict, pairs: list[str]) -> None:
        self.candles = candles
        self.markets = {
            pair: {"symbol": pair, "base": pair.split("/")[0], "quote": "USDT", "active": True}
            for pair in pairs
        }

    def klines(self, pair_key, copy: bool = True):
        frame = self.candles[pair_key[0]]
        return frame.copy() if copy else frame


def child(impl: str, case: str, n: int, p: int, c: int, loops: int, candles: int) -> dict:
    """Measure one configuration (runs in its own process)."""
    import copy

    from freqtrade.data.dataprovider import DataProvider
    from freqtrade.enums import CandleType, RunMode
    from freqtrade.resolvers import StrategyResolver

    from freqfleet.fleet.partition import partition

    work = Path(tempfile.mkdtemp(prefix="freqfleet-bench-"))
    atexit.register(shutil.rmtree, work, True)  # this process measures one cell, then ends
    (work / "user_data" / "strategies").mkdir(parents=True)
    (work / "user_data" / "strategies" / "bench_strategies.py").write_text(STRATEGIES)
    producers = [f"producer-{i + 1}" for i in range(p)]
    pairs = [f"C{i:04d}/USDT" for i in range(n)]
    config = {
        "strategy": "BenchFleet" if impl == "fleet" else "NaiveConsumer",
        "user_data_dir": work / "user_data",
        "timeframe": TIMEFRAME,
        "stake_currency": "USDT",
        "stake_amount": 10,
        "max_open_trades": 5,
        "dry_run": True,
        "runmode": RunMode.DRY_RUN,
        "candle_type_def": CandleType.SPOT,
        "process_only_new_candles": False,
        "exchange": {"name": "binance", "pair_whitelist": pairs},
        "pairlists": [{"method": "StaticPairList"}],
        "entry_pricing": {},
        "exit_pricing": {},
        "external_message_consumer": {
            "enabled": True,
            "producers": [
                {"name": name, "host": "127.0.0.1", "port": 1, "ws_token": "x"}
                for name in producers
            ],
        },
    }
    strategy = StrategyResolver.load_strategy(copy.deepcopy(config))
    consumer, producer = _frames(pairs, candles, c, loops)
    dp = DataProvider(config, BenchExchange(consumer, pairs))
    strategy.dp = dp
    shares = partition(pairs, producers)
    owner = {pair: name for name, owned in shares.items() for pair in owned}
    for name in producers:
        dp._set_producer_pairs(shares.get(name, []), producer_name=name)
    for pair in pairs:
        ok, _missing = dp._add_external_df(
            pair, producer.pop(pair), datetime.now(UTC), TIMEFRAME, CandleType.SPOT, owner[pair]
        )
        assert ok, pair
    stored = {
        pair: dp.get_producer_df(pair, producer_name=owner[pair])[0].iloc[[-1]] for pair in pairs
    }

    def loop() -> float:
        start = time.perf_counter()
        strategy.analyze(pairs)
        return time.perf_counter() - start

    loop()  # warm-up: the fleet consumer builds its merged frames here
    timings, arrivals = [], []
    for step in range(loops):
        if case == "all_new":
            start = time.perf_counter()
            for pair, row in _next_rows(consumer, stored, step):
                stored[pair] = row
                ok, _missing = dp._add_external_df(
                    pair, row, datetime.now(UTC) + timedelta(seconds=step + 1), TIMEFRAME,
                    CandleType.SPOT, owner[pair],
                )  # fmt: skip
                assert ok, pair
            arrivals.append(time.perf_counter() - start)
        timings.append(loop())
    return {
        "seconds": statistics.median(timings),
        "arrival_seconds": statistics.median(arrivals) if arrivals else None,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(impl: str, case: str, n: int, p: int, c: int, loops: int, candles: int) -> dict:
    command = [sys.executable, __file__, "--child", impl, case, str(n), str(p), str(c),
               "--loops", str(loops), "--candles", str(candles)]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _arrival(result: dict) -> str:
    seconds = result.get("arrival_seconds")
    return "n/a" if seconds is None else f"{seconds * 1000:,.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small configurations only")
    parser.add_argument("--full", action="store_true", help="all 12 configurations (~10 min)")
    parser.add_argument("--loops", type=int, default=5)
    parser.add_argument("--candles", type=int, default=1000, help="candles per pair")
    parser.add_argument("--only", help="one configuration N,P,C (e.g. 1000,10,400)")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        impl, case, n, p, c = args.child
        result = child(impl, case, int(n), int(p), int(c), args.loops, args.candles)
        print(json.dumps(result))
        return 0
    configs = QUICK if args.quick else FULL if args.full else DEFAULT
    if args.only:
        configs = [tuple(int(x) for x in args.only.split(","))]
    print(f"{args.candles} candles per pair, median of {args.loops} loops, "
          "one process per cell (peak RSS of that process)\n")  # fmt: skip
    print("|  N |  P |   C | case | fleet loop | naive loop | speed-up "
          "| fleet peak RSS | naive peak RSS | RSS ratio | arrival fleet / naive |")  # fmt: skip
    print("|---:|---:|----:|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, p, c in configs:
        for case in ("unchanged", "all_new"):
            fleet = run_child("fleet", case, n, p, c, args.loops, args.candles)
            naive = run_child("naive", case, n, p, c, args.loops, args.candles)
            print(
                f"| {n} | {p} | {c} | {case.replace('_', ' ')} "
                f"| {fleet['seconds'] * 1000:,.1f} ms | {naive['seconds'] * 1000:,.1f} ms "
                f"| {naive['seconds'] / fleet['seconds']:.1f}x "
                f"| {fleet['peak_rss_mib']:,.0f} MiB | {naive['peak_rss_mib']:,.0f} MiB "
                f"| {fleet['peak_rss_mib'] / naive['peak_rss_mib']:.2f} "
                f"| {_arrival(fleet)} / {_arrival(naive)} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
