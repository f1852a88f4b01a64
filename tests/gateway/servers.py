"""Real HTTP servers for the gateway's tests, run in a thread of the test process.

``serving(app)`` runs any ASGI app with uvicorn on a free port. ``ScriptedUpstream`` is a
small real upstream between the gateway and the simulator: it passes requests on to the
simulator, records what arrived and when, and on command holds requests or answers
429/418 the way Binance does, which the simulator cannot be told to do at a given moment.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (free port) in a thread; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    port = sock.getsockname()[1]
    # log_config=None: the test process's logging stays as it is (uvicorn would reset it).
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class ScriptedUpstream:
    """The simulator behind a script: hold requests, answer 429/418, report weight."""

    simulator_url: str
    arrivals: list[tuple[float, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    # Status and Retry-After (None: no header) for the next requests, one per request.
    refusals: list[tuple[int, str | None]] = field(default_factory=list)
    # A used-weight header value to report instead of the simulator's.
    used_weight: int | None = None

    def __post_init__(self) -> None:
        self.release.set()
        self._lock = threading.Lock()

    def hold(self) -> None:
        self.release.clear()

    def paths(self) -> list[str]:
        with self._lock:
            return [path for _, path in self.arrivals]

    def app(self) -> Starlette:
        async def forward(request: Request) -> Response:
            import asyncio

            with self._lock:
                self.arrivals.append((time.time(), request.url.path))
                refusal = self.refusals.pop(0) if self.refusals else None
            while not self.release.is_set():
                await asyncio.sleep(0.005)
            if refusal is not None:
                status, retry_after = refusal
                headers = {} if retry_after is None else {"Retry-After": retry_after}
                body = b'{"code":-1003,"msg":"Too much request weight used."}'
                if status == 418:
                    body = b'{"code":-1003,"msg":"Way too much request weight used; IP banned."}'
                return Response(body, status, headers=headers, media_type="application/json")
            async with httpx.AsyncClient() as client:
                answer = await client.get(
                    self.simulator_url + request.url.path, params=request.query_params
                )
            headers = {"X-MBX-USED-WEIGHT-1M": answer.headers.get("x-mbx-used-weight-1m", "0")}
            if self.used_weight is not None:
                headers["X-MBX-USED-WEIGHT-1M"] = str(self.used_weight)
            return Response(
                answer.content, answer.status_code, headers=headers, media_type="application/json"
            )

        return Starlette(routes=[Route("/{path:path}", forward, methods=["GET"])])


@contextlib.contextmanager
def dropping_first_connection(body: bytes) -> Iterator[tuple[str, list[int]]]:
    """A raw HTTP/1.1 server on 127.0.0.1 that reads the first request and closes its
    connection without an answer (as a server closing an idle kept-alive connection at
    that moment), then answers every later request with ``body``. Yields its URL and the
    number of requests it has read, in a list."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    seen = [0]
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            while not stop.is_set():
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                seen[0] += 1
                if seen[0] == 1:
                    return  # closed without a word
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
