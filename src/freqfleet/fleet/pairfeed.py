"""The pairlist feed: one evaluation of a dynamic pairlist per refresh, split across producers.

Why a separate process: producers that each ran VolumePairList and an OffsetFilter would
refresh at different moments and overlap or leave holes. The feed runs the user's own
pairlist chain (freqtrade's PairListManager on a dry-run exchange, so every built-in
handler and filter works unchanged), splits the result with rendezvous hashing and writes
each producer's share to ``pairlists/<name>.json`` in RemotePairList's format. Each
producer's RemotePairList re-reads its file every minute; all files are replaced together,
atomically, so a share is never half-written.

Producers on other hosts read their share over HTTP: ``--serve HOST:PORT`` serves the
``pairlists/`` folder (read-only, JSON only) and ``fleet.pairlist_url`` points them at it.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import signal
import threading
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from freqfleet.errors import ConfigError, RuntimeFleetError
from freqfleet.files import PUBLIC_MODE, dump_json, write_all_atomic
from freqfleet.fleet.manifest import FleetManifest, PairlistFeedEntry
from freqfleet.fleet.partition import partition

logger = logging.getLogger(__name__)

RETRY_SECONDS = 60
SUMMARY_FILE = "_fleet.json"
"""Written beside the shares: the whole evaluated list (no producer name starts with '_')."""


class PairlistFeed:
    """Evaluates the feed config's pairlist and writes every producer's share."""

    def __init__(self, plan_dir: Path, entry: PairlistFeedEntry) -> None:
        from freqtrade.configuration import Configuration
        from freqtrade.data.dataprovider import DataProvider
        from freqtrade.plugins.pairlistmanager import PairListManager
        from freqtrade.resolvers import ExchangeResolver

        self.plan_dir = Path(plan_dir)
        self.entry = entry
        self.config: dict[str, Any] = Configuration.from_files(
            [str(self.plan_dir / entry.config_file)]
        )
        self.exchange = ExchangeResolver.load_exchange(self.config, validate=False)
        self.pairlists = PairListManager(
            self.exchange, self.config, DataProvider(self.config, self.exchange)
        )

    @property
    def producers(self) -> list[str]:
        return list(self.entry.files)

    def evaluate(self) -> dict[str, list[str]]:
        """Run the pairlist chain once and write the shares; returns them."""
        self.exchange.reload_markets()
        self.pairlists.refresh_pairlist()
        whitelist = list(self.pairlists.whitelist)
        shares = partition(whitelist, self.producers, self.entry.redundancy, self.entry.hosts)
        files = {
            self.plan_dir / self.entry.files[name]: (dump_json({"pairs": share}), PUBLIC_MODE)
            for name, share in shares.items()
        }
        summary_dir = (self.plan_dir / next(iter(self.entry.files.values()))).parent
        files[summary_dir / SUMMARY_FILE] = (
            dump_json(
                {
                    "updated": datetime.now(UTC).isoformat(timespec="seconds"),
                    "pairs": whitelist,
                    "shares": shares,
                }
            ),
            PUBLIC_MODE,
        )
        write_all_atomic(files)
        logger.info("Pairlist feed: %d pairs across %d producers", len(whitelist), len(shares))
        return shares

    def close(self) -> None:
        self.exchange.close()


class _SharesHandler(SimpleHTTPRequestHandler):
    """Serves the share files only (GET/HEAD of ``/<name>.json``), quietly."""

    def do_GET(self) -> None:
        if not self.path.split("?")[0].endswith(".json") or "/." in self.path:
            self.send_error(404)
            return
        super().do_GET()

    def list_directory(self, path: str | os.PathLike[str]) -> io.BytesIO | None:
        self.send_error(404)
        return None

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("pairlist feed http: " + format, *args)


def serve_shares(folder: Path, address: tuple[str, int]) -> ThreadingHTTPServer:
    """Serve ``folder``'s share files over HTTP in a background thread (for remote producers)."""
    folder.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_SharesHandler, directory=str(folder))
    server = ThreadingHTTPServer(address, handler)
    threading.Thread(target=server.serve_forever, name="pairlist-feed-http", daemon=True).start()
    return server


def parse_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--serve: {text!r} is not HOST:PORT; use e.g. 0.0.0.0:8000")
    return host, int(port)


def _open_feed(plan_dir: Path, entry: PairlistFeedEntry) -> PairlistFeed:
    """The feed of the plan, or one line on why it cannot start."""
    try:
        return PairlistFeed(plan_dir, entry)
    except ConfigError:
        raise
    except Exception as error:
        raise RuntimeFleetError(
            f"pairlist feed: cannot start ({type(error).__name__}: {str(error).splitlines()[0]}); "
            f"check the exchange and pairlists of {entry.config_file}"
        ) from None


def _evaluate_until_stopped(
    feed: PairlistFeed, refresh_period: int, once: bool, stop: threading.Event
) -> int:
    """Evaluate every ``refresh_period`` (after a failure: every :data:`RETRY_SECONDS`,
    keeping the last shares) until ``stop``; ``once``: a single evaluation, which must work."""
    while True:
        try:
            feed.evaluate()
            wait = refresh_period
        except Exception as error:
            if once:
                raise RuntimeFleetError(
                    f"pairlist feed: evaluation failed ({type(error).__name__}); "
                    "check the exchange and the pairlists section"
                ) from None
            logger.warning("Pairlist feed: evaluation failed, keeping the last shares: %s", error)
            wait = RETRY_SECONDS
        if once or stop.wait(wait):
            return 0


def run_feed(
    plan_dir: Path,
    *,
    once: bool = False,
    stop: threading.Event | None = None,
    serve: tuple[str, int] | None = None,
) -> int:
    """Evaluate now, then every ``refresh_period`` until SIGINT/SIGTERM (or ``stop``).

    With ``serve``, the shares are also served over HTTP at ``http://HOST:PORT/<name>.json``.
    """
    manifest = FleetManifest.load(plan_dir)
    if manifest.pairlist_feed is None:
        raise ConfigError(
            f"{plan_dir}: this plan has a static pairlist; no pairlist feed is needed"
        )
    stop = stop or threading.Event()
    if not once and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    feed = _open_feed(Path(plan_dir), manifest.pairlist_feed)
    server = None
    if serve is not None and not once:
        folder = (Path(plan_dir) / next(iter(manifest.pairlist_feed.files.values()))).parent
        try:
            server = serve_shares(folder, serve)
        except OSError as error:
            feed.close()
            raise RuntimeFleetError(
                f"--serve {serve[0]}:{serve[1]}: cannot listen ({error.strerror}); use a free port"
            ) from None
        logger.info("Pairlist feed: serving shares on http://%s:%d/", *server.server_address[:2])
    try:
        return _evaluate_until_stopped(feed, manifest.pairlist_feed.refresh_period, once, stop)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        feed.close()


__all__ = ["PairlistFeed", "run_feed"]
