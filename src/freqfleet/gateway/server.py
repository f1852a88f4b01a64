"""Running the gateway: options, its socket, uvicorn in the foreground.

Why a socket of our own (as the simulator does): ``--port 0`` must work for tests and
parallel runs, so the server binds first and then writes the real address to an optional
ready file that :mod:`freqfleet.gateway.testing` and the supervisor wait for.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
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

    def check(self) -> GatewayOptions:
        """These options, or ConfigError naming the one to fix."""
        parts = urlsplit(self.upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"--upstream {self.upstream!r}: give the exchange's REST base URL, "
                "e.g. https://api.binance.com or http://127.0.0.1:8500"
            )
        if profile_for(self.exchange) is None:
            raise ConfigError(
                f"--exchange {self.exchange!r}: use one of {', '.join(sorted(PROFILES))}"
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


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0: any free port), or ConfigError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ConfigError(
            f"--host/--port {host}:{port} cannot be used ({error.strerror}): pick another port"
        ) from error
    sock.listen(2048)
    return sock


def server_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def build_app(options: GatewayOptions) -> GatewayApp:
    profile = profile_for(options.exchange)
    assert profile is not None  # checked by GatewayOptions.check
    return GatewayApp(options.upstream, profile, options.share, options.live_ttl)


def serve(options: GatewayOptions, ready_file: Path | None = None) -> None:
    """Serve until SIGINT/SIGTERM."""
    import uvicorn

    options.check()
    app = build_app(options)
    sock = bind_socket(options.host, options.port)
    port = sock.getsockname()[1]
    url = server_url(options.host, port)

    class ForegroundServer(uvicorn.Server):
        """SIGINT/SIGTERM mean "stop serving": shut down and exit 0."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            logger.info(
                "Gateway for %s at %s serving %s (budget %s of %s weight a minute; "
                "GET /gateway/stats)",
                options.upstream,
                url,
                app.profile.name,
                app.budget.capacity,
                app.budget.limit_per_minute,
            )
            if ready_file is not None:
                write_atomic(ready_file, dump_json({"url": url, "port": port}))

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    config = uvicorn.Config(
        app, loop=loop, http=http, log_level="warning", access_log=False, lifespan="on"
    )
    with contextlib.closing(sock):
        ForegroundServer(config).run(sockets=[sock])


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_SHARE", "GatewayOptions", "build_app", "serve"]
