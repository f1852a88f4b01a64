"""``freqfleet new-config``: a freqtrade config with a fleet section, and a user_data/ folder.

Why like ``freqtrade new-config``: users know its questions; freqfleet asks the same
wallet questions plus the fleet's (producers, ports), or takes every answer as an option
for scripts (``--non-interactive``). Everything is written at once or not at all.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from freqfleet.errors import ConfigError
from freqfleet.files import PUBLIC_MODE, SECRET_MODE, dump_json, write_all_atomic
from freqfleet.fleet.spec import TIMEFRAME_FIX, timeframe_problem, validate_fleet_config
from freqfleet.fleet.stubs import sample_stub
from freqfleet.fleet.trading_mode import MARGIN_MODES, TRADING_MODES, swap_pair

SAMPLE_STRATEGIES = ("FleetSampleStrategy", "FleetFuturesSampleStrategy", "DummyConsumerStrategy")
FUTURES_SAMPLE = "FleetFuturesSampleStrategy"
USERDATA_SUBDIRS = (
    "strategies",
    "data",
    "logs",
    "backtest_results",
    "hyperopts",
    "notebooks",
    "plot",
)
DEFAULTS: dict[str, Any] = {
    "strategy": "FleetSampleStrategy",
    "timeframe": "5m",
    "exchange": "binance",
    "stake_currency": "USDT",
    "stake_amount": 100.0,
    "max_open_trades": 5,
    "dry_run": True,
    "dry_run_wallet": 1000.0,
    "pairs": "BTC/USDT,ETH/USDT,SOL/USDT,XRP/USDT,ADA/USDT,DOGE/USDT",
    "volume_pairs": 0,
    "producers": 2,
    "base_port": 8081,
    "trading_mode": "spot",
    "margin_mode": "isolated",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", default="config.json", help="Config file to write (default: config.json)"
    )
    parser.add_argument(
        "--userdir", "--user-data-dir", default="user_data", help="user_data folder to create"
    )
    parser.add_argument(
        "--non-interactive", action="store_true", help="Ask nothing; use options and defaults"
    )
    parser.add_argument("--force", action="store_true", help="Overwrite an existing config file")
    parser.add_argument("--strategy", help=f"Strategy class (default {DEFAULTS['strategy']})")
    parser.add_argument("--timeframe", help=f"Candle timeframe (default {DEFAULTS['timeframe']})")
    parser.add_argument("--exchange", help=f"Exchange name (default {DEFAULTS['exchange']})")
    parser.add_argument(
        "--simulator", metavar="URL", help="Point the exchange at a freqfleet sim URL"
    )
    parser.add_argument(
        "--stake-currency", help=f"Stake currency (default {DEFAULTS['stake_currency']})"
    )
    parser.add_argument("--stake-amount", help="Stake per trade, a number or 'unlimited'")
    parser.add_argument("--max-open-trades", type=int, help="Slots of the one wallet")
    parser.add_argument("--live", action="store_true", help="Trade live (default: dry-run)")
    parser.add_argument(
        "--trading-mode", help="spot (default) or futures: USDT-margined swaps, long and short"
    )
    parser.add_argument(
        "--margin-mode",
        help=f"Futures margin: isolated (default) or cross ({'/'.join(MARGIN_MODES)})",
    )
    parser.add_argument("--pairs", help="Comma-separated static whitelist")
    parser.add_argument(
        "--volume-pairs", type=int, help="Use VolumePairList with this many pairs instead"
    )
    parser.add_argument(
        "--producers", type=int, help=f"Number of producers (default {DEFAULTS['producers']})"
    )
    parser.add_argument(
        "--base-port", type=int, help=f"First API port (default {DEFAULTS['base_port']})"
    )


def _answers_from_args(args: argparse.Namespace) -> dict[str, Any]:
    answers = dict(DEFAULTS)
    for key in (
        "strategy",
        "timeframe",
        "exchange",
        "stake_currency",
        "max_open_trades",
        "pairs",
        "volume_pairs",
        "producers",
        "base_port",
        "trading_mode",
        "margin_mode",
    ):
        value = getattr(args, key, None)
        if value is not None:
            answers[key] = value
    if args.stake_amount is not None:
        answers["stake_amount"] = _stake(args.stake_amount)
    problem = timeframe_problem(answers["timeframe"])
    if problem:
        raise ConfigError(f"--timeframe: {problem}; {TIMEFRAME_FIX}")
    if args.live:
        answers["dry_run"] = False
    if answers["trading_mode"] == "futures" and args.strategy is None:
        answers["strategy"] = FUTURES_SAMPLE  # the sample that shorts
    _check_modes(answers, flags=True)
    return answers


def _check_modes(answers: dict[str, Any], *, flags: bool) -> None:
    """A trading mode and margin mode a fleet trades in, or one line naming the fix."""
    mode, margin = answers["trading_mode"], answers["margin_mode"]
    if mode not in TRADING_MODES:
        where = "--trading-mode" if flags else "trading mode"
        raise ConfigError(f"{where}: {mode!r} is not a trading mode; use spot or futures")
    if margin not in MARGIN_MODES:
        where = "--margin-mode" if flags else "margin mode"
        raise ConfigError(f"{where}: {margin!r} is not a margin mode; use isolated or cross")


def _stake(text: str) -> float | str:
    if str(text).strip().lower() == "unlimited":
        return "unlimited"
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(
            f"--stake-amount: {text!r} is not a number; use e.g. 100 or unlimited"
        ) from None
    if value <= 0:
        raise ConfigError(f"--stake-amount: must be > 0, got {text}; use e.g. 100 or unlimited")
    return value


def ask(answers: dict[str, Any], **prompt_options: Any) -> dict[str, Any]:
    """The questions of ``freqtrade new-config`` that matter to a fleet, plus the fleet's.

    ``prompt_options`` go to questionary (``input``/``output`` for a scripted terminal).
    """
    import questionary

    def number(text: str) -> bool:
        return text.strip().isdigit() and int(text) >= 1

    questions = [
        {
            "type": "text",
            "name": "strategy",
            "message": "Strategy class:",
            "default": answers["strategy"],
        },
        {
            "type": "select",
            "name": "timeframe",
            "message": "Timeframe:",
            "default": answers["timeframe"],
            "choices": ["1m", "5m", "15m", "30m", "1h", "4h", "1d"],
        },
        {
            "type": "text",
            "name": "exchange",
            "message": "Exchange:",
            "default": answers["exchange"],
        },
        {
            "type": "select",
            "name": "trading_mode",
            "message": "Trading mode (futures: USDT-margined swaps, long and short):",
            "default": answers["trading_mode"],
            "choices": list(TRADING_MODES),
        },
        {
            "type": "select",
            "name": "margin_mode",
            "message": "Margin mode:",
            "default": answers["margin_mode"],
            "choices": list(MARGIN_MODES),
            "when": lambda a: a.get("trading_mode") == "futures",
        },
        {
            "type": "text",
            "name": "stake_currency",
            "message": "Stake currency:",
            "default": answers["stake_currency"],
        },
        {
            "type": "text",
            "name": "stake_amount",
            "message": "Stake per trade (number or 'unlimited'):",
            "default": str(answers["stake_amount"]),
        },
        {
            "type": "text",
            "name": "max_open_trades",
            "message": "Max open trades (slots of the wallet):",
            "default": str(answers["max_open_trades"]),
            "validate": number,
        },
        {
            "type": "confirm",
            "name": "dry_run",
            "message": "Dry-run (simulated trades)?",
            "default": answers["dry_run"],
        },
        {
            "type": "text",
            "name": "pairs",
            "message": "Pairs (comma-separated; empty for VolumePairList):",
            "default": answers["pairs"],
        },
        {
            "type": "text",
            "name": "volume_pairs",
            "message": "VolumePairList size:",
            "default": "30",
            "when": lambda a: not a.get("pairs", "").strip(),
            "validate": number,
        },
        {
            "type": "text",
            "name": "producers",
            "message": "Number of producer bots:",
            "default": str(answers["producers"]),
            "validate": number,
        },
        {
            "type": "text",
            "name": "base_port",
            "message": "First API port:",
            "default": str(answers["base_port"]),
            "validate": number,
        },
    ]
    result = questionary.prompt(questions, **prompt_options)
    if not result:
        raise KeyboardInterrupt
    merged = {**answers, **result}
    merged["stake_amount"] = _stake(str(merged["stake_amount"]))
    for key in ("max_open_trades", "producers", "base_port", "volume_pairs"):
        merged[key] = int(merged.get(key) or 0)
    _check_modes(merged, flags=False)
    return merged


def build_config(answers: dict[str, Any], userdir: str) -> dict[str, Any]:
    """The user's freqtrade config with a fleet section, from the answers."""
    pairs = [pair.strip() for pair in str(answers.get("pairs") or "").split(",") if pair.strip()]
    futures = answers.get("trading_mode") == "futures"
    if futures:
        # Swaps settled in the stake currency: its margin and profit are counted in it.
        pairs = [swap_pair(pair, str(answers["stake_currency"])) for pair in pairs]
    volume = int(answers.get("volume_pairs") or 0)
    if volume > 0:
        pairs = []
        pairlists: list[dict[str, Any]] = [
            {
                "method": "VolumePairList",
                "number_assets": volume,
                "sort_key": "quoteVolume",
                "refresh_period": 1800,
            },
        ]
    else:
        pairlists = [{"method": "StaticPairList"}]
    if answers.get("simulator"):
        from freqfleet.sim import exchange_config

        exchange = exchange_config(
            answers["simulator"], pairs, trading_mode="futures" if futures else "spot"
        )
    else:
        exchange = {
            "name": answers["exchange"],
            "key": "",
            "secret": "",
            "pair_whitelist": pairs,
            "pair_blacklist": [],
        }
    mode = (
        {"trading_mode": "futures", "margin_mode": answers["margin_mode"]}
        if futures
        else {"trading_mode": "spot"}
    )
    return {
        "$schema": "https://schema.freqtrade.io/schema.json",
        "strategy": answers["strategy"],
        "timeframe": answers["timeframe"],
        "max_open_trades": answers["max_open_trades"],
        "stake_currency": answers["stake_currency"],
        "stake_amount": answers["stake_amount"],
        "tradable_balance_ratio": 0.99,
        "dry_run": answers["dry_run"],
        "dry_run_wallet": DEFAULTS["dry_run_wallet"],
        "cancel_open_orders_on_exit": False,
        **mode,
        "user_data_dir": userdir,
        "unfilledtimeout": {"entry": 10, "exit": 10, "exit_timeout_count": 0, "unit": "minutes"},
        "entry_pricing": {
            "price_side": "same",
            "use_order_book": True,
            "order_book_top": 1,
            "price_last_balance": 0.0,
            "check_depth_of_market": {"enabled": False, "bids_to_ask_delta": 1},
        },
        "exit_pricing": {"price_side": "same", "use_order_book": True, "order_book_top": 1},
        "exchange": exchange,
        "pairlists": pairlists,
        "internals": {"process_throttle_secs": 5},
        "fleet": {
            "producers": answers["producers"],
            "listen": "127.0.0.1",
            "base_port": answers["base_port"],
            "producer_overrides": {},
            "max_signal_age": 1,
            "follow": ["exits"],
        },
    }


def _strategy_file(name: str) -> str:
    """A sample's stub, or freqtrade's own minimal strategy template for a new name."""
    if name in SAMPLE_STRATEGIES:
        return sample_stub(name)
    from freqtrade.commands.deploy_commands import deploy_new_strategy

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.py"
        deploy_new_strategy(name, path, "minimal")
        return path.read_text(encoding="utf-8")


def new_config_files(
    answers: dict[str, Any], config_path: Path, userdir: Path
) -> dict[Path, tuple[str, int]]:
    config = build_config(answers, str(userdir))
    validate_fleet_config(config)
    strategy = str(answers["strategy"])
    if not strategy.isidentifier():
        raise ConfigError(
            f"--strategy: {strategy!r} is not a Python class name; use e.g. MyStrategy"
        )
    files: dict[Path, tuple[str, int]] = {
        # The config will hold exchange keys: private from the start.
        config_path: (dump_json(config), SECRET_MODE),
    }
    strategies = config_path.parent / userdir / "strategies"
    target = strategies / f"{strategy}.py"
    if not target.exists():
        files[target] = (_strategy_file(strategy), PUBLIC_MODE)
    for sub in USERDATA_SUBDIRS:
        keep = config_path.parent / userdir / sub / ".gitkeep"
        if not keep.parent.exists():
            files[keep] = ("", PUBLIC_MODE)
    return files


def run_new_config(args: argparse.Namespace) -> int:
    from rich.console import Console

    config_path = Path(args.config)
    if config_path.exists() and not args.force:
        raise ConfigError(f"-c {config_path}: exists already; pass --force or choose another name")
    answers = _answers_from_args(args)
    answers["simulator"] = args.simulator
    if not args.non_interactive:
        if not sys.stdin.isatty():
            raise ConfigError("new-config: no terminal to ask questions; pass --non-interactive")
        answers = ask(answers)
    if int(answers["max_open_trades"]) < 1:
        raise ConfigError("--max-open-trades: must be >= 1; the consumer's wallet needs slots")
    files = new_config_files(answers, config_path, Path(args.userdir))
    write_all_atomic(files)
    console = Console(highlight=False)
    console.print(f"Wrote {config_path} and {config_path.parent / args.userdir}/")
    if answers["trading_mode"] == "futures":
        console.print(
            f"Futures ({answers['margin_mode']} margin): pairs are swaps settled in "
            f"{answers['stake_currency']}; a strategy shorts only with can_short = True "
            f"({FUTURES_SAMPLE} does) and sets its leverage in leverage()"
        )
    console.print(f"Next: freqfleet plan -c {config_path} -o fleet && freqfleet up fleet")
    return 0


__all__ = ["add_arguments", "ask", "build_config", "new_config_files", "run_new_config"]
