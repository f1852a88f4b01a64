"""A hostile producer: speaks freqtrade's message websocket and sends only bad messages.

Run as a process in place of one producer of a planned fleet (its port, its ws_token):

    python tests/scenarios/faults/hostile_producer.py --port P --token T --share A/USDT,B/USDT \
        --claim C/USDT,D/USDT --stats stats.json

It accepts ``/api/v1/message/ws?token=...`` (any other token: closed before accept, which
uvicorn answers with HTTP 403, as a freqtrade producer does), answers the consumer's
``subscribe``, ``whitelist`` and ``analyzed_df`` requests, and repeats its whole set of
messages every ``--interval`` seconds to every channel subscribed to ``analyzed_df``:

- a whitelist with its share, the claimed pairs and FOO/USDT, BTC/EUR, ../../etc and a
  5,000-character name;
- per share pair a frame whose last date is null (NaT) and a frame dated in the future;
- per claimed pair (another producer's) frames dated at the newest candle the consumer
  still accepts, newer than the real producer's, each candle an entry signal;
- a fleet-encoded frame whose payload is not the JSON of a frame;
- a frame of 6,000 rows, and once per process a message over the consumer's 8 MB limit;
- while the file ``--garbage-flag`` exists, also a freqtrade-encoded (no ``__fleet__``)
  frame whose payload is not JSON.

Every frame it sends carries ``enter_long = 1``, ``enter_tag = "hostile"`` and a
``hostile_marker`` column, so the tests can tell whether any of it reached a trade or an
analysed frame. It answers the REST calls a consumer makes (``show_config`` with the
fleet's timeframe, empty trade lists for the follower's catch-up). What it sent is
counted per kind in ``--stats`` (JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from freqfleet.strategy.codec import encode_frame

TIMEFRAME = "1m"
CANDLE = timedelta(minutes=1)
HUGE_ROWS = 6000
OVERSIZE_BYTES = 9 * 1024 * 1024
BAD_WHITELIST_NAMES = ["FOO/USDT", "BTC/EUR", "../../etc", "X" * 5000]


def candle_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def hostile_frame(last: datetime, rows: int = 30, columns: int = 0) -> pd.DataFrame:
    """OHLCV plus an entry signal on every candle, ``rows`` 1m candles ending at ``last``."""
    dates = pd.date_range(end=last, periods=rows, freq="1min", tz=UTC)
    price = np.linspace(100.0, 101.0, rows)
    frame = pd.DataFrame(
        {
            "date": dates,
            "open": price,
            "high": price * 1.001,
            "low": price * 0.999,
            "close": price,
            "volume": np.full(rows, 1000.0),
            "hot": np.ones(rows),
            "enter_long": np.ones(rows, dtype="int64"),
            "exit_long": np.zeros(rows, dtype="int64"),
            "enter_tag": ["hostile"] * rows,
            "hostile_marker": np.ones(rows),
        }
    )
    if columns:
        pads = pd.DataFrame({f"pad_{index}": price for index in range(columns)})
        frame = pd.concat([frame, pads], axis=1)
    return frame


def frame_message(pair: str, wire: dict[str, Any], la: datetime) -> dict[str, Any]:
    return {
        "type": "analyzed_df",
        "data": {"key": [pair, TIMEFRAME, "spot"], "df": wire, "la": la.isoformat()},
    }


class Hostile:
    def __init__(self, args: argparse.Namespace) -> None:
        self.token = args.token
        self.share = [p for p in args.share.split(",") if p]
        self.claim = [p for p in args.claim.split(",") if p]
        self.interval = args.interval
        self.stats_path = Path(args.stats)
        self.garbage_flag = Path(args.garbage_flag) if args.garbage_flag else None
        self.sent: Counter[str] = Counter()
        self.connections = 0
        self.requests: Counter[str] = Counter()
        self.oversize_sent = False
        self.started = time.time()

    def write_stats(self) -> None:
        stats = {
            "pid": os.getpid(),
            "connections": self.connections,
            "requests": dict(self.requests),
            "sent": dict(self.sent),
            "updated": time.time(),
        }
        tmp = self.stats_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stats))
        tmp.replace(self.stats_path)

    def whitelist(self) -> dict[str, Any]:
        return {"type": "whitelist", "data": [*self.share, *self.claim, *BAD_WHITELIST_NAMES]}

    def frames(self) -> list[tuple[str, dict[str, Any] | str]]:
        """(kind, message) of one round of bad frames."""
        now = datetime.now(UTC)
        last_closed = candle_floor(now) - CANDLE
        messages: list[tuple[str, dict[str, Any] | str]] = []
        for pair in self.share:
            nat = hostile_frame(last_closed)
            nat.loc[nat.index[-1], "date"] = pd.NaT
            messages.append(("nat_last_date", frame_message(pair, encode_frame(nat), now)))
            future = hostile_frame(candle_floor(now) + 30 * CANDLE)
            messages.append(("future", frame_message(pair, encode_frame(future), now)))
        # The newest candle a consumer accepts: one candle past the one in progress.
        newest = candle_floor(now) + CANDLE
        for pair in self.claim:
            messages.append(
                ("claim", frame_message(pair, encode_frame(hostile_frame(newest)), now))
            )
        if self.share:
            pair = self.share[0]
            broken_fleet = {
                "__type__": "dataframe",
                "__value__": '{"columns": ["date", "close"], "data": [[1, ',
                "__fleet__": {"version": 1, "dtypes": {"date": "datetime64[ns, UTC]"}},
            }
            messages.append(("malformed_fleet", frame_message(pair, broken_fleet, now)))
            huge = encode_frame(hostile_frame(last_closed, rows=HUGE_ROWS))
            messages.append(("huge", frame_message(pair, huge, now)))
            if self.garbage_flag is not None and self.garbage_flag.exists():
                # Last in the round: what follows it on the connection may be lost.
                garbage = {"__type__": "dataframe", "__value__": "this is not a dataframe"}
                messages.append(("malformed_plain", frame_message(pair, garbage, now)))
        return messages

    def oversize(self) -> str:
        pair = (self.share or self.claim)[0]
        rows = 4000
        frame = hostile_frame(candle_floor(datetime.now(UTC)) - CANDLE, rows=rows, columns=150)
        text = json.dumps(frame_message(pair, encode_frame(frame), datetime.now(UTC)))
        assert len(text) > OVERSIZE_BYTES, len(text)
        return text


def build_app(hostile: Hostile) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/ping")
    async def ping() -> dict[str, str]:
        return {"status": "pong"}

    @app.get("/api/v1/show_config")
    async def show_config() -> dict[str, Any]:
        return {"timeframe": TIMEFRAME, "state": "running"}

    @app.get("/api/v1/status")
    async def status() -> list:
        return []

    @app.get("/api/v1/trades")
    async def trades() -> dict[str, Any]:
        return {"trades": [], "trades_count": 0, "offset": 0, "total_trades": 0}

    @app.get("/api/v1/whitelist")
    async def whitelist() -> dict[str, Any]:
        return {"whitelist": hostile.share, "length": len(hostile.share), "method": []}

    @app.websocket("/api/v1/message/ws")
    async def message_ws(websocket: WebSocket) -> None:
        if websocket.query_params.get("token") != hostile.token:
            await websocket.close(code=1008)  # before accept: HTTP 403, like freqtrade
            return
        await websocket.accept()
        hostile.connections += 1
        topics: set[str] = set()
        lock = asyncio.Lock()

        async def send(kind: str, message: dict[str, Any] | str) -> None:
            text = message if isinstance(message, str) else json.dumps(message)
            async with lock:
                await websocket.send_text(text)
            hostile.sent[kind] += 1

        async def round_of_frames() -> None:
            for kind, message in hostile.frames():
                await send(kind, message)
            if not hostile.oversize_sent:
                hostile.oversize_sent = True
                await send("oversize", hostile.oversize())
            hostile.write_stats()

        async def repeat() -> None:
            while True:
                await asyncio.sleep(hostile.interval)
                if "analyzed_df" in topics:
                    await send("whitelist", hostile.whitelist())
                    await round_of_frames()

        repeater = asyncio.create_task(repeat())
        try:
            while True:
                request = json.loads(await websocket.receive_text())
                kind = request.get("type") if isinstance(request, dict) else None
                hostile.requests[str(kind)] += 1
                if kind == "subscribe":
                    topics = set(request.get("data") or [])
                elif kind == "whitelist":
                    await send("whitelist", hostile.whitelist())
                elif kind == "analyzed_df":
                    await round_of_frames()
                hostile.write_stats()
        except (WebSocketDisconnect, RuntimeError, ValueError):
            pass
        finally:
            repeater.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await repeater
            hostile.write_stats()

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--share", default="")
    parser.add_argument("--claim", default="")
    parser.add_argument("--stats", required=True)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--garbage-flag", default=None)
    args = parser.parse_args()
    hostile = Hostile(args)
    hostile.write_stats()
    uvicorn.run(build_app(hostile), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
