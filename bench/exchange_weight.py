"""The exchange budget: request weight per minute of one bot against a fleet, by bot and endpoint.

    .venv/bin/python bench/exchange_weight.py             # 60 and 150 pairs, 1m and 5m
    .venv/bin/python bench/exchange_weight.py --quick     # 60 pairs on 1m only, ~9 min
    .venv/bin/python bench/exchange_weight.py --pairs 150 --timeframes 5m --candles 5
    .venv/bin/python bench/exchange_weight.py --budget-run [--minutes 15]

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

``--budget-run``: does a fleet stay under a tight exchange limit? The simulator enforces
``--weight-limit 1200`` (``--budget-limit``; answering 429 above it); a fleet of 4 producers and a consumer on
``--budget-pairs`` (150) pairs, 5m, runs with ``fleet.gateway`` ``{weight_limit: 1200,
share: 0.9}`` for ``--minutes`` from its start (start-up downloads included). Reported: the
simulator's weight of every minute (the most in one), its 429 answers, the gateway's queued
requests (seconds waited, dropped) and 429/418 answers, and for every 5m candle whether
every producer analysed every pair (REST ``pair_candles``: newest row and
``last_analyzed``) within ``POLL_AFTER_CLOSE`` seconds of the close.
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
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from fleet_scaling import READY_TIMEOUT, PlannedFleet, SingleBot, free_ports
from freqfleet.run import DemoOptions, demo_config
from freqfleet.sim import name_bot, running_simulator

STRATEGY = "FleetSampleStrategy"
SAMPLES_DIR = Path(importlib.util.find_spec("freqfleet.strategy.samples").origin).parent
SNAPSHOT_BEFORE = 3.0
"""Seconds before a candle close at which the simulators' counters are read."""
SEED = 21
BUDGET_LIMIT = 1200
"""``--budget-run``: the simulator's weight limit a minute and the gateway's weight_limit."""
BUDGET_SHARE = 0.9
BUDGET_PRODUCERS = 4
BUDGET_TIMEFRAME = "5m"
POLL_AFTER_CLOSE = 60.0
"""``--budget-run``: seconds after a candle's close at which the producers' analysis of it
is read."""
MINUTE_SAMPLE_BEFORE = 0.7
"""``--budget-run``: seconds before a minute's end at which its weight is read."""


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
        from freqfleet.fleet.exchange_weight import estimate_fleet
        from freqfleet.fleet.strategy_informatives import strategy_class
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


# -- --budget-run ---------------------------------------------------------------------------


def parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def analysed_pairs(fleet: Fleet, close: float, timeframe: str) -> dict[str, Any]:
    """Which producers' pairs have the candle that closed at ``close`` analysed, and when."""
    candle = close - timeframe_seconds(timeframe)
    done: dict[str, float] = {}
    missing: list[str] = []
    for bot in fleet.bots:
        if bot.role != "producer":
            continue
        client = bot.client()
        for pair in bot.pairs:
            answer = client.pair_candles(pair, timeframe, limit=2)
            rows = answer.get("data") if isinstance(answer, dict) else None
            newest = dict(zip(answer["columns"], rows[-1], strict=False)) if rows else {}
            analysed = parse_time(answer.get("last_analyzed")) if rows else None
            if parse_time(newest.get("date")) == candle and analysed is not None:
                done[pair] = round(analysed - close, 2)
            else:
                missing.append(pair)
    return {
        "close": close,
        "analysed": len(done),
        "missing": sorted(missing),
        "latest_s": max(done.values(), default=None),
        "median_s": sorted(done.values())[len(done) // 2] if done else None,
    }


def budget_run(args, root: Path) -> dict[str, Any]:
    """A fleet behind a gateway fitted to a simulator that enforces ``BUDGET_LIMIT``."""
    seconds = timeframe_seconds(BUDGET_TIMEFRAME)
    work = root / "budget-run"
    work.mkdir(parents=True)
    with running_simulator(
        pairs=max(args.budget_pairs, 10), seed=SEED, weight_limit=args.budget_limit
    ) as sim:
        config = user_config(
            sim, sim.pairs[: args.budget_pairs], BUDGET_TIMEFRAME, args.max_open_trades,
            work / "records",
        )  # fmt: skip
        gateway = {
            "listen_port": free_ports(1)[0],
            "weight_limit": args.budget_limit,
            "share": BUDGET_SHARE,
        }
        fleet = Fleet(work, config, BUDGET_PRODUCERS, {"gateway": gateway})
        assert fleet.manifest.gateway is not None
        gateway_url = fleet.manifest.gateway.url
        configs = {
            entry.name: json.loads((fleet.plan_dir / entry.config_files[0]).read_text())
            for entry in fleet.manifest.bots
        }
        from freqfleet.fleet.exchange_weight import estimate_fleet
        from freqfleet.fleet.strategy_informatives import strategy_class

        estimate = estimate_fleet(config, configs, strategy_class(STRATEGY, None, None))
        plan_line, _ = estimate.gateway_budget(BUDGET_SHARE, args.budget_limit)
        print(f"--- budget run: {args.budget_pairs} pairs, {BUDGET_TIMEFRAME}, "
              f"{BUDGET_PRODUCERS} producers; plan: {plan_line}", flush=True)  # fmt: skip
        logging.getLogger("ft_rest_client").setLevel(logging.CRITICAL)
        started = time.time()
        end = started + args.minutes * 60
        fleet.start()
        minutes: list[dict[str, Any]] = []
        candles: list[dict[str, Any]] = []
        up_at: float | None = None
        try:
            next_minute = (int(started // 60) + 1) * 60
            polls: list[float] = []
            next_up_check = started + 5
            while True:
                now = time.time()
                if up_at is None and now >= next_up_check:
                    next_up_check = now + 2
                if up_at is None and now + 2 == next_up_check and up(fleet):
                    up_at = time.time()
                    print(f"--- bots up after {up_at - started:.0f} s", flush=True)
                    first = (int(up_at // seconds) + 1) * seconds
                    polls = [
                        close + POLL_AFTER_CLOSE
                        for close in range(int(first), int(end) + 1, seconds)
                        if close + POLL_AFTER_CLOSE <= end + seconds
                    ]
                if now >= next_minute - MINUTE_SAMPLE_BEFORE:
                    stats = sim.stats()
                    minutes.append({
                        "minute": next_minute - 60,
                        "weight": stats["weight_1m"],
                        "sim_429": stats["errors"].get("-1003", 0),
                    })  # fmt: skip
                    print(f"    {time.strftime('%H:%M', time.gmtime(next_minute - 60))} "
                          f"weight {stats['weight_1m']}", flush=True)  # fmt: skip
                    next_minute += 60
                if polls and now >= polls[0]:
                    close = polls.pop(0) - POLL_AFTER_CLOSE
                    candle = analysed_pairs(fleet, close, BUDGET_TIMEFRAME)
                    candles.append(candle)
                    print(f"    candle {time.strftime('%H:%M', time.gmtime(close))}: "
                          f"{candle['analysed']}/{args.budget_pairs} pairs analysed "
                          f"(latest {candle['latest_s']} s after the close)", flush=True)  # fmt: skip
                if now >= end and not polls:
                    break
                if up_at is None and now - started > READY_TIMEOUT * 2:
                    raise RuntimeError(f"bots not running after {READY_TIMEOUT * 2:.0f} s")
                fleet.check()
                time.sleep(0.2)
            sim_stats = sim.stats()
            gateway_stats = httpx.get(gateway_url + "/gateway/stats", timeout=10).json()
        finally:
            fleet.stop()
    return {
        "pairs": args.budget_pairs,
        "timeframe": BUDGET_TIMEFRAME,
        "producers": BUDGET_PRODUCERS,
        "weight_limit": args.budget_limit,
        "share": BUDGET_SHARE,
        "started": started,
        "up_after_s": None if up_at is None else up_at - started,
        "estimate_through_gateway": estimate.through_gateway,
        "plan_line": plan_line,
        "minutes": minutes,
        "candles": candles,
        "sim_429": sim_stats["errors"].get("-1003", 0),
        "sim_errors": sim_stats["errors"],
        "gateway": gateway_stats["upstream"],
        "gateway_hit_rate": gateway_stats["hit_rate"],
    }


def budget_report(result: dict[str, Any]) -> str:
    weights = [minute["weight"] for minute in result["minutes"]]
    upstream = result["gateway"]
    budget = int(result["weight_limit"] * result["share"])
    candles = result["candles"]
    every = bool(candles) and all(not candle["missing"] for candle in candles)
    lines = [
        f"\nBudget run: {result['pairs']} pairs, {result['timeframe']}, "
        f"{result['producers']} producers + consumer behind the gateway, simulator limit "
        f"{result['weight_limit']:,}/min, gateway budget {budget:,}/min (share "
        f"{result['share']:g}); {len(weights)} minutes from "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(result['started']))} UTC "
        f"(bots up after {result['up_after_s'] or float('nan'):.0f} s)",
        f"- plan: {result['plan_line']}",
        f"- simulator weight per minute: max {max(weights, default=0):,}, mean "
        f"{sum(weights) / max(1, len(weights)):,.0f} (by minute: "
        f"{', '.join(str(w) for w in weights)})",
        f"- simulator 429 answers: {result['sim_429']}; gateway saw 429: "
        f"{upstream['answered_429']}, 418: {upstream['answered_418']}",
        f"- gateway: {upstream['queued']} requests queued for budget, "
        f"{upstream['queued_seconds']:.0f} s waited in all, {upstream['dropped']} dropped "
        f"(client hung up); {upstream['requests']} upstream requests, hit rate "
        f"{result['gateway_hit_rate']}",
    ]
    for candle in candles:
        lines.append(
            f"- candle closing {time.strftime('%H:%M', time.gmtime(candle['close']))}: "
            f"{candle['analysed']}/{result['pairs']} pairs analysed within "
            f"{POLL_AFTER_CLOSE:.0f} s (median {candle['median_s']} s, latest "
            f"{candle['latest_s']} s after the close)"
        )
    lines.append(f"- every pair analysed every candle: {'yes' if every else 'no'}")
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
    parser.add_argument(
        "--budget-run",
        action="store_true",
        help=f"a fleet behind a gateway under a simulator limit of {BUDGET_LIMIT} a minute",
    )
    parser.add_argument("--minutes", type=float, default=15, help="--budget-run: minutes")
    parser.add_argument("--budget-pairs", type=int, default=150, help="--budget-run: pairs")
    parser.add_argument(
        "--budget-limit",
        type=int,
        default=BUDGET_LIMIT,
        help=f"--budget-run: the simulator's limit and the gateway's weight_limit "
        f"(default {BUDGET_LIMIT})",
    )
    args = parser.parse_args()
    if args.quick:
        args.pairs, args.timeframes = [60], ["1m"]
    if args.candles < 1 or any(k < 1 for k in args.producers):
        parser.error("--candles and --producers: use positive numbers")
    for timeframe in args.timeframes:
        if timeframe[-1] not in "mh" or not timeframe[:-1].isdigit():
            parser.error(f"--timeframes {timeframe}: use e.g. 1m or 5m")
    root = args.keep or Path(tempfile.mkdtemp(prefix="freqfleet-weight-"))
    if args.budget_run:
        if args.minutes <= 0 or args.budget_pairs < BUDGET_PRODUCERS or args.budget_limit < 1:
            parser.error(
                f"--minutes, --budget-limit: above 0; --budget-pairs: at least {BUDGET_PRODUCERS}"
            )
        result = budget_run(args, root)
        (root / "budget-run.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
        print(budget_report(result))
        print(f"\nresults: {root / 'budget-run.json'}")
        return 0
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
