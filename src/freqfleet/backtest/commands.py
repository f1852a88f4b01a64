"""``freqfleet backtest``: one shared wallet against split wallets."""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console

from freqfleet.datasets import DEFAULT_DATASET, EXAMPLES_DIR, dataset_dir
from freqfleet.errors import ConfigError

EXAMPLE_CONFIG = EXAMPLES_DIR / "backtest-fleet.json"


@contextlib.contextmanager
def offline_markets(
    datadir: Path | None, trading_mode: str = "spot"
) -> Iterator[dict[str, Any] | None]:
    """Markets from freqfleet's simulator replaying the data, so no exchange is needed
    (on futures its perpetuals: one per USDT spot market it replays)."""
    from freqfleet.sim import ccxt_settings, running_simulator

    options: dict[str, Any] = {"model": "replay"}
    if datadir is None or Path(datadir).resolve() == dataset_dir():
        options["dataset"] = DEFAULT_DATASET
    else:
        options["data_dir"] = str(datadir)
    with running_simulator(**options) as sim:
        settings = ccxt_settings(sim.url, trading_mode=trading_mode)
        yield {
            "name": "binance",
            "key": "",
            "secret": "",
            "enable_ws": False,
            "ccxt_config": settings,
            "ccxt_async_config": settings,
        }


def run_backtest(args: argparse.Namespace, console: Console | None = None) -> int:
    """On futures without --datadir: perpetuals made from the bundled recording."""
    console = console or Console()
    if not args.verbose:  # freqtrade's own start-up chatter; its warnings still show
        logging.getLogger("freqtrade").setLevel(logging.WARNING)
    config_path = Path(args.config)
    if not config_path.is_file():
        raise ConfigError(f"--config {args.config}: no such file; try the example {EXAMPLE_CONFIG}")
    datadir = Path(args.datadir) if args.datadir else None
    offline = args.offline or datadir is None
    trading_mode = _trading_mode(config_path)
    with contextlib.ExitStack() as stack:
        if trading_mode == "futures" and datadir is None:
            made = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="freqfleet-")))
            datadir = bundled_futures(config_path, made)
        return _run(args, console, config_path, datadir, offline, trading_mode)


def _trading_mode(config_path: Path) -> str:
    from freqfleet.fleet import load_fleet_config, trading_mode_of

    return trading_mode_of(load_fleet_config(config_path)[0])


def bundled_futures(config_path: Path, target: Path) -> Path:
    """Perpetuals of the bundled recording for the config's ``BASE/USDT:USDT`` pairs."""
    from freqfleet.backtest.futures_data import perpetual_of, write_futures_dataset
    from freqfleet.fleet import load_fleet_config

    config, _ = load_fleet_config(config_path)
    wanted = list((config.get("exchange") or {}).get("pair_whitelist") or [])
    recorded = {perpetual_of(path.name.split("-")[0].replace("_", "/")): path.name.split("-")[0]
                for path in dataset_dir().glob("*_BTC-5m.feather")}  # fmt: skip
    missing = [pair for pair in wanted if pair not in recorded]
    if missing or not wanted:
        raise ConfigError(
            f"exchange.pair_whitelist: {', '.join(missing) or 'no pairs'} not in the bundled "
            f"recording; backtest futures on {', '.join(sorted(recorded))}, or give --datadir "
            "with futures data (freqtrade download-data --trading-mode futures)"
        )
    sources = [recorded[pair].replace("_", "/") for pair in wanted]
    write_futures_dataset(dataset_dir(), target, sources)
    return target


def _run(
    args: argparse.Namespace,
    console: Console,
    config_path: Path,
    datadir: Path | None,
    offline: bool,
    trading_mode: str,
) -> int:
    # freqtrade's backtesting takes a second to import: only when this command runs.
    from freqfleet.backtest.engine import BacktestRequest, FleetBacktester
    from freqfleet.backtest.report import comparison_table, write_html

    request = BacktestRequest(
        config_path=config_path,
        datadir=datadir,
        timerange=args.timerange,
        delayed=args.delayed,
        userdir=Path(args.userdir) if args.userdir else None,
    )
    markets = offline_markets(datadir, trading_mode) if offline else contextlib.nullcontext()
    with console.status("backtesting") as status, markets as exchange:
        backtester = FleetBacktester(
            request, exchange_override=exchange, on_progress=lambda text: status.update(text)
        )
        if not args.verbose:  # loading the config set freqtrade's logging up again
            logging.getLogger("freqtrade").setLevel(logging.WARNING)
        with backtester:
            comparison = backtester.run()
            currency = str(backtester.config["stake_currency"])
    console.print(comparison_table(comparison, currency))
    if args.export_html:
        path = write_html(comparison, currency, Path(args.export_html))
        console.print(f"report written to {path}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``backtest``."""
    parser = subparsers.add_parser(
        "backtest",
        help="Backtest the fleet: one shared wallet against K split wallets.",
        description="Backtest a fleet config with freqtrade's own backtesting: the fleet "
        "(every pair, one wallet) against its producers' shares each with 1/K of the "
        "wallet and of max_open_trades. Without --datadir it runs on the bundled "
        "binance-2018 candles (10 BTC pairs, 5m); a futures config (trading_mode futures, "
        "BASE/USDT:USDT pairs) on perpetuals made from them, with mark and funding-rate "
        "candles, so that shorts and funding fees are backtested too.",
    )
    parser.add_argument(
        "-c", "--config", required=True, help="freqtrade config with a fleet section."
    )
    parser.add_argument("--datadir", help="freqtrade data folder (default: the bundled candles).")
    parser.add_argument("--userdir", help="freqtrade user_data folder (for the strategy).")
    parser.add_argument("--timerange", help="freqtrade timerange, e.g. 20180115-20180125.")
    parser.add_argument(
        "--delayed",
        action="store_true",
        help="Also run the fleet with every entry one candle late.",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="Take markets from the simulator replaying --datadir instead of the exchange (default without --datadir).",
    )
    parser.add_argument("--export-html", metavar="FILE", help="Write a self-contained HTML report.")
    parser.add_argument("-v", "--verbose", action="store_true", help="Show freqtrade's log.")
    parser.set_defaults(func=run_backtest)
