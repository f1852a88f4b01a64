"""Fleet alerts: each event once when it starts and once when it ends, never per loop; and
delivered by freqtrade's own RPC (a real webhook to a receiver started here)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
from freqtrade.data.dataprovider import DataProvider
from freqtrade.enums import RunMode
from freqtrade.rpc import RPCManager

from freqfleet.fleet_state import FleetState, ProducerState, Role
from freqfleet.strategy.fleet_alerts import PREFIX, AlertHook, FleetAlerts
from tests.kit.fleet_strategy import bot_config, load_strategy

CANDLE = 60
NOW = 1_800_000_000.0 + 30  # half-way through a candle
NEWEST_CLOSED = datetime.fromtimestamp((int(NOW) // CANDLE - 1) * CANDLE, UTC)


def report(
    *,
    behind: int = 0,
    rejected: int = 0,
    analysis: float = 3.0,
    unrouted: tuple[str, ...] = (),
    newest: datetime = NEWEST_CLOSED,
) -> FleetState:
    """Two producers; p2 ``behind`` candles late, ``rejected`` messages, ``analysis`` s."""
    p2_newest = datetime.fromtimestamp(newest.timestamp() - behind * CANDLE, UTC)
    return FleetState(
        role=Role.CONSUMER,
        timeframe="1m",
        max_signal_age=1,
        producers={
            "p1": ProducerState(pairs=3, newest_candle=newest, analysis_secs=2.0),
            "p2": ProducerState(
                pairs=2,
                newest_candle=p2_newest,
                analysis_secs=analysis,
                rejected={"duplicate": rejected} if rejected else {},
            ),
        },
        unrouted_pairs=list(unrouted),
    )


def said(alerts: FleetAlerts, state: FleetState, now: float = NOW, **kw: Any) -> list[str]:
    return [message.removeprefix(PREFIX) for message in alerts.check(state, now, **kw)]


def test_nothing_to_say_about_a_healthy_fleet() -> None:
    alerts = FleetAlerts("2026.9")
    assert said(alerts, report(), versions={"p1": "2026.9"}) == []
    assert said(alerts, report()) == []


def test_a_stale_producer_is_said_once_and_its_return_once() -> None:
    alerts = FleetAlerts("2026.9")
    assert said(alerts, report(behind=1)) == []  # one candle behind: within max_signal_age
    stale = said(alerts, report(behind=2))
    assert stale == [
        "producer p2 is stale: its newest analysis is older than 1 candle(s); no entries "
        "on its 2 pairs"
    ]
    assert said(alerts, report(behind=3)) == []
    assert said(alerts, report(behind=5)) == []
    assert said(alerts, report()) == ["producer p2 is fresh again"]
    assert said(alerts, report()) == []


def test_unserved_pairs() -> None:
    alerts = FleetAlerts("2026.9")
    assert said(alerts, report(unrouted=("A/USDT",))) == [
        "no producer serves 1 pair(s): A/USDT; no entries on them"
    ]
    assert said(alerts, report(unrouted=("A/USDT",))) == []
    assert said(alerts, report(unrouted=("A/USDT", "B/USDT"))) == [
        "no producer serves 2 pair(s): A/USDT, B/USDT; no entries on them"
    ]
    assert said(alerts, report(unrouted=("B/USDT",))) == []
    assert said(alerts, report()) == ["every pair has a producer again"]


def rejecting(count: int) -> FleetState:
    """A report whose clock-bound checks stay quiet however far the test moves ``now``."""
    return report(rejected=count).model_copy(update={"timeframe": None})


def test_rejections_once_until_quiet_again() -> None:
    alerts = FleetAlerts("2026.9", quiet_secs=600)
    assert said(alerts, rejecting(2)) == ["rejected messages from producer p2: duplicate 2"]
    assert said(alerts, rejecting(5), NOW + 10) == []  # still rejecting: said already
    assert said(alerts, rejecting(5), NOW + 500) == []
    assert said(alerts, rejecting(5), NOW + 700) == []  # quiet for 690 s: re-armed
    assert said(alerts, rejecting(6), NOW + 710) == [
        "rejected messages from producer p2: duplicate 6"
    ]


def test_slow_analysis_and_version_drift() -> None:
    alerts = FleetAlerts("2026.9")
    slow = said(alerts, report(analysis=16.0))
    assert slow == [
        "producer p2 took 16.0 s for its share of a candle, more than a quarter of the "
        "candle (15 s): fewer pairs per producer, or more producers"
    ]
    assert said(alerts, report(analysis=20.0)) == []
    assert said(alerts, report(analysis=4.0)) == [
        "producer p2 analyses within a quarter of a candle again"
    ]
    versions = {"p1": "2026.9", "p2": "2026.8"}
    assert said(alerts, report(), versions=versions) == [
        "freqtrade version drift: the consumer runs 2026.9, p2 2026.8; run every bot on one release"
    ]
    assert said(alerts, report(), versions=versions) == []
    assert said(alerts, report(), versions={"p1": "2026.9", "p2": "2026.9"}) == [
        "every producer runs freqtrade 2026.9 again"
    ]


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook receiver: its url and the JSON bodies it got."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_an_alert_reaches_the_consumers_webhook_once(receiver) -> None:
    url, received = receiver
    config = {
        "runmode": RunMode.DRY_RUN,
        "dry_run": True,
        "webhook": {
            "enabled": True,
            "url": url,
            "format": "json",
            "allow_custom_messages": True,
            "strategy_msg": {"text": "{msg}"},
        },
    }
    dp = DataProvider(config, None)
    rpc = RPCManager(SimpleNamespace(config=config))  # what freqtradebot builds
    now = datetime.fromtimestamp((int(time.time()) // CANDLE - 1) * CANDLE, UTC)
    states = iter(report(behind=behind, newest=now) for behind in (3, 4, 4, 0))
    hook = AlertHook(
        lambda: next(states),
        lambda message: dp.send_msg(message, always_send=True),
        FleetAlerts("2026.9"),
        check_secs=0,
    )
    for _ in range(4):  # the bot's loops: alerts, then freqtrade sends the queue
        hook.on_loop()
        rpc.process_msg_queue(dp._msg_queue)
    assert [body["text"] for body in received] == [
        PREFIX + "producer p2 is stale: its newest analysis is older than 1 candle(s); no "
        "entries on its 2 pairs",
        PREFIX + "producer p2 is fresh again",
    ]


@pytest.mark.parametrize("alerts", [True, False])
def test_the_consumer_strategy_sends_them_unless_turned_off(user_data, alerts: bool) -> None:
    """The hook in the consumer's bot_loop_start, with ``fleet.alerts`` on and off."""
    config = bot_config(
        user_data, "FleetSampleStrategy", ["p1"], fleet={"follow": [], "alerts": alerts}
    )
    strategy = load_strategy(config)
    strategy.dp = DataProvider(strategy.config, None)
    strategy.bot_start()
    try:
        strategy.fleet_consumer.rejections.add("p1", "malformed")
        for _ in range(3):
            strategy.bot_loop_start(current_time=datetime.now(UTC))
    finally:
        strategy.ft_bot_cleanup()
    sent = list(strategy.dp._msg_queue)
    expected = [PREFIX + "rejected messages from producer p1: malformed 1"]
    assert sent == (expected if alerts else [])
