"""The consumer's requests for producer frames, sent as they come.

freqtrade's ``ExternalMessageConsumer`` asks a producer for a pair's whole frame whenever a
row cannot be appended to what it holds ("Holes in data or no existing df"), and opens
each producer's channel with ``send_throttle=0.5``: half a second after every request it
sends. A fleet's consumer that starts before its producers have analysed (``freqfleet
up``), or a producer that restarts, meets a row it cannot append for every pair of that
producer at the next candle: at 250 pairs a producer, the last request left two minutes
later, and every pair waited its turn (its entries with it) while the next candle's rows
found holes again and queued more. Requests are a few bytes; the answers (the producer's
frames) are what costs, and they are the same however fast they are asked for. The
consumer's channels are opened with ``REQUEST_SPACING`` instead (the spacing freqtrade's
own API server uses for what it sends). Patched on freqtrade's message-consumer module,
for the consumer's process (``patches``: undone by restoring it).
"""

from __future__ import annotations

import logging
from typing import Any

from freqfleet.compat import patches
from freqfleet.compat.checks import lacking
from freqfleet.compat.model import Feature
from freqfleet.compat.versions import unsupported_message

logger = logging.getLogger(__name__)

REQUEST_SPACING = 0.01
"""Seconds the consumer's channel sleeps after each request (freqtrade: 0.5)."""


def send_requests_unspaced() -> bool:
    """Open the consumer's producer channels with ``REQUEST_SPACING`` (see the module
    docstring); whether they are. Without the internals it relies on, freqtrade's spacing
    stays and the consumer says so."""
    from freqtrade.rpc import external_message_consumer as module

    if patches.is_patched(module, "create_channel"):
        return True
    problems = lacking(Feature.FRAME_REQUESTS)
    if problems:
        logger.info(
            "Fleet consumer asks for producer frames at freqtrade's pace: %s",
            unsupported_message(problems, "sending frame requests without spacing"),
        )
        return False
    create_channel = module.create_channel

    def fleet_create_channel(websocket: Any, **kwargs: Any) -> Any:
        kwargs["send_throttle"] = min(kwargs.get("send_throttle", REQUEST_SPACING), REQUEST_SPACING)
        return create_channel(websocket, **kwargs)

    patches.patch(module, "create_channel", fleet_create_channel)
    return True


__all__ = ["REQUEST_SPACING", "send_requests_unspaced"]
