"""``freqfleet gateway``: the fleet's shared market-data gateway, in the foreground."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from freqfleet.gateway.profile import PROFILES
from freqfleet.gateway.server import GatewayOptions, serve
from freqfleet.gateway.settings import (
    DEFAULT_HOST,
    DEFAULT_LIVE_TTL,
    DEFAULT_PORT,
    DEFAULT_SHARE,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gateway``."""
    parser = subparsers.add_parser(
        "gateway",
        help="run the shared market-data gateway (one cache and one weight budget for a fleet)",
        description="Answer the exchange's public market-data endpoints for every bot of a "
        "fleet: identical requests share one upstream call, closed candles come from cache, "
        "and all upstream weight stays within --share of the exchange's limit (--weight-limit). Bots point "
        "only their public API URL at it; private requests are refused.",
    )
    parser.add_argument(
        "--upstream",
        required=True,
        help="the exchange's REST base URL (e.g. https://api.binance.com, or a simulator)",
    )
    parser.add_argument(
        "--exchange",
        default="binance",
        choices=sorted(PROFILES),
        help="exchange profile (default binance: spot; binance-futures: USD-M futures, "
        "upstream e.g. https://fapi.binance.com or a simulator)",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--share",
        type=float,
        default=DEFAULT_SHARE,
        help=f"fraction of the exchange's weight limit the fleet may use (default {DEFAULT_SHARE})",
    )
    parser.add_argument(
        "--weight-limit",
        type=int,
        help="the exchange's request weight a minute, when not the profile's (binance: 6000, "
        "binance-futures: 2400); "
        "the budget is --share of it",
    )
    parser.add_argument(
        "--live-ttl",
        type=float,
        default=DEFAULT_LIVE_TTL,
        help=f"seconds the candle in progress is reused (default {DEFAULT_LIVE_TTL:g})",
    )
    parser.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    parser.set_defaults(func=run_gateway)


def options_from(args: argparse.Namespace) -> GatewayOptions:
    return GatewayOptions(
        upstream=args.upstream,
        exchange=args.exchange,
        host=args.host,
        port=args.port,
        share=args.share,
        live_ttl=args.live_ttl,
        weight_limit=args.weight_limit,
    ).check()


def run_gateway(args: argparse.Namespace) -> int:
    options = options_from(args)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s - %(name)s - %(levelname)s - %(message)s",
        stream=sys.stderr,
    )
    serve(options, ready_file=args.ready_file)
    return 0


__all__ = ["options_from", "register", "run_gateway"]
