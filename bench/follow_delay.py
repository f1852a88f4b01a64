"""Followed exits: delay from a producer's exit fill to the consumer's exit order.

    .venv/bin/python bench/follow_delay.py [--seconds 180] [--pairs 20] [--chance 0.15]

Two producers share ``--pairs`` simulator pairs and run ``FollowRandomExit`` (an entry
signal on every 1m candle, exits only in ``custom_exit`` at random with probability
``--chance`` per call, so trades last seconds). Two consumers run at the same time on the
same producers and market, both with a 1 s process throttle:

- ``follow exits``: ``fleet.follow = ["exits"]``: the consumer exits when a producer does;
- ``own custom_exit`` (baseline): ``fleet.follow = []``: the consumer runs the same
  callback itself, as a plain consumer would.

For every consumer exit the delay is measured from the latest producer exit fill on the
pair (since the consumer's trade opened) to the consumer's exit order, read from the bots'
databases. An exit with no producer exit before it happened "before the producer".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scenarios.follow.support import (
    Bot,
    consumer_config,
    loops_between,
    producer_config,
)

from freqfleet.sim.launcher import running_simulator


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure(producers: list[Bot], consumer: Bot) -> dict[str, float]:
    fills: dict[str, list] = {}
    for bot in producers:
        for order in bot.exit_orders():
            if order["filled_date"]:
                fills.setdefault(order["pair"], []).append(order["filled_date"])
    loops = consumer.loop_starts()
    delays, before, one_loop = [], 0, 0
    exits = consumer.exit_orders()
    for order in exits:
        since_open = [
            fill
            for fill in fills.get(order["pair"], [])
            if order["trade_open_date"] <= fill <= order["order_date"]
        ]
        if not since_open:
            before += 1
            continue
        latest = max(since_open)
        delays.append((order["order_date"] - latest).total_seconds())
        one_loop += loops_between(loops, latest, order["order_date"]) <= 1
    return {
        "exits": len(exits),
        "before_producer": before,
        "median": statistics.median(delays) if delays else float("nan"),
        "p95": percentile(delays, 0.95) if delays else float("nan"),
        "max": max(delays) if delays else float("nan"),
        "first_loop": one_loop,
        "measured": len(delays),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--chance", type=float, default=0.15)
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="freqfleet-follow-bench-") as tmp,
        running_simulator(pairs=args.pairs, seed=21) as sim,
    ):
        work = Path(tmp)
        half = args.pairs // 2
        extra = {"follow_test_exit_chance": args.chance}
        producers = [
            Bot(name, work / name, producer_config(sim, name, pairs, **extra), "FollowRandomExit")
            for name, pairs in (
                ("producer-1", sim.pairs[:half]),
                ("producer-2", sim.pairs[half : args.pairs]),
            )
        ]
        consumers = {
            case: Bot(
                name,
                work / name,
                consumer_config(
                    sim,
                    producers,
                    follow=follow,
                    max_open_trades=args.pairs,
                    workdir=work / name,
                    **extra,
                ),
                "FollowRandomExit",
            )
            for case, name, follow in (
                ("follow exits", "consumer-follow", ["exits"]),
                ("own custom_exit (baseline)", "consumer-own", []),
            )
        }
        bots = [*producers, *consumers.values()]
        try:
            for bot in bots:
                bot.start()
            time.sleep(args.seconds)
        finally:
            for bot in reversed(bots):
                bot.stop()
        producer_exits = sum(len(bot.exit_orders()) for bot in producers)
        print(f"{producer_exits} producer exits in {args.seconds:.0f} s, {args.pairs} pairs\n")
        print("| consumer | exits | before the producer | delay median | p95 | max | "
              "in the first loop |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|")
        for case, bot in consumers.items():
            m = measure(producers, bot)
            print(
                f"| {case} | {m['exits']} | {m['before_producer']} | {m['median']:.2f} s | "
                f"{m['p95']:.2f} s | {m['max']:.2f} s | {m['first_loop']}/{m['measured']} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
