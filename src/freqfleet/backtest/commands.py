"""``freqfleet backtest``: one shared wallet against split wallets."""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console

from freqfleet.datasets import DEFAULT_DATASET, EXAMPLES_DIR, dataset_dir
from freqfleet.errors import ConfigError

EXAMPLE_CONFIG = EXAMPLES_DIR / "backtest-fleet.json"


@contextlib.contextmanager
def offline_markets(datadir: Path | None) -> Iterator[dict[str, Any] | None]:
    """Markets from freqfleet's simulator replaying the data, so no exchange is needed."""
    from freqfleet.sim import ccxt_settings, running_simulator

    options: dict[str, Any] = {"model": "replay"}
    if datadir is None or Path(datadir).resolve() == dataset_dir():
        options["dataset"] = DEFAULT_DATASET
    else:
        options["data_dir"] = str(datadir)
    with running_simulator(**options) as sim:
        settings = ccxt_settings(sim.url)
        yield {
            "name": "binance",
            "key": "",
            "secret": "",
            "enable_ws": False,
            "ccxt_config": settings,
            "ccxt_async_config": settings,
        }


def run_backtest(args: argparse.Namespace, console: Console | None = None) -> int:
    # freqtrade's backtesting takes a second to import: only when this command runs.
    from freqfleet.backtest.engine import BacktestRequest, FleetBacktester
    from freqfleet.backtest.report import comparison_table, write_html

    console = console or Console()
    if not args.verbose:  # freqtrade's own start-up chatter; its warnings still show
        logging.getLogger("freqtrade").setLevel(logging.WARNING)
    config_path = Path(args.config)
    if not config_path.is_file():
        raise ConfigError(f"--config {args.config}: no such file; try the example {EXAMPLE_CONFIG}")
    datadir = Path(args.datadir) if args.datadir else None
    offline = args.offline or datadir is None
    request = BacktestRequest(
        config_path=config_path,
        datadir=datadir,
        timerange=args.timerange,
        delayed=args.delayed,
        userdir=Path(args.userdir) if args.userdir else None,
    )
    markets = offline_markets(datadir) if offline else contextlib.nullcontext()
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
        "binance-2018 candles (10 BTC pairs, 5m).",
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
