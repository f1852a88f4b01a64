"""Say once, in words, why a producer will not let the consumer in.

Why: when a producer rejects the consumer's ws_token, freqtrade's consumer logs
``Connection Refused - server rejected WebSocket connection: HTTP 403 retrying in 5s``
every ``sleep_time`` seconds, naming neither the producer nor the fix. A freqtrade producer
(``api_auth.validate_ws_token``) closes the websocket before accepting it when the token
matches neither ``api_server.ws_token`` (a string or a list) nor a JWT signed with its
``jwt_secret_key``; uvicorn answers a close before accept with HTTP 403. So a handshake
with the same URL freqtrade builds tells the cases apart: accepted, 401/403 (token),
no answer (address, producer down), or something that is not a freqtrade producer.
"""

from __future__ import annotations

import logging
import ssl
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import connect

logger = logging.getLogger(__name__)

# The websockets library logs the request line, token included, at DEBUG level: give it
# a logger of its own that never goes below INFO, whatever the bot's verbosity.
websocket_logger = logging.getLogger(f"{__name__}.websocket")
websocket_logger.setLevel(logging.INFO)

AccessProblem = Literal["token_rejected", "unreachable", "handshake_failed", "invalid_url"]
PROBLEMS: tuple[AccessProblem, ...] = (
    "token_rejected",
    "unreachable",
    "handshake_failed",
    "invalid_url",
)


def producer_ws_url(host: str, port: int, ws_token: str, secure: bool = False) -> str:
    """The URL exactly as freqtrade's ExternalMessageConsumer builds it (same verdict)."""
    scheme = "wss" if secure else "ws"
    return f"{scheme}://{host}:{port}/api/v1/message/ws?token={ws_token}"


def check_producer_access(
    name: str,
    host: str,
    port: int,
    ws_token: str,
    secure: bool = False,
    timeout: float = 3.0,
) -> AccessProblem | None:
    """Open and close the producer's message websocket; None if it accepts the token.

    Never raises: every failure maps to one of :data:`PROBLEMS`.
    """
    problem: AccessProblem | None
    detail = ""
    try:
        with connect(
            producer_ws_url(host, port, ws_token, secure),
            open_timeout=timeout,
            close_timeout=timeout,
            ping_interval=None,
            logger=websocket_logger,
        ):
            problem = None
    except InvalidStatus as exc:
        status = exc.response.status_code
        problem = "token_rejected" if status in (401, 403) else "handshake_failed"
        detail = f"HTTP {status}"
    except (InvalidURI, ValueError) as exc:
        # InvalidURI's text holds the URL, token included: name the class only.
        problem, detail = "invalid_url", type(exc).__name__
    except (InvalidHandshake, ssl.SSLError) as exc:
        # ssl.SSLError is an OSError: it must be caught before the next clause.
        problem, detail = "handshake_failed", type(exc).__name__
    except OSError as exc:  # refused, no route, DNS failure, TimeoutError
        problem, detail = "unreachable", type(exc).__name__
    except Exception as exc:
        problem, detail = "handshake_failed", type(exc).__name__
    logger.debug(
        "Access check of producer %s (%s:%s): %s %s", name, host, port, problem or "ok", detail
    )
    return problem


def access_problem_message(name: str, problem: str, index: int) -> str:
    """One line naming the producer, the config entry and the fix (never the token)."""
    entry = f"external_message_consumer.producers[{index}]"
    if problem == "token_rejected":
        return (
            f"{name} rejected this consumer's ws_token (HTTP 403); set {entry}.ws_token to "
            f"{name}'s api_server.ws_token (freqfleet plan writes both from fleet-secrets.json)"
        )
    if problem == "unreachable":
        return (
            f"{name} does not answer at {entry}.host:port (connection refused, timed out or "
            f"host unknown); freqtrade keeps retrying: check that {name} runs with "
            "api_server enabled and that host and port match its api_server "
            "listen_ip_address and listen_port"
        )
    if problem == "handshake_failed":
        return (
            f"{name} answered at {entry}.host:port but not as a freqtrade message websocket; "
            f"check that host and port point at {name}'s api_server and that {entry}.secure "
            "is true only when it is served over TLS"
        )
    if problem == "invalid_url":
        return (
            f"{entry} ({name}) does not make a valid websocket URL and freqtrade gives up on "
            "it; check host and port, and that ws_token uses URL-safe characters only"
        )
    return f"{name} ({entry}) cannot be reached by this consumer: {problem}"


def access_problems(config: dict[str, Any], timeout: float = 3.0) -> list[str]:
    """Messages for every producer of an enabled consumer config that refuses access.

    Producers are checked in parallel, so the whole check lasts at most about ``timeout``.
    """
    emc = config.get("external_message_consumer") or {}
    producers = list(emc.get("producers") or []) if emc.get("enabled") else []
    if not producers:
        return []

    def check(producer: dict[str, Any]) -> AccessProblem | None:
        return check_producer_access(
            str(producer.get("name", "")),
            str(producer.get("host", "")),
            producer.get("port", 0),
            str(producer.get("ws_token", "")),
            bool(producer.get("secure", False)),
            timeout,
        )

    with ThreadPoolExecutor(max_workers=min(len(producers), 16)) as pool:
        results = list(pool.map(check, producers))
    return [
        access_problem_message(str(p.get("name", f"producer #{i}")), problem, i)
        for i, (p, problem) in enumerate(zip(producers, results, strict=True))
        if problem is not None
    ]
