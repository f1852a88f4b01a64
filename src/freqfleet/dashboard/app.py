"""The dashboard's HTTP app: the page, plotly.js, the snapshot as server-sent events,
``/metrics``; all behind the consumer's API login but ``/healthz``.

Why the consumer's login: the plan already generated it (the manifest, mode 0600) and
whoever may look at the consumer's API may look at the fleet; a second password would be
one more secret to keep. The page is read-only: no route changes anything.
Why plotly.js from the installed plotly package: the page must work offline (a fleet on a
private network, the simulator), so nothing is loaded from anywhere but this server.
"""

from __future__ import annotations

import asyncio
import gzip
import secrets
from collections.abc import AsyncIterator
from importlib.resources import files
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from freqfleet.dashboard.feed import SnapshotFeed
from freqfleet.dashboard.metrics import CONTENT_TYPE, metrics_text
from freqfleet.dashboard.page import page_html

HEARTBEAT_SECS = 15.0
"""A comment line this often keeps proxies from closing a quiet event stream."""
POLL_SECS = 0.2
BASIC = HTTPBasic(realm="freqfleet")
"""At module level: FastAPI resolves the string annotations of routes in module globals."""


def plotly_js() -> bytes:
    """plotly.js as the installed plotly package ships it."""
    return files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()


async def events(feed: SnapshotFeed, poll: float = POLL_SECS) -> AsyncIterator[bytes]:
    """Each new snapshot once, as a server-sent event; a heartbeat while nothing changes."""
    sent = -1
    quiet = 0.0
    while True:
        serial, text = feed.latest_json(wait=False)
        if serial != sent:
            sent = serial
            quiet = 0.0
            yield f"event: snapshot\ndata: {text}\n\n".encode()
        elif quiet >= HEARTBEAT_SECS:
            quiet = 0.0
            yield b": still here\n\n"
        await asyncio.sleep(poll)
        quiet += poll


def create_app(
    feed: SnapshotFeed, username: str, password: str, title: str, metrics_open: bool = False
) -> FastAPI:
    """The app over ``feed``, asking for ``username``/``password`` (HTTP basic);
    ``metrics_open``: ``/metrics`` without login, for a Prometheus that scrapes by
    annotation on a cluster network (the Kubernetes export's dashboard)."""
    app = FastAPI(title="freqfleet dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    script = plotly_js()
    script_gz = gzip.compress(script, compresslevel=9, mtime=0)  # once, not per request
    html = page_html(title)

    def login(credentials: Annotated[HTTPBasicCredentials, Depends(BASIC)]) -> None:
        user_ok = secrets.compare_digest(credentials.username.encode(), username.encode())
        password_ok = secrets.compare_digest(credentials.password.encode(), password.encode())
        if not (user_ok and password_ok):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "the consumer's API username and password",
                headers={"WWW-Authenticate": 'Basic realm="freqfleet"'},
            )

    guarded = [Depends(login)]

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": feed.has_snapshot()}

    @app.get("/", response_class=HTMLResponse, dependencies=guarded)
    def page() -> HTMLResponse:
        return HTMLResponse(html)

    @app.get("/plotly.min.js", dependencies=guarded)
    def plotly(request: Request) -> Response:
        headers = {"Cache-Control": "private, max-age=86400", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(script_gz, media_type="application/javascript", headers=headers)
        return Response(script, media_type="application/javascript", headers=headers)

    @app.get("/snapshot", dependencies=guarded)
    def snapshot() -> Response:
        return Response(feed.latest_json()[1], media_type="application/json")

    @app.get("/events", dependencies=guarded)
    def stream() -> StreamingResponse:
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(feed), media_type="text/event-stream", headers=headers)

    @app.get("/metrics", dependencies=[] if metrics_open else guarded)
    def metrics() -> Response:
        return Response(metrics_text(feed.latest), media_type=CONTENT_TYPE)

    return app


__all__ = ["create_app", "events", "plotly_js"]
