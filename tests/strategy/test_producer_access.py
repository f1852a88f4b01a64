"""The consumer's producer access check, against freqtrade's own API server on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from freqfleet.strategy.producer_access import (
    PROBLEMS,
    access_problem_message,
    access_problems,
    check_producer_access,
    producer_ws_url,
)
from tests.kit.freqtrade_api import OTHER_TOKEN, WRONG_TOKEN, WS_TOKEN
from tests.kit.ports import free_port


@pytest.mark.timeout(60)
def test_accepted_token(producer_port: int) -> None:
    assert check_producer_access("producer-1", "127.0.0.1", producer_port, WS_TOKEN) is None
    # api_server.ws_token may be a list: every entry is accepted.
    assert check_producer_access("producer-1", "127.0.0.1", producer_port, OTHER_TOKEN) is None


@pytest.mark.timeout(60)
def test_rejected_token(producer_port: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    problem = check_producer_access("producer-1", "127.0.0.1", producer_port, WRONG_TOKEN)
    assert problem == "token_rejected"
    assert time.monotonic() - started < 2
    # The check's own log lines (websockets DEBUG included) never show the token; the
    # producer's uvicorn, in this same process, does (log_guard redacts those).
    assert "producer-1" in caplog.text
    assert all(WRONG_TOKEN not in r.getMessage() for r in caplog.records if "uvicorn" not in r.name)


@pytest.mark.timeout(60)
def test_tls_mismatch_is_not_a_token_problem(producer_port: int) -> None:
    problem = check_producer_access(
        "producer-1", "127.0.0.1", producer_port, WS_TOKEN, secure=True, timeout=2
    )
    assert problem == "handshake_failed"


def test_connection_refused_is_unreachable() -> None:
    started = time.monotonic()
    assert check_producer_access("producer-1", "127.0.0.1", free_port(), WS_TOKEN) == (
        "unreachable"
    )
    assert time.monotonic() - started < 2


def test_silent_server_times_out_as_unreachable() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # accepts the TCP connection, never answers the handshake
        port = listener.getsockname()[1]
        started = time.monotonic()
        problem = check_producer_access("producer-1", "127.0.0.1", port, WS_TOKEN, timeout=0.5)
    assert problem == "unreachable"
    assert time.monotonic() - started < 2


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_other_http_server_is_a_failed_handshake() -> None:
    server = HTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        assert check_producer_access("producer-1", "127.0.0.1", port, WS_TOKEN) == (
            "handshake_failed"
        )
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("host", "port", "token", "expected"),
    [
        ("127.0.0.1", "notaport", WS_TOKEN, "invalid_url"),
        ("127.0.0.1", 99999, WS_TOKEN, "invalid_url"),
        ("127.0.0.1", 1, "token#with-fragment", "invalid_url"),
        ("no-such-host.invalid", 8080, WS_TOKEN, "unreachable"),
    ],
)
def test_bad_addresses_never_raise(host: str, port: Any, token: str, expected: str) -> None:
    assert check_producer_access("producer-1", host, port, token, timeout=2) == expected


def test_url_is_freqtrades() -> None:
    assert producer_ws_url("10.0.0.2", 8081, "tok") == (
        "ws://10.0.0.2:8081/api/v1/message/ws?token=tok"
    )
    assert producer_ws_url("h", 1, "tok", secure=True).startswith("wss://h:1/")


def test_messages_name_producer_entry_and_fix() -> None:
    assert access_problem_message("producer-1", "token_rejected", 0) == (
        "producer-1 rejected this consumer's ws_token (HTTP 403); set "
        "external_message_consumer.producers[0].ws_token to producer-1's api_server.ws_token "
        "(freqfleet plan writes both from fleet-secrets.json)"
    )
    for problem in [*PROBLEMS, "something_new"]:
        message = access_problem_message("producer-2", problem, 3)
        assert "producer-2" in message
        assert "producers[3]" in message
        assert "\n" not in message


@pytest.mark.timeout(60)
def test_access_problems_for_a_consumer_config(producer_port: int) -> None:
    def producer(name: str, port: int, token: str) -> dict[str, Any]:
        return {"name": name, "host": "127.0.0.1", "port": port, "ws_token": token}

    config = {
        "external_message_consumer": {
            "enabled": True,
            "producers": [
                producer("producer-1", producer_port, WS_TOKEN),
                producer("producer-2", producer_port, WRONG_TOKEN),
                producer("producer-3", free_port(), WS_TOKEN),
            ],
        }
    }
    # producer-3's port refuses at once: the timeout only bounds the answering producer's
    # handshake, which a loaded machine may take seconds to complete.
    messages = access_problems(config, timeout=10)
    assert len(messages) == 2, messages
    assert messages[0].startswith("producer-2 rejected this consumer's ws_token")
    assert "producers[1]" in messages[0]
    assert messages[1].startswith("producer-3 does not answer")
    assert all(WRONG_TOKEN not in m and WS_TOKEN not in m for m in messages)
    assert access_problems({"external_message_consumer": {"enabled": False}}) == []
    assert access_problems({}) == []
