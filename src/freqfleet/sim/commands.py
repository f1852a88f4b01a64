"""``freqfleet sim`` (run the exchange simulator) and ``freqfleet sim config``.

``freqfleet sim`` prints the freqtrade ``exchange`` section to paste into a bot's config,
then serves in the foreground until SIGINT/SIGTERM. ``--account PATH`` adds a trading
account (:mod:`freqfleet.sim.account_file`): where it is and its starting balances are
printed, its key and secret never; ``freqfleet sim config --account PATH -o FILE`` writes
the live section with them (mode 0600). ``freqfleet sim config -o FILE``
writes that section (as ``{"exchange": {...}}``, usable as an extra ``--config``) without
starting a server; with ``--futures`` a futures bot's keys (``trading_mode``,
``margin_mode`` and the section on the USDT perpetuals). ``--no-websocket`` writes a section with freqtrade's websockets off
(candles over REST only); the simulator serves its streams either way.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from freqfleet.datasets import BUILTIN_DATASETS
from freqfleet.errors import ConfigError
from freqfleet.files import PUBLIC_MODE, SECRET_MODE, dump_json, write_atomic
from freqfleet.sim.account_file import AccountFile
from freqfleet.sim.config import exchange_config, futures_config, futures_pair
from freqfleet.sim.funding import parse_funding_interval
from freqfleet.sim.models.base import MarketModel
from freqfleet.sim.order_limits import ORDERS_PER_10S
from freqfleet.sim.server import (
    DEFAULT_HOST,
    DEFAULT_PAIRS,
    DEFAULT_PORT,
    SimOptions,
    balances_text,
    build_model,
    load_account,
    serve,
    server_url,
)

_DEFAULTS = {
    "host": DEFAULT_HOST,
    "port": DEFAULT_PORT,
    "model": "synthetic",
    "pairs": None,
    "seed": 0,
    "data_dir": None,
    "dataset": None,
    "weight_limit": None,
    "account": None,
    "order_limit": ORDERS_PER_10S,
    "funding_interval": "8h",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sim`` and ``sim config``."""
    sim = subparsers.add_parser(
        "sim",
        help="run the Binance-style exchange simulator (market data; an account with --account)",
        description="Serve a simulated Binance spot market on HOST:PORT so that unmodified "
        "freqtrade bots (dry-run), download-data and ccxt run offline. With --account it also "
        "serves a spot account (signed order, balance and trade endpoints, orders matched on "
        "the simulated prices) for live bots (dry_run: false). Prints the exchange config "
        "section to paste, then runs until Ctrl-C.",
    )
    _add_options(sim, suppress=False)
    sim.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    sim.add_argument("--quiet", action="store_true", help="do not print the config section")
    sim.set_defaults(func=run_sim)
    actions = sim.add_subparsers(dest="sim_command", metavar="{config}")
    config = actions.add_parser(
        "config",
        help="write the exchange config section for the simulator",
        description="Write (or print) the freqtrade exchange section that points bots at a "
        "simulator started with the same options.",
    )
    _add_options(config, suppress=True)
    config.add_argument("-o", "--output", type=Path, help="file to write (default: print it)")
    config.add_argument(
        "--futures",
        action="store_true",
        help="a futures bot's keys instead: trading_mode futures, margin_mode isolated and the "
        "exchange section on the simulator's USDT perpetuals (BTC/USDT:USDT, ...)",
    )
    config.set_defaults(func=run_config)


def _add_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    def default(name: str) -> Any:
        return argparse.SUPPRESS if suppress else _DEFAULTS[name]

    parser.add_argument(
        "--host", default=default("host"), help=f"address to bind (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=default("port"),
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--model",
        choices=("synthetic", "replay"),
        default=default("model"),
        help="market model (default synthetic)",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=default("pairs"),
        help=f"number of pairs (synthetic default {DEFAULT_PAIRS}; replay default: every pair in the data)",
    )
    parser.add_argument(
        "--seed", type=int, default=default("seed"), help="synthetic market seed (default 0)"
    )
    parser.add_argument(
        "--data-dir",
        default=default("data_dir"),
        help="replay: folder of freqtrade OHLCV files (feather, json, parquet)",
    )
    parser.add_argument(
        "--dataset",
        choices=BUILTIN_DATASETS,
        default=default("dataset"),
        help="replay: a dataset that ships with freqfleet (default binance-2018)",
    )
    parser.add_argument(
        "--weight-limit",
        type=int,
        default=default("weight_limit"),
        help="enforce Binance request weight per minute (e.g. 6000); default: count only",
    )
    parser.add_argument(
        "--account",
        default=default("account"),
        metavar="PATH",
        help="serve a trading account whose API key, secret and starting balances are in PATH "
        "(JSON; created with a random key and secret, mode 0600, and 10000 USDT when missing); "
        "sim config: write a live section with the key and secret (needs -o)",
    )
    parser.add_argument(
        "--order-limit",
        type=int,
        default=default("order_limit"),
        metavar="N",
        help=f"new orders allowed per 10 s (Binance: {ORDERS_PER_10S}); above it 429 / -1015",
    )
    parser.add_argument(
        "--funding-interval",
        default=default("funding_interval"),
        metavar="DURATION",
        help="how often the perpetuals fund, minutes or hours dividing a day (default 8h, "
        "Binance's: 00:00, 08:00, 16:00 UTC); e.g. 2m makes funding happen in a short run",
    )
    parser.add_argument(
        "--no-websocket",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="the printed exchange section turns freqtrade's websockets off (enable_ws: "
        "false, candles over REST only); default: candles from the simulator's kline streams",
    )


def options_from(args: argparse.Namespace) -> SimOptions:
    values: dict[str, Any] = {
        name: getattr(args, name, fallback) for name, fallback in _DEFAULTS.items()
    }
    if values["weight_limit"] is not None and values["weight_limit"] < 1:
        raise ConfigError(
            "--weight-limit must be a positive number of weight units per minute (Binance: 6000)"
        )
    if not 0 <= values["port"] <= 65535:
        raise ConfigError(f"--port {values['port']}: use a port from 0 to 65535")
    if values["order_limit"] < 1:
        raise ConfigError(
            f"--order-limit {values['order_limit']}: use a positive number of orders per 10 s "
            f"(Binance: {ORDERS_PER_10S})"
        )
    funding_interval_ms = parse_funding_interval(values["funding_interval"])
    if funding_interval_ms is None:
        raise ConfigError(
            f"--funding-interval {values['funding_interval']}: use whole minutes or hours that "
            "divide a day, such as 8h (Binance's), 1h or 2m"
        )
    pairs = values["pairs"]
    if pairs is not None and pairs < 1:
        raise ConfigError(f"--pairs {pairs}: use at least 1 pair")
    return SimOptions(
        host=values["host"],
        port=values["port"],
        model=values["model"],
        pairs=DEFAULT_PAIRS if pairs is None and values["model"] == "synthetic" else (pairs or 0),
        seed=values["seed"],
        replay_dir=values["data_dir"],
        dataset=values["dataset"],
        weight_limit=values["weight_limit"],
        account=values["account"],
        order_limit=values["order_limit"],
        funding_interval_ms=funding_interval_ms,
    )


def section_text(
    url: str,
    pairs: list[str],
    websocket: bool = True,
    account: AccountFile | None = None,
    futures: bool = False,
) -> str:
    """The ``exchange`` section as JSON; with ``account``, a live one holding its key and
    secret (for files only: never printed). ``futures``: a futures bot's ``trading_mode``,
    ``margin_mode`` and section, on the perpetuals of the USDT ``pairs``."""
    key = account.key if account else None
    secret = account.secret if account else None
    if futures:
        perpetuals = [futures_pair(pair) for pair in pairs if pair.endswith("/USDT")]
        return dump_json(futures_config(url, perpetuals, key=key, secret=secret))
    section = exchange_config(url, pairs, websocket=websocket, key=key, secret=secret)
    return dump_json({"exchange": section})


def _websocket(args: argparse.Namespace) -> bool:
    return not getattr(args, "no_websocket", False)


def run_sim(args: argparse.Namespace) -> int:
    options = options_from(args)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s - %(name)s - %(levelname)s - %(message)s",
        stream=sys.stderr,
    )

    account = load_account(options)

    def announce(url: str, model: MarketModel) -> None:
        if not args.quiet:
            print(
                f"# {model.describe()} at {url}\n"
                "# Paste this exchange section into each bot's config (or pass it as an extra --config):",
                flush=True,
            )
            pairs = [m.pair for m in model.markets]
            print(section_text(url, pairs, _websocket(args)), flush=True)
        if account is not None and not args.quiet:
            print(
                f"# Account: {account.path} ({balances_text(account.balances)}). A live bot "
                "(dry_run: false) needs its key and secret in the section: copy them from "
                f"that file, or write the section with: freqfleet sim config --account "
                f"{account.path} -o FILE",
                flush=True,
            )

    serve(options, ready_file=args.ready_file, on_ready=announce, account_file=account)
    return 0


def run_config(args: argparse.Namespace) -> int:
    options = options_from(args)
    if options.port == 0:
        raise ConfigError("--port 0 picks a port at start-up; give the port the simulator runs on")
    model = build_model(options)
    url = server_url(options.host, options.port)
    account = load_account(options)
    if account is not None and args.output is None:
        raise ConfigError(
            "--account: the live section holds the account's secret; write it to a file "
            "with -o FILE instead of printing it"
        )
    futures = bool(getattr(args, "futures", False))
    pairs = [m.pair for m in model.markets]
    if futures and not any(pair.endswith("/USDT") for pair in pairs):
        raise ConfigError("--futures: the model has no USDT pairs, so no perpetuals to trade")
    text = section_text(url, pairs, _websocket(args), account, futures)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text, SECRET_MODE if account else PUBLIC_MODE)
        print(
            f"Wrote the exchange section for {server_url(options.host, options.port)} to {args.output}"
        )
    return 0


__all__ = ["options_from", "register", "run_config", "run_sim"]
