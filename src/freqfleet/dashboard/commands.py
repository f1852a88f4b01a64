"""``freqfleet dashboard DIR``: the fleet's web page and ``/metrics``, in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import logging
from pathlib import Path

from freqfleet.dashboard.address import dashboard_url, default_port, listen_address
from freqfleet.dashboard.app import create_app
from freqfleet.dashboard.feed import DEFAULT_INTERVAL, SnapshotFeed
from freqfleet.dashboard.snapshot import take_snapshot
from freqfleet.errors import ConfigError
from freqfleet.fleet import FleetManifest
from freqfleet.local_server import bind_socket, foreground_server, uvicorn_config

logger = logging.getLogger(__name__)


def serve(
    plan_dir: Path,
    host: str | None,
    port: int | None,
    interval: float,
    metrics_open: bool = False,
) -> None:
    """Serve the dashboard of the fleet planned in ``plan_dir`` until SIGINT/SIGTERM."""
    manifest = FleetManifest.load(plan_dir)
    host = host or listen_address(plan_dir, manifest)
    port = default_port(manifest, host) if port is None else port
    sock = bind_socket(host, port)
    consumer = manifest.consumer
    feed = SnapshotFeed(lambda: take_snapshot(plan_dir, manifest), interval)
    app = create_app(feed, consumer.username, consumer.password, plan_dir.name, metrics_open)
    url = dashboard_url(host, sock.getsockname()[1])

    def started() -> None:
        logger.info("Dashboard of %s at %s (the consumer's API login)", plan_dir, url)

    feed.start()
    try:
        with contextlib.closing(sock):
            foreground_server(uvicorn_config(app), started).run(sockets=[sock])
    finally:
        feed.stop()


def _dashboard(args: argparse.Namespace) -> int:
    plan_dir = Path(args.dir)
    if not plan_dir.is_dir():
        raise ConfigError(
            f"DIR {args.dir!r} is not a folder; give the folder `freqfleet plan -o` wrote"
        )
    if args.port is not None and not 0 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: use a port from 0 to 65535")
    if not 0.2 <= args.interval <= 300:
        raise ConfigError(f"--interval {args.interval}: use seconds from 0.2 to 300")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    serve(plan_dir.resolve(), args.host, args.port, args.interval, args.metrics_open)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``dashboard``."""
    parser = subparsers.add_parser(
        "dashboard",
        help="Serve a live, read-only web page and /metrics for a planned fleet.",
        description="One page for the fleet (topology, pair coverage, wallet, exchange "
        "weight, rejected messages), live over server-sent events, and Prometheus metrics "
        "at /metrics; both behind the consumer's API username and password.",
    )
    parser.add_argument("dir", metavar="DIR", help="Folder written by `freqfleet plan`.")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="Port (default: the first free after the consumer's).",
    )
    parser.add_argument(
        "--host",
        default=None,
        help="Address to bind (default: where the consumer's API listens, the fleet's listen).",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        help="Seconds between looks at the bots (default: %(default)s).",
    )
    parser.add_argument(
        "--metrics-open",
        action="store_true",
        help="Serve /metrics without the login, for a Prometheus that scrapes by "
        "annotation; only on a network where everyone may read the fleet's metrics "
        "(the Kubernetes export's pod network). The page keeps the login.",
    )
    parser.set_defaults(func=_dashboard)


__all__ = ["register", "serve"]
