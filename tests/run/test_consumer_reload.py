"""``apply``'s consumer step against a stand-in consumer API on 127.0.0.1: reload_config is
asked only once no order is in flight, and the step ends when the consumer answers with
the new whitelist and reports the new producers; orders that stay in flight end the step
with one line, the reload not asked."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from freqfleet.errors import RuntimeFleetError
from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.fleet_state import FleetState, ProducerState, Role
from freqfleet.run.consumer_reload import (
    planned_strategy_files,
    planned_whitelist,
    reload_consumer,
)

OLD, NEW = ["BTC/USDT"], ["BTC/USDT", "ETH/USDT"]


class Consumer:
    """What the stand-in answers; a reload after ``reload_secs`` writes the new report."""

    def __init__(self, state_path: Path, open_orders: int) -> None:
        self.state_path = state_path
        self.trades: list[dict[str, Any]] = [{"trade_id": 1, "has_open_orders": False}]
        self.trades += [{"trade_id": 2 + n, "has_open_orders": True} for n in range(open_orders)]
        self.whitelist = list(OLD)
        self.reloads: list[float] = []
        self.files_after_reload = {"my_strategy.py": "new"}

    def reload(self) -> None:
        self.reloads.append(time.time())

        def rebuilt() -> None:
            time.sleep(0.5)
            self.whitelist = list(NEW)
            report = FleetState(
                role=Role.CONSUMER,
                producers={"p1": ProducerState(), "p3": ProducerState()},
                strategy_files=self.files_after_reload,
            )
            self.state_path.write_text(json.dumps(report.as_json()))

        threading.Thread(target=rebuilt, daemon=True).start()


@contextmanager
def consumer_api(consumer: Consumer) -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/api/v1/status":
                self._send(consumer.trades)
            else:
                self._send({"whitelist": consumer.whitelist})

        def do_POST(self) -> None:
            assert self.path == "/api/v1/reload_config"
            consumer.reload()
            self._send({"status": "Reloading config ..."})

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def entry(port: int) -> BotEntry:
    return BotEntry(
        name="consumer",
        role="consumer",
        config_files=["consumer.json"],
        api_port=port,
        username="fleet",
        password="secret",
    )


def test_reload_waits_for_orders_in_flight_then_for_the_new_config(tmp_path: Path) -> None:
    (tmp_path / "user_data").mkdir()
    consumer = Consumer(tmp_path / "user_data" / "fleet-state.json", open_orders=1)
    filled_at: list[float] = []

    def fill() -> None:
        time.sleep(1.5)
        consumer.trades[1]["has_open_orders"] = False
        filled_at.append(time.time())

    lines: list[str] = []
    with consumer_api(consumer) as port:
        threading.Thread(target=fill, daemon=True).start()
        took = reload_consumer(tmp_path, entry(port), ["p1", "p3"], pairs=NEW, report=lines.append)
    assert len(consumer.reloads) == 1 and consumer.reloads[0] >= filled_at[0]
    assert 0.5 <= took < 10
    assert lines == [
        "consumer: waiting for 1 order(s) in flight to fill or be cancelled before "
        "reload_config (at most 300 s)"
    ]


def test_orders_still_in_flight_leave_the_consumer_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "user_data").mkdir()
    consumer = Consumer(tmp_path / "user_data" / "fleet-state.json", open_orders=2)
    with (
        consumer_api(consumer) as port,
        pytest.raises(RuntimeFleetError, match=r"consumer: 2 trade\(s\) still have an order"),
    ):
        reload_consumer(tmp_path, entry(port), ["p1", "p3"], pairs=NEW, order_wait=1.5)
    assert consumer.reloads == []


def test_the_awaited_whitelist_is_the_planned_static_list(tmp_path: Path) -> None:
    consumer = entry(1)
    static = {"exchange": {"pair_whitelist": NEW}, "pairlists": [{"method": "StaticPairList"}]}
    (tmp_path / "consumer.json").write_text(json.dumps(static))
    assert planned_whitelist(tmp_path, consumer) == NEW
    remote = {**static, "pairlists": [{"method": "RemotePairList"}]}
    (tmp_path / "consumer.json").write_text(json.dumps(remote))
    assert planned_whitelist(tmp_path, consumer) is None  # the feed's ranking, not checked
    (tmp_path / "consumer.json").unlink()
    assert planned_whitelist(tmp_path, consumer) is None


@pytest.mark.parametrize("runs", ["new", "old"])
def test_a_changed_strategy_is_awaited_in_the_files_the_consumer_reports(
    tmp_path: Path, runs: str
) -> None:
    (tmp_path / "user_data").mkdir()
    consumer = Consumer(tmp_path / "user_data" / "fleet-state.json", open_orders=0)
    consumer.files_after_reload = {"my_strategy.py": runs, "MyStrategyFleet.py": "stub"}
    planned = {"my_strategy.py": "new", "MyStrategyFleet.py": "stub"}
    with consumer_api(consumer) as port:
        if runs == "new":
            took = reload_consumer(
                tmp_path, entry(port), ["p1", "p3"], pairs=NEW, strategy_files=planned
            )
            assert 0.5 <= took < 10
            return
        with pytest.raises(RuntimeFleetError, match="new config and strategy files within 2 s"):
            reload_consumer(
                tmp_path, entry(port), ["p1", "p3"], pairs=NEW, strategy_files=planned,
                reload_wait=2,
            )  # fmt: skip


def test_the_plans_strategy_files_by_their_path_in_the_strategies_folder() -> None:
    hashes = {
        "user_data/strategies/my_strategy.py": "a",
        "user_data/strategies/helpers/levels.py": "b",
        "elsewhere/notes.py": "c",
    }
    manifest = FleetManifest.model_construct(userdir="user_data", strategy_hashes=hashes)
    assert planned_strategy_files(manifest) == {"my_strategy.py": "a", "helpers/levels.py": "b"}
