"""A stand-in for a freqtrade bot: a real process answering ``/api/v1/ping`` and, with the
bot's credentials only, ``/api/v1/whitelist``; it records when it serves pairs and when it
is asked to stop, so tests can check start and stop order in wall-clock time. With
``--answers FILE`` (JSON: endpoint -> answer, e.g. ``{"balance": {...}}``) it also answers
those endpoints of ``/api/v1/`` as given, with the bot's credentials only.

    python fake_bot.py NAME PORT USER PASSWORD EVENTS [--pairs-after S] [--exit-delay S]
        [--answers FILE]
"""

from __future__ import annotations

import argparse
import base64
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def record(events: Path, name: str, what: str) -> None:
    with open(events, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"bot": name, "event": what, "at": time.time()}) + "\n")


def read_events(events: Path) -> list[dict]:
    if not events.exists():
        return []
    return [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("name", "port", "user", "password", "events"):
        parser.add_argument(name)
    parser.add_argument("--pairs-after", type=float, default=0.0, help="negative: never")
    parser.add_argument("--exit-delay", type=float, default=0.0)
    parser.add_argument("--answers", help="JSON file: endpoint -> its answer")
    args = parser.parse_args()
    events = Path(args.events)
    answers = json.loads(Path(args.answers).read_text()) if args.answers else {}
    started = time.monotonic()
    expected = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
    served = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/api/v1/ping":
                self._answer(200, {"status": "pong"})
            elif self.path == "/api/v1/whitelist":
                if self.headers.get("Authorization") != expected:
                    self._answer(401, {"detail": "Unauthorized"})
                    return
                due = args.pairs_after >= 0 and time.monotonic() - started >= args.pairs_after
                pairs = ["BTC/USDT", "ETH/USDT"] if due else []
                if pairs and not served.is_set():
                    served.set()
                    record(events, args.name, "serves")
                self._answer(200, {"whitelist": pairs, "length": len(pairs), "method": []})
            elif self.path.startswith("/api/v1/") and self.path[8:].split("?")[0] in answers:
                if self.headers.get("Authorization") != expected:
                    self._answer(401, {"detail": "Unauthorized"})
                    return
                self._answer(200, answers[self.path[8:].split("?")[0]])
            else:
                self._answer(404, {"detail": "Not Found"})

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", int(args.port)), Handler)

    def stop(signum: int, _frame: object) -> None:
        record(events, args.name, f"signal {signal.Signals(signum).name}")
        time.sleep(args.exit_delay)
        record(events, args.name, "exit")
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    record(events, args.name, "start")
    server.serve_forever()


if __name__ == "__main__":
    main()
