"""The exchange budget: request weight per minute of one bot against a fleet, by bot and endpoint.

    .venv/bin/python bench/exchange_weight.py             # 60 and 150 pairs, 1m and 5m
    .venv/bin/python bench/exchange_weight.py --quick     # 60 pairs on 1m only, ~9 min
    .venv/bin/python bench/exchange_weight.py --pairs 150 --timeframes 5m --candles 5

Real ``freqtrade trade`` processes on the exchange simulator, ``FleetSampleStrategy`` with
the demo's settings (order-book pricing, market orders, ``--max-open-trades`` slots;
closed candles from the simulator's kline streams, as on Binance, which cost no weight). For
every (pairs, timeframe) the cases run side by side, each against its own simulator (same
seed, so the same market), so that every case sees the same candles in the same minutes:

- ``single`` (baseline): one ordinary bot on every pair;
- ``kK``: the same config planned by ``freqfleet plan`` as K producers and a consumer, run
  under the supervisor ``freqfleet up`` uses;
- ``kK-gw`` (``--gateway``): the same fleet with ``fleet.gateway`` (the market-data
  gateway in front of the simulator, started first by the supervisor). The simulator
  then sees the gateway's upstream requests (counted as ``unattributed``: the gateway
  does not name itself) and the bots' private requests, if any.

Every bot names itself to its simulator (``X-Freqfleet-Bot``: the plan does it for the
fleet, the benchmark for the single bot), and the simulator's ``/sim/stats`` counts
requests and weight per bot and endpoint. Counted from just before the close of a warm-up
candle (after start-up downloads) to just before the close ``--candles`` candles later:
steady-state weight per minute. The estimate of ``freqfleet.fleet.exchange_weight`` (what
``plan`` warns with) is printed next to the measured figures when it is installed.

The simulator's clock is the wall clock: 5 candles of 5m take about 30 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import logging
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psutil

from fleet_scaling import READY_TIMEOUT, PlannedFleet, SingleBot, free_ports
from freqfleet.run import DemoOptions, demo_config
from freqfleet.sim import name_bot, running_simulator

STRATEGY = "FleetSampleStrategy"
SAMPLES_DIR = Path(importlib.util.find_spec("freqfleet.strategy.samples").origin).parent
SNAPSHOT_BEFORE = 3.0
"""Seconds before a candle close at which the simulators' counters are read."""
SEED = 21


def timeframe_seconds(timeframe: str) -> int:
    units = {"m": 60, "h": 3600}
    return int(timeframe[:-1]) * units[timeframe[-1]]


def user_config(sim, pairs: list[str], timeframe: str, slots: int, records: Path) -> dict:
    """The demo's ordinary config (what a user runs as one bot), on ``timeframe``."""
    config = demo_config(sim.exchange_config(pairs), DemoOptions(max_open_trades=slots))
    del config["fleet"]  # a fleet section is added where a fleet is planned
    return {
        **config,
        "strategy_path": str(SAMPLES_DIR),
        "timeframe": timeframe,
        "internals": {"process_throttle_secs": 5},
        "bench_record_dir": str(records),
    }


class Fleet(PlannedFleet):
    """A planned fleet; the supervisor's gateway (not a bot) is checked apart from the bots."""

    def check(self) -> None:
        self.supervisor.check()
        for name, child in self.supervisor.children.items():
            if child.gave_up:
                raise RuntimeError(f"{name} keeps exiting; see {self.plan_dir}/user_data/logs")
            bot = self.bots_by_name.get(name)
            alive = child.process is not None and child.process.poll() is None
            if (
                bot is not None
                and alive
                and (bot.process is None or bot.process.pid != child.process.pid)
            ):
                bot.process = psutil.Process(child.process.pid)


def start_case(name: str, sim, pairs: list[str], args, timeframe: str, work: Path):
    """The case's runner (not started) and the user config it was made from."""
    work.mkdir(parents=True)
    config = user_config(sim, pairs, timeframe, args.max_open_trades, work / "records")
    if name == "single":
        named = {**config, "exchange": name_bot(config["exchange"], "single")}
        return SingleBot(work, named), config
    producers, _, variant = name[1:].partition("-")
    overrides = {"gateway": {"listen_port": free_ports(1)[0]}} if variant == "gw" else {}
    return Fleet(work, config, int(producers), overrides), config


def bot_weights(stats: dict[str, Any]) -> dict[str, dict[str, tuple[int, int]]]:
    """bot -> endpoint -> (requests, weight) from one ``/sim/stats``."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for bot, counts in stats["bots"].items():
        out[bot] = {
            endpoint: (count, counts["weight"].get(endpoint, 0))
            for endpoint, count in counts["requests"].items()
        }
    return out


def difference(after: dict, before: dict) -> dict[str, dict[str, tuple[int, int]]]:
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for bot, endpoints in after.items():
        for endpoint, (count, weight) in endpoints.items():
            old_count, old_weight = before.get(bot, {}).get(endpoint, (0, 0))
            if count - old_count:
                out.setdefault(bot, {})[endpoint] = (count - old_count, weight - old_weight)
    return out


def estimate_for(runner, user: dict[str, Any]) -> float | None:
    """The plan's estimate for this case (``freqfleet.fleet.exchange_weight``), if installed."""
    try:
        from freqfleet.fleet.exchange_weight import estimate_fleet, strategy_class
    except ImportError:
        return None
    strategy = strategy_class(STRATEGY, None, None)
    if isinstance(runner, SingleBot):
        return estimate_fleet(user, {}, strategy).single.total
    if runner.manifest.gateway is not None:
        return None  # the estimate is for a fleet without a gateway
    configs = {
        entry.name: json.loads((runner.plan_dir / entry.config_files[0]).read_text())
        for entry in runner.manifest.bots
    }
    return estimate_fleet(user, configs, strategy).total


def run_group(pairs_count: int, timeframe: str, args, root: Path) -> dict[str, Any]:
    cases = ["single", *(f"k{k}" for k in args.producers if not args.gateway_only)]
    if args.gateway or args.gateway_only:
        cases += [f"k{k}-gw" for k in args.producers]
    seconds = timeframe_seconds(timeframe)
    with contextlib.ExitStack() as stack:
        sims = {
            case: stack.enter_context(running_simulator(pairs=max(pairs_count, 10), seed=SEED))
            for case in cases
        }
        runners = {}
        estimates = {}
        for case in cases:
            sim = sims[case]
            runners[case], config = start_case(
                case, sim, sim.pairs[:pairs_count], args, timeframe,
                root / f"{pairs_count}-{timeframe}" / case,
            )  # fmt: skip
            estimates[case] = estimate_for(runners[case], config)
        print(f"--- {pairs_count} pairs, {timeframe}: starting {', '.join(cases)}", flush=True)
        for runner in runners.values():
            runner.start()
            stack.callback(runner.stop)

        def wait_until(moment: float) -> None:
            while time.time() < moment:
                for runner in runners.values():
                    runner.check()
                time.sleep(min(0.5, max(0.0, moment - time.time())))

        logging.getLogger("ft_rest_client").setLevel(logging.CRITICAL)
        deadline = time.monotonic() + READY_TIMEOUT * 2
        while not all(up(runner) for runner in runners.values()):
            for runner in runners.values():
                runner.check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"bots not running after {READY_TIMEOUT * 2:.0f} s")
            time.sleep(2)
        now = time.time()
        warm_up = (int(now // seconds) + 1) * seconds
        if warm_up - now < 20:  # bots just up: let them finish the start-up downloads
            warm_up += seconds
        end = warm_up + seconds * args.candles
        print(
            f"--- counting from {time.strftime('%H:%M:%S', time.gmtime(warm_up))} UTC for "
            f"{args.candles} candles (until {time.strftime('%H:%M:%S', time.gmtime(end))})",
            flush=True,
        )
        wait_until(warm_up - SNAPSHOT_BEFORE)
        before = {case: bot_weights(sims[case].stats()) for case in cases}
        wait_until(end - SNAPSHOT_BEFORE)
        after = {case: bot_weights(sims[case].stats()) for case in cases}
    minutes = (end - warm_up) / 60
    result: dict[str, Any] = {
        "pairs": pairs_count,
        "timeframe": timeframe,
        "candles": args.candles,
        "minutes": minutes,
        "from": warm_up,
        "cases": {},
    }
    for case in cases:
        counted = difference(after[case], before[case])
        estimate = estimates[case]
        result["cases"][case] = {
            "bots": {
                bot: {
                    endpoint: {"requests": count / minutes, "weight": weight / minutes}
                    for endpoint, (count, weight) in endpoints.items()
                }
                for bot, endpoints in sorted(counted.items())
            },
            "estimate": estimate,
        }
    return result


def up(runner) -> bool:
    for bot in runner.bots:
        if bot.process is None:
            return False
        answer = bot.client().show_config()
        if not isinstance(answer, dict) or answer.get("state") != "running":
            return False
    return True


def total(case: dict[str, Any]) -> float:
    return sum(e["weight"] for endpoints in case["bots"].values() for e in endpoints.values())


def short(endpoint: str) -> str:
    return endpoint.removeprefix("/api/v3/")


def report(results: list[dict[str, Any]]) -> str:
    """A markdown table per (pairs, timeframe): weight/min per bot and endpoint, totals."""
    lines: list[str] = []
    for group in results:
        lines.append(
            f"\n{group['pairs']} pairs, {group['timeframe']}, {group['candles']} candles "
            f"({group['minutes']:.0f} min) from "
            f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(group['from']))} UTC:\n"
        )
        endpoints = sorted(
            {
                endpoint
                for case in group["cases"].values()
                for counts in case["bots"].values()
                for endpoint in counts
            }
        )
        lines.append(
            "| case | bot | weight/min | "
            + " | ".join(f"{short(e)} (req/min, weight/min)" for e in endpoints)
            + " |"
        )
        lines.append("|---|---|---:|" + "---:|" * len(endpoints))
        single = total(group["cases"]["single"]) or float("nan")
        for name, case in group["cases"].items():
            for bot, counts in case["bots"].items():
                cells = []
                for endpoint in endpoints:
                    entry = counts.get(endpoint)
                    cells.append(
                        f"{entry['requests']:.1f}, {entry['weight']:.0f}" if entry else "-"
                    )
                weight = sum(e["weight"] for e in counts.values())
                lines.append(f"| {name} | {bot} | {weight:.0f} | " + " | ".join(cells) + " |")
            by_endpoint: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
            for counts in case["bots"].values():
                for endpoint, entry in counts.items():
                    by_endpoint[endpoint][0] += entry["requests"]
                    by_endpoint[endpoint][1] += entry["weight"]
            cells = [
                f"{by_endpoint[e][0]:.1f}, {by_endpoint[e][1]:.0f}" if e in by_endpoint else "-"
                for e in endpoints
            ]
            estimate = case.get("estimate")
            note = f" (plan's estimate {estimate:.0f})" if estimate is not None else ""
            lines.append(
                f"| **{name}** | **total, {total(case) / single:.2f}x single**{note} | "
                f"**{total(case):.0f}** | " + " | ".join(cells) + " |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[60, 150])
    parser.add_argument("--timeframes", nargs="+", default=["1m", "5m"])
    parser.add_argument("--producers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--candles", type=int, default=5)
    parser.add_argument("--max-open-trades", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="60 pairs on 1m only")
    parser.add_argument("--gateway", action="store_true", help="also each fleet with fleet.gateway")
    parser.add_argument(
        "--gateway-only", action="store_true", help="the single bot and the fleets with a gateway"
    )
    parser.add_argument("--keep", type=Path, help="keep plans, logs and results.json here")
    args = parser.parse_args()
    if args.quick:
        args.pairs, args.timeframes = [60], ["1m"]
    if args.candles < 1 or any(k < 1 for k in args.producers):
        parser.error("--candles and --producers: use positive numbers")
    for timeframe in args.timeframes:
        if timeframe[-1] not in "mh" or not timeframe[:-1].isdigit():
            parser.error(f"--timeframes {timeframe}: use e.g. 1m or 5m")
    root = args.keep or Path(tempfile.mkdtemp(prefix="freqfleet-weight-"))
    results = []
    for timeframe in args.timeframes:
        for pairs in args.pairs:
            results.append(run_group(pairs, timeframe, args, root))
            (root / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(report(results))
    print(f"\nresults: {root / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
