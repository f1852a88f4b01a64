"""A burst of entries in one consumer loop: freqtrade's order books one after the other
against one batch a loop (``freqfleet.compat.entry_books``), in one run.

    .venv/bin/python bench/entry_burst.py [--pairs 30] [--rounds 3]

A dry-run fleet consumer (freqtrade's ``FreqtradeBot`` in this process, as the live
scenarios run it) on the exchange simulator, market entries priced from the order book
(``price_side`` "other", ``order_book_top`` 1) and ccxt's Binance rate limit (50 ms between
requests), every pair signalling on the same candle; one loop per round, a new bot each
round. Per round: the time from the loop's start to its first and last entry order (the
orders' dates in freqtrade's database), the loop's length and the order-book requests
the simulator counted for the bot. ``freqtrade``: the two patches undone, freqtrade's own
path (a book for the price and another for the dry-run fill, each entry in turn).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from freqtrade.enums import RunMode
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.persistence import Trade
from tests.kit.live_consumer import MARKET, LiveConsumer, away_from_a_close, live_config

from freqfleet.compat import patches
from freqfleet.sim import RunningSimulator, running_simulator
from freqfleet.sim.account_file import create_account_file

DEPTH = "/api/v3/depth"
BATCH_PATCHES = ("enter_positions", "fetch_l2_order_book")


def log_to_file(path: Path) -> None:
    """freqtrade's lines at INFO into a file only, as a bot that writes its log file."""
    logging.basicConfig(level=logging.INFO, filename=path, force=True)


def consumer(sim: RunningSimulator, work: Path, name: str, batch: bool) -> LiveConsumer:
    config = live_config(
        sim, work, name, list(sim.pairs), dry_run=True, dry_run_wallet=10**7, order_types=MARKET
    )
    for key in ("ccxt_config", "ccxt_async_config"):
        config["exchange"][key].pop("enableRateLimit", None)  # ccxt's Binance spacing
    config["runmode"] = RunMode.DRY_RUN
    log_to_file(work / "bots.log")  # after freqtrade's set-up of its console handler
    bot = FreqtradeBot(config)
    if not batch:
        for record in reversed(patches.applied()):
            if record.name in BATCH_PATCHES:
                patches.undo(record)
    bot.startup()
    bot.process()
    running = LiveConsumer(bot, sim, list(sim.pairs))
    running.send_signals([])
    running.loop()
    return running


def burst(sim: RunningSimulator, work: Path, name: str, batch: bool) -> dict[str, float]:
    running = consumer(sim, work, name, batch)
    try:
        away_from_a_close(15)
        depth = sim.bot_stats().get(name, {}).get("requests", {}).get(DEPTH, 0)
        running.send_signals(list(sim.pairs))
        start = time.time()
        running.bot.process()
        end = time.time()
        dates = sorted(
            o.order_date.replace(tzinfo=UTC).timestamp()
            for t in Trade.get_trades_proxy()
            for o in t.orders
        )
        return {
            "entries": len(dates),
            "first": dates[0] - start,
            "last": dates[-1] - start,
            "loop": end - start,
            "books": sim.bot_stats()[name]["requests"][DEPTH] - depth,
        }
    finally:
        running.bot.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"freqtrade": [], "batch": []}
    with tempfile.TemporaryDirectory(prefix="entry-burst-") as tmp:
        work = Path(tmp)
        account = work / "account.json"
        create_account_file(account, {"USDT": 10**7 * 10**8})
        with running_simulator(pairs=args.pairs, seed=11, account=account) as sim:
            for round_ in range(args.rounds):
                for mode in results:
                    name = f"{mode}-{round_}"
                    results[mode].append(burst(sim, work / name, name, mode == "batch"))
    print(f"{args.pairs} pairs, {args.rounds} rounds; medians")
    print("| path | entries | loop start -> first / last entry order | loop | order books |")
    print("|---|---:|---:|---:|---:|")
    for mode, rounds in results.items():
        med: dict[str, Any] = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        print(
            f"| {mode} | {med['entries']:.0f} | {med['first']:.2f} s / {med['last']:.2f} s "
            f"| {med['loop']:.2f} s | {med['books']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
