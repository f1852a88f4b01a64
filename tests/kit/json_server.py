"""A stand-in for a bot's REST API answering fixed JSON per path: what a freqtrade bot
would not answer, or a bot whose state a test sets (a producer on another timeframe)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class JsonServer:
    """A server answering fixed bodies per path (what a freqtrade bot would not), and
    recording the query strings it was asked."""

    def __init__(self, answers: dict[str, tuple[int, bytes]]) -> None:
        self.answers = answers
        self.queries: list[str] = []


@contextlib.contextmanager
def json_server(answers: dict[str, Any]) -> Iterator[tuple[str, JsonServer]]:
    """Its url and what it was asked; ``answers`` maps a path to a JSON value or raw bytes
    (status 200), any other path answers 404."""
    encoded = {
        path: (200, body if isinstance(body, bytes) else json.dumps(body).encode())
        for path, body in answers.items()
    }
    server_state = JsonServer(encoded)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            server_state.queries.append(query)
            code, body = server_state.answers.get(path, (404, b'{"detail": "Not Found"}'))
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server_state
    finally:
        server.shutdown()
        server.server_close()
