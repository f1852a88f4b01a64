"""The consumer's frame requests: freqtrade's real message consumer, connecting to
freqtrade's real API server, opens its producer channel with freqfleet's spacing instead
of freqtrade's half second (and with freqtrade's again once the patch is undone)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from freqtrade.data.dataprovider import DataProvider
from freqtrade.enums import RunMode
from freqtrade.rpc.api_server.ws import channel as channel_module
from freqtrade.rpc.external_message_consumer import ExternalMessageConsumer

from freqfleet import compat
from freqfleet.compat import patches
from freqfleet.compat.behaviour import channels_opened_with_a_spacing
from freqfleet.compat.declared import DECLARED
from freqfleet.compat.frame_requests import REQUEST_SPACING, send_requests_unspaced
from freqfleet.compat.model import Feature
from tests.kit.freqtrade_api import WS_TOKEN, freqtrade_api_server

pytestmark = pytest.mark.timeout(60)

FREQTRADE_SPACING = 0.5


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The ``send_throttle`` of every channel opened from now on, in order (the API
    server's side opens one without it: None)."""
    throttles: list[Any] = []

    class Recording(channel_module.WebSocketChannel):
        def __init__(self, websocket: Any, **kwargs: Any) -> None:
            throttles.append(kwargs.get("send_throttle"))
            super().__init__(websocket, **kwargs)

    monkeypatch.setattr(channel_module, "WebSocketChannel", Recording)
    return throttles


@pytest.fixture
def producer_port() -> Iterator[int]:
    with freqtrade_api_server(WS_TOKEN) as port:
        yield port


def consumer_channel_spacing(port: int, opened: list[Any]) -> float:
    """Connect freqtrade's message consumer to the producer on ``port``; the spacing its
    channel was opened with."""
    config = {
        "runmode": RunMode.DRY_RUN,
        "external_message_consumer": {
            "enabled": True,
            "producers": [{"name": "p1", "host": "127.0.0.1", "port": port, "ws_token": WS_TOKEN}],
        },
    }
    consumer = ExternalMessageConsumer(config, DataProvider(config, None))
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            spaced = [t for t in opened if t is not None]
            if spaced:
                return float(spaced[0])
            time.sleep(0.05)
        raise AssertionError(f"the consumer opened no channel to its producer: {opened}")
    finally:
        consumer.shutdown()


def test_the_consumer_asks_its_producers_without_freqtrades_spacing(
    producer_port: int, opened: list[Any]
) -> None:
    assert send_requests_unspaced()
    assert send_requests_unspaced()  # once per process: a second call changes nothing
    assert consumer_channel_spacing(producer_port, opened) == REQUEST_SPACING


def test_undone_the_consumer_asks_at_freqtrades_pace(producer_port: int, opened: list[Any]) -> None:
    from freqtrade.rpc import external_message_consumer as module

    assert send_requests_unspaced()
    for record in reversed(patches.applied()):
        if record.name == "create_channel":
            patches.undo(record)
    assert not patches.is_patched(module, "create_channel")
    assert consumer_channel_spacing(producer_port, opened) == FREQTRADE_SPACING


class OpensItsOwnChannel(ExternalMessageConsumer):
    """Opens the channel without the module's create_channel."""

    async def _create_connection(self, producer, lock):  # type: ignore[no-untyped-def]
        async with channel_module.create_channel(object(), channel_id="x"):
            pass


def test_the_behaviour_relied_on_holds_here_and_fails_on_a_stand_in() -> None:
    assert channels_opened_with_a_spacing(ExternalMessageConsumer)
    assert not channels_opened_with_a_spacing(OpensItsOwnChannel)
    (internal,) = [i for i in DECLARED if i.behaviour is channels_opened_with_a_spacing]
    assert internal.optional
    assert internal.problem(OpensItsOwnChannel) == internal.label
    assert not compat.lacking(Feature.FRAME_REQUESTS)
