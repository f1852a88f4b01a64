"""``freqfleet demo``: a whole fleet on the built-in exchange simulator.

Why: a user should see a fleet work (producers analysing, one consumer trading every pair
with one wallet) before pointing anything at an exchange. Everything is real: the
simulator serves Binance's REST API on 127.0.0.1, the bots are unmodified
``freqtrade trade`` processes in dry-run, planned by the same code as ``freqfleet plan``
and supervised by the same code as ``freqfleet up``.

``--live``: the consumer trades live (``dry_run: false``) on the simulator's account, with
signed requests, as it would on Binance. The account file (key, secret, starting
balances; mode 0600) lives in the demo's folder; the config the demo plans from holds its
key and secret, so the plan hands them to the consumer alone, exactly as for a user's live
config.

``--futures``: the fleet trades the simulator's USDT-margined perpetuals (``BTC/USDT:USDT``)
in isolated margin, long and short, with ``FleetFuturesSampleStrategy`` (a leverage per
entry tag); with ``--live`` on the account's separate futures wallet.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from freqfleet.botapi import BotApi, BotApiError
from freqfleet.errors import ConfigError
from freqfleet.fleet import (
    BotEntry,
    FleetManifest,
    partition,
    trading_line,
    validate_fleet_config,
    write_plan,
)
from freqfleet.ports import free_ports
from freqfleet.run.processes import local_api_url, process_specs
from freqfleet.run.startup import show_start_up
from freqfleet.run.status import collect_status
from freqfleet.run.status_table import render_status
from freqfleet.run.supervisor import Supervisor
from freqfleet.sim import RunningSimulator, running_simulator
from freqfleet.timeframes import candle_start

ACCOUNT_FILE = "sim-account.json"
"""The simulator's account with ``--live``, in the demo's folder (created when missing)."""
DEMO_TIMEFRAME = "1m"
DEMO_STRATEGY = "FleetSampleStrategy"
FUTURES_STRATEGY = "FleetFuturesSampleStrategy"
# Market orders fill at once in dry-run (a limit order at the touch waits for the price to
# come back), so the demo's slots hold trades, not pending orders.
MARKET_ORDER_TYPES: dict[str, str | bool] = {
    "entry": "market",
    "exit": "market",
    "emergency_exit": "market",
    "force_entry": "market",
    "force_exit": "market",
    "stoploss": "market",
    "stoploss_on_exchange": False,
}


@dataclass(frozen=True)
class DemoOptions:
    producers: int = 3
    pairs: int = 30
    minutes: float | None = None
    max_open_trades: int = 5
    seed: int = 7
    directory: Path | None = None
    live: bool = False
    futures: bool = False

    @property
    def strategy(self) -> str:
        return FUTURES_STRATEGY if self.futures else DEMO_STRATEGY

    def check(self) -> None:
        if not 1 <= self.producers <= 20:
            raise ConfigError(f"--producers {self.producers}: use 1 to 20 producers")
        if not self.producers <= self.pairs <= 500:
            raise ConfigError(
                f"--pairs {self.pairs}: use at least one pair per producer and at most 500"
            )
        if self.minutes is not None and self.minutes <= 0:
            raise ConfigError(f"--minutes {self.minutes}: use a positive number of minutes")
        if self.max_open_trades < 1:
            raise ConfigError(f"--max-open-trades {self.max_open_trades}: use 1 or more")


def demo_config(exchange: dict[str, Any], options: DemoOptions) -> dict[str, Any]:
    """An ordinary freqtrade config plus a fleet section, as a user would write it."""
    ports = free_ports(options.producers + 1)
    mode = (
        {"trading_mode": "futures", "margin_mode": "isolated"}
        if options.futures
        else {"trading_mode": "spot"}
    )
    return {
        "strategy": options.strategy,
        "timeframe": DEMO_TIMEFRAME,
        "max_open_trades": options.max_open_trades,
        "stake_currency": "USDT",
        # The whole wallet split over the slots (freqtrade keeps 1 % aside by default).
        "stake_amount": "unlimited",
        "dry_run": not options.live,
        "dry_run_wallet": 100 * options.max_open_trades,
        **mode,
        "order_types": dict(MARKET_ORDER_TYPES),
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "unfilledtimeout": {"entry": 2, "exit": 2, "unit": "minutes"},
        "exchange": exchange,
        "pairlists": [{"method": "StaticPairList"}],
        "fleet": {
            "producers": [
                {"name": f"producer-{index + 1}", "port": port}
                for index, port in enumerate(ports[:-1])
            ],
            "consumer_port": ports[-1],
        },
    }


def check_every_producer_has_pairs(config: dict[str, Any], options: DemoOptions) -> None:
    """Refuse before anything starts when the pair split leaves a producer without pairs.

    Why: the split (``freqfleet.fleet.partition``) stays stable when pairs or producers
    change, so it does not balance small counts; freqtrade refuses to start a producer
    with an empty whitelist, which would end the demo after the others had started.
    """
    pairs = config["exchange"]["pair_whitelist"]
    names = [producer["name"] for producer in config["fleet"]["producers"]]
    idle = [name for name, share in partition(pairs, names).items() if not share]
    if idle:
        raise ConfigError(
            f"--pairs {options.pairs}: the stable pair split gives {', '.join(idle)} none of "
            f"the {len(pairs)} pairs; use more --pairs or fewer --producers"
        )


def bot_trades(bot: BotEntry) -> list[dict[str, Any]]:
    """A bot's closed trades (REST ``/trades``) and open ones (``/status``), oldest first;
    what a bot does not answer counts as none (a stopped bot has no trades to show)."""
    found: list[dict[str, Any]] = []
    with BotApi(local_api_url(bot), bot.username, bot.password, timeout=10) as api:
        for read in (functools.partial(api.trades, limit=500), api.open_trades):
            with contextlib.suppress(BotApiError):
                found += read()
    return sorted(found, key=lambda trade: trade["open_date"])


def _candle(date_text: str) -> datetime:
    return candle_start(DEMO_TIMEFRAME, datetime.fromisoformat(date_text))


def max_concurrent(trades: list[dict[str, Any]]) -> int:
    """The most trades open at one moment (slots used)."""
    events: list[tuple[str, int]] = []
    for trade in trades:
        events.append((trade["open_date"], 1))
        if trade.get("close_date"):
            events.append((trade["close_date"], -1))
    events.sort(key=lambda event: (event[0], event[1]))
    open_now = most = 0
    for _, change in events:
        open_now += change
        most = max(most, open_now)
    return most


def summary_table(manifest: FleetManifest) -> Table:
    """Per producer: its pairs, its (virtual) trades, the consumer's trades on its pairs."""
    consumer_trades = bot_trades(manifest.consumer)
    table = Table(title="demo summary", title_justify="left")
    for column in ("producer", "pairs", "producer trades", "consumer trades", "same candle"):
        table.add_column(column, justify="right")
    consumer_entries = Counter((t["pair"], _candle(t["open_date"])) for t in consumer_trades)
    total_matched = 0
    for producer in manifest.producers:
        producer_trades = bot_trades(producer)
        signals = {(t["pair"], _candle(t["open_date"])) for t in producer_trades}
        mine = [t for t in consumer_trades if t["pair"] in set(producer.pairs)]
        matched = sum(
            count
            for key, count in consumer_entries.items()
            if key in signals and key[0] in producer.pairs
        )
        total_matched += matched
        table.add_row(
            producer.name,
            str(len(producer.pairs)),
            str(len(producer_trades)),
            str(len(mine)),
            str(matched),
        )
    slots = max_concurrent(consumer_trades)
    shorts = sum(1 for trade in consumer_trades if trade.get("is_short"))
    table.caption = (
        f"consumer: {len(consumer_trades)} trades"
        + (f" ({shorts} short)" if shorts else "")
        + f", {total_matched} entered on a producer's signal candle; "
        f"at most {slots} open at once"
    )
    table.caption_justify = "left"
    return table


def account_line(account: dict[str, Any]) -> str:
    """The simulator account's balances (``GET /sim/account``), as exact as it gives them."""
    balances = account.get("balances") or {}
    held = [
        f"{asset} {values.get('free')} free, {values.get('locked')} locked"
        for asset, values in sorted(balances.items())
        if isinstance(values, dict)
    ]
    line = "simulator account: " + ("; ".join(held) or "no balances")
    futures = account.get("futures")
    if isinstance(futures, dict) and isinstance(futures.get("wallet"), dict):
        sums = futures["wallet"]
        shown = ("totalWalletBalance", "totalUnrealizedProfit", "availableBalance")
        wallet = ", ".join(f"{key} {sums[key]}" for key in shown if key in sums)
        positions = len(futures.get("positions") or [])
        line += f"; futures (USDT): {wallet}; {positions} open position(s)"
    return line


def plan_demo(
    sim: RunningSimulator, options: DemoOptions, root: Path, console: Console
) -> tuple[Path, FleetManifest]:
    """Plan the demo's fleet in ``root/fleet`` as a user would, and say who trades what."""
    if options.futures:
        exchange = sim.futures_config(live=options.live)["exchange"]
    else:
        exchange = sim.exchange_config(sim.pairs, live=options.live)
    config = demo_config(exchange, options)
    check_every_producer_has_pairs(config, options)
    plan_dir = root / "fleet"
    spec = validate_fleet_config(config)
    manifest = write_plan(config, spec, plan_dir)
    console.print(f"fleet planned in {plan_dir}")
    console.print(trading_line(config, spec), soft_wrap=True, markup=False)
    if options.live:
        kept = "" if options.directory else " (while the demo runs; --dir keeps the folder)"
        console.print(
            f"the consumer trades LIVE on the simulator's account ({root / ACCOUNT_FILE}, "
            f"mode 0600; of the plan, only {manifest.consumer.config_files[0]} holds its key); "
            f"its balances, the exchange's and the bot's: freqfleet status {plan_dir}{kept}",
            soft_wrap=True,
            markup=False,
        )
    return plan_dir, manifest


def supervise(
    plan_dir: Path, manifest: FleetManifest, options: DemoOptions, console: Console
) -> None:
    """Run the fleet with the live status table until Ctrl-C or ``--minutes``."""
    from freqfleet.dashboard import dashboard_spec, default_port  # it reads run/

    dashboard = dashboard_spec(plan_dir, manifest, default_port(manifest))
    specs = [*process_specs(plan_dir, manifest), dashboard]
    supervisor = Supervisor(plan_dir, specs, on_event=lambda line: None)
    supervisor.install_signal_handlers()
    try:
        supervisor.start()
        show_start_up(supervisor, console)
        console.print(
            f"dashboard: {(dashboard.ping_url or '').removesuffix('healthz')} (user "
            f"{manifest.consumer.username}, the consumer's API password in "
            f"{plan_dir / manifest.consumer.config_files[0]})",
            soft_wrap=True,
            markup=False,
        )
        deadline = None if options.minutes is None else time.monotonic() + options.minutes * 60
        console.print("trading; new candles arrive every minute. Ctrl-C stops the demo.")
        with Live(
            render_status(collect_status(plan_dir, manifest)),
            console=console,
            refresh_per_second=1,
        ) as live:
            next_refresh = 0.0

            def refresh() -> None:
                nonlocal next_refresh
                if time.monotonic() >= next_refresh:
                    next_refresh = time.monotonic() + 5
                    status = render_status(collect_status(plan_dir, manifest, timeout=3))
                    live.update(Group(status))

            supervisor.run(until=deadline, tick=refresh)
        console.print(summary_table(manifest))
    finally:
        supervisor.stop()


def run_demo(options: DemoOptions, console: Console | None = None) -> int:
    options.check()
    console = console or Console()
    wallet = "LIVE on the simulator's account" if options.live else "dry-run"
    console.print(
        f"[bold]freqfleet demo[/]: {options.producers} producers, {options.pairs} pairs, "
        f"1 consumer (max {options.max_open_trades} trades, {wallet}), {options.strategy} on "
        f"{DEMO_TIMEFRAME} candles"
        + (" (USDT perpetuals, long and short, isolated margin)" if options.futures else "")
    )
    root = options.directory or Path(tempfile.mkdtemp(prefix="freqfleet-demo-"))
    try:
        root.mkdir(parents=True, exist_ok=True)
        account = root / ACCOUNT_FILE if options.live else None
        with running_simulator(pairs=options.pairs, seed=options.seed, account=account) as sim:
            console.print(f"exchange simulator: {sim.url} ({len(sim.pairs)} pairs)")
            plan_dir, manifest = plan_demo(sim, options, root, console)
            supervise(plan_dir, manifest, options, console)
            if options.live:
                console.print(account_line(sim.account()), markup=False)
    finally:
        if options.directory is None:
            shutil.rmtree(root, ignore_errors=True)
    if options.directory is not None:
        console.print(f"plan and logs kept in {root / 'fleet'}")
    return 0


__all__ = [
    "ACCOUNT_FILE",
    "FUTURES_STRATEGY",
    "MARKET_ORDER_TYPES",
    "DemoOptions",
    "account_line",
    "bot_trades",
    "check_every_producer_has_pairs",
    "demo_config",
    "max_concurrent",
    "plan_demo",
    "run_demo",
    "summary_table",
]
