"""Running the gateway: options, its socket, uvicorn in the foreground.

Why a socket of our own (as the simulator does): ``--port 0`` must work for tests and
parallel runs, so the server binds first and then writes the real address to an optional
ready file that :mod:`freqfleet.gateway.launcher` and the supervisor wait for.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from freqfleet.errors import ConfigError
from freqfleet.files import dump_json, write_atomic
from freqfleet.gateway.app import GatewayApp
from freqfleet.gateway.profile import PROFILES, profile_for
from freqfleet.gateway.settings import (
    DEFAULT_HOST,
    DEFAULT_LIVE_TTL,
    DEFAULT_PORT,
    DEFAULT_SHARE,
)
from freqfleet.local_server import (
    bind_socket,
    foreground_server,
    server_url,
    uvicorn_config,
)

logger = logging.getLogger("freqfleet.gateway")


@dataclass(frozen=True)
class GatewayOptions:
    """Where the gateway listens, what it fronts and how much of the limit it may use."""

    upstream: str
    exchange: str = "binance"
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    share: float = DEFAULT_SHARE
    live_ttl: float = DEFAULT_LIVE_TTL
    # The exchange's request weight a minute, when not the profile's (a lower tier, a
    # simulator started with --weight-limit); the budget is ``share`` of it.
    weight_limit: int | None = None

    def check(self) -> GatewayOptions:
        """These options, or ConfigError naming the one to fix."""
        parts = urlsplit(self.upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"--upstream {self.upstream!r}: give the exchange's REST base URL, "
                "e.g. https://api.binance.com or http://127.0.0.1:8500"
            )
        profile = profile_for(self.exchange)
        if profile is None:
            raise ConfigError(
                f"--exchange {self.exchange!r}: use one of {', '.join(sorted(PROFILES))}"
            )
        if self.weight_limit is not None and self.weight_limit < 1:
            raise ConfigError(
                f"--weight-limit {self.weight_limit}: use the exchange's request weight a "
                f"minute, at least 1, or leave it out for {profile.name}'s "
                f"{profile.limit_per_minute}"
            )
        if not 0 < self.share <= 1:
            raise ConfigError(
                f"--share {self.share}: use a fraction of the exchange's limit above 0, at most 1"
            )
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"--port {self.port}: use a port from 0 to 65535")
        if not 0 < self.live_ttl <= 60:
            raise ConfigError(
                f"--live-ttl {self.live_ttl}: use seconds above 0, at most 60 "
                f"(default {DEFAULT_LIVE_TTL:g})"
            )
        return self


def build_app(options: GatewayOptions) -> GatewayApp:
    profile = profile_for(options.exchange)
    assert profile is not None  # checked by GatewayOptions.check
    return GatewayApp(
        options.upstream,
        profile,
        options.share,
        options.live_ttl,
        weight_limit=options.weight_limit,
    )


def serve(options: GatewayOptions, ready_file: Path | None = None) -> None:
    """Serve until SIGINT/SIGTERM."""
    options.check()
    app = build_app(options)
    sock = bind_socket(options.host, options.port)
    port = sock.getsockname()[1]
    url = server_url(options.host, port)

    def started() -> None:
        """Log the budget and write the ready file once the server listens."""
        budget = app.budget
        logger.info(
            "Gateway for %s at %s serving %s; budget %s weight a minute upstream (share %g "
            "of the %s limit %s); GET /gateway/stats",
            options.upstream,
            url,
            app.profile.name,
            budget.capacity,
            budget.share,
            "given" if options.weight_limit else "exchange's",
            budget.limit_per_minute,
        )
        if ready_file is not None:
            write_atomic(ready_file, dump_json({"url": url, "port": port}))

    with contextlib.closing(sock):
        foreground_server(uvicorn_config(app), started).run(sockets=[sock])


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_SHARE", "GatewayOptions", "build_app", "serve"]
