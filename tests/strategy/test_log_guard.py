"""Secrets never reach freqtrade's console, logfile or REST /logs buffer."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from freqtrade.loggers import bufferHandler, setup_logging
from freqtrade.rpc.rpc import RPC
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from freqfleet.strategy.log_guard import (
    REDACTED,
    RedactingFilter,
    collect_secrets,
    install_log_guard,
    redact,
    uninstall_log_guard,
)
from tests.kit.freqtrade_api import WRONG_TOKEN, freqtrade_api_server

TOKEN = "producer-ws-token-Zq8vN3kP0aLx"
CONSUMER_TOKEN = "consumer-side-token-for-p2-7Hd9"


def fleet_config(token: str = TOKEN) -> dict[str, Any]:
    return {
        "api_server": {
            "ws_token": token,
            "password": "api-password-1234",
            "jwt_secret_key": "jwt-secret-key-0123456789-0123456789",
        },
        "external_message_consumer": {
            "enabled": True,
            "producers": [{"name": "producer-2", "ws_token": CONSUMER_TOKEN}],
        },
    }


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Give every test the logging state it found: handlers, levels, factory, /logs buffer.

    A fleet strategy loaded by an earlier test installs the guard: each test starts
    without it.
    """
    uninstall_log_guard()
    root = logging.root
    root_state = (root.level, list(root.handlers))
    loggers = {
        name: (lg.level, lg.propagate, list(lg.handlers), lg.disabled)
        for name, lg in list(root.manager.loggerDict.items())
        if isinstance(lg, logging.Logger)
    }
    factory = logging.getLogRecordFactory()
    buffer = list(bufferHandler.buffer)
    # What a freqtrade process has: nothing configures uvicorn's loggers (its API server
    # starts uvicorn with log_config=None), so their records reach root's handlers.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers[:] = []
        uvicorn_logger.propagate = True
        uvicorn_logger.disabled = False
    yield
    uninstall_log_guard()
    logging.setLogRecordFactory(factory)
    for handler in root.handlers:
        if handler not in root_state[1] and handler is not bufferHandler:
            handler.close()
    root.handlers[:] = root_state[1]
    root.setLevel(root_state[0])
    for name, lg in list(root.manager.loggerDict.items()):
        if isinstance(lg, logging.Logger) and name in loggers:
            lg.level, lg.propagate, lg.handlers[:], lg.disabled = (
                loggers[name][0],
                loggers[name][1],
                loggers[name][2],
                loggers[name][3],
            )
    bufferHandler.buffer[:] = buffer


@pytest.fixture
def logfile(tmp_path: Path, clean_logging: None) -> Path:
    """freqtrade's own logging set-up (console, RotatingFileHandler, /logs buffer)."""
    path = tmp_path / "logs" / "producer-1.log"
    setup_logging(
        {
            "verbosity": 0,
            "logfile": str(path),
            "ft_tests_force_logging": True,
            "print_colorized": False,
        }
    )
    return path


def rest_logs() -> str:
    """What freqtrade's REST /logs endpoint would return."""
    return "\n".join(str(line) for line in RPC._rpc_get_logs(None)["logs"])


def flush_all() -> None:
    for handler in logging.root.handlers:
        handler.flush()


def test_collect_secrets_takes_every_secret_and_leaves_the_rest() -> None:
    config = {
        "api_server": {
            "ws_token": ["ws-token-one-0123", "ws-token-two-0123", "short"],
            "password": "api-password-1234",
            "jwt_secret_key": "jwt-secret-key-0123456789",
            "username": "freqtrader",
        },
        "external_message_consumer": {
            "producers": [{"name": "producer-1", "ws_token": "producer-token-0123"}]
        },
        "fleet": {"producer_api": {"producer-1": {"username": "u", "password": "rest-pw-0123"}}},
        "exchange": {
            "name": "binance",
            "key": "exchange-key-0123",
            "secret": "exchange-secret-0123",
            "password": "exchange-pass-0123",
            "uid": "exchange-uid-0123",
            "privateKey": "exchange-private-key-0123",
            "ccxt_config": {"apiKey": "ccxt-api-key-0123"},
        },
        "telegram": {"token": "123456:telegram-token-abc", "chat_id": "123456789"},
        "webhook": {"url": "https://hooks.example.com/webhook-path-0123"},
        "discord": {"webhook_url": "https://discord.example.com/api/webhooks/0123"},
    }
    assert collect_secrets(config) == {
        "ws-token-one-0123",
        "ws-token-two-0123",
        "api-password-1234",
        "jwt-secret-key-0123456789",
        "producer-token-0123",
        "rest-pw-0123",
        "exchange-key-0123",
        "exchange-secret-0123",
        "exchange-pass-0123",
        "exchange-uid-0123",
        "exchange-private-key-0123",
        "ccxt-api-key-0123",
        "123456:telegram-token-abc",
    }
    assert collect_secrets({}) == set()


def test_uvicorn_line_exceptions_and_args_never_reach_logfile_console_or_rest_logs(
    logfile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install_log_guard(fleet_config())
    path = f"/api/v1/message/ws?token={TOKEN}"
    # uvicorn's own call (websockets_sansio_impl), on a logger freqtrade leaves to root.
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "127.0.0.1:50412", path
    )
    log = logging.getLogger("freqtrade.rpc.external_message_consumer")
    log.error(f"ws://127.0.0.1:8080{path} is an invalid WebSocket URL - bad")
    log.info("Connecting with %(token)s to %(name)s", {"token": CONSUMER_TOKEN, "name": "p-2"})
    try:
        raise ConnectionError(f"ws://127.0.0.1:8080{path} refused")
    except ConnectionError as exc:
        log.error("Unexpected error has occurred:", exc_info=True)
        log.exception(exc)  # what freqtrade's consumer does with unforeseen errors
    flush_all()

    text = logfile.read_text()
    console = capsys.readouterr().err
    logs = rest_logs()
    for output in (text, console, logs):
        assert TOKEN not in output
        assert CONSUMER_TOKEN not in output
    assert f'"WebSocket /api/v1/message/ws?token={REDACTED}" [accepted]' in text
    assert f"Connecting with {REDACTED} to p-2" in text
    assert "Traceback (most recent call last)" in text
    assert f"ConnectionError: ws://127.0.0.1:8080/api/v1/message/ws?token={REDACTED}" in text
    assert f"token={REDACTED}" in logs
    assert f"token={REDACTED}" in console
    assert "Traceback (most recent call last)" in logs


def test_loggers_and_handlers_added_later_and_not_propagating(clean_logging: None) -> None:
    install_log_guard(fleet_config())
    stream = io.StringIO()
    own = logging.getLogger("freqfleet.tests.log_guard.isolated")
    own.propagate = False
    own.setLevel(logging.DEBUG)
    own.addHandler(logging.StreamHandler(stream))
    own.debug("> GET /api/v1/message/ws?token=%s HTTP/1.1", TOKEN)
    assert stream.getvalue() == f"> GET /api/v1/message/ws?token={REDACTED} HTTP/1.1\n"


def test_records_bypassing_the_factory_meet_the_handler_filter(logfile: Path) -> None:
    install_log_guard(fleet_config())
    # makeLogRecord fills the record in after the factory ran: only the filter sees it.
    record = logging.makeLogRecord(
        {
            "name": "uvicorn.error",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": '%s - "WebSocket %s" 403',
            "args": ("127.0.0.1:1", f"/x?token={TOKEN}"),
        }
    )
    logging.getLogger("uvicorn.error").handle(record)
    flush_all()
    assert f"/x?token={REDACTED}" in logfile.read_text()
    assert TOKEN not in rest_logs()


def test_records_buffered_before_install_are_scrubbed(logfile: Path) -> None:
    logging.getLogger("uvicorn.error").info("early %s", TOKEN)
    assert TOKEN in rest_logs()
    install_log_guard(fleet_config())
    assert TOKEN not in rest_logs()
    assert f"early {REDACTED}" in rest_logs()


def test_reinstall_replaces_secrets_and_stacks_nothing(logfile: Path) -> None:
    original = logging.getLogRecordFactory()
    install_log_guard(fleet_config())
    install_log_guard(fleet_config(token="new-producer-token-after-reload"))
    for handler in logging.root.handlers:
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    assert redact(f"{TOKEN} new-producer-token-after-reload") == f"{TOKEN} {REDACTED}"

    # One factory layer around the factory found before the first install.
    assert logging.getLogRecordFactory()._freqfleet_previous is original  # type: ignore[attr-defined]


def test_freqtrade_reconfiguring_logging_keeps_the_guard(logfile: Path) -> None:
    install_log_guard(fleet_config())
    # /reload_config runs setup_logging again: dictConfig replaces root's handlers.
    setup_logging({"verbosity": 0, "logfile": str(logfile), "ft_tests_force_logging": True})
    assert not any(isinstance(f, RedactingFilter) for f in logging.root.handlers[0].filters)
    logging.getLogger("uvicorn.error").info("after reload %s", TOKEN)
    flush_all()
    assert f"after reload {REDACTED}" in logfile.read_text()


def test_short_values_are_kept_and_encoded_tokens_redacted(clean_logging: None) -> None:
    install_log_guard({"api_server": {"ws_token": "a+b/c=d e-token", "password": "pass"}})
    assert redact("password pass") == "password pass"
    assert redact("token=a%2Bb%2Fc%3Dd%20e-token") == f"token={REDACTED}"
    assert redact("token=a+b/c=d e-token") == f"token={REDACTED}"
    uninstall_log_guard()
    assert redact("a+b/c=d e-token") == "a+b/c=d e-token"


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("clean_logging")
def test_real_freqtrade_api_server_and_websockets_debug_lines(tmp_path: Path) -> None:
    path = tmp_path / "producer.log"
    # verbosity 1: root at DEBUG, so the websockets client's request lines are logged too.
    setup_logging(
        {
            "verbosity": 1,
            "logfile": str(path),
            "ft_tests_force_logging": True,
            "print_colorized": False,
        }
    )
    install_log_guard(fleet_config())
    with freqtrade_api_server(TOKEN) as port:
        with connect(f"ws://127.0.0.1:{port}/api/v1/message/ws?token={TOKEN}"):
            pass
        with pytest.raises(InvalidStatus, match="HTTP 403"):
            connect(f"ws://127.0.0.1:{port}/api/v1/message/ws?token={WRONG_TOKEN}")
    flush_all()
    text = path.read_text()
    assert TOKEN not in text
    assert TOKEN not in rest_logs()
    assert f'"WebSocket /api/v1/message/ws?token={REDACTED}" [accepted]' in text
    assert f"> GET /api/v1/message/ws?token={REDACTED} HTTP/1.1" in text  # websockets.client
    # A token this bot does not know cannot be redacted: it stays in clear.
    assert f'"WebSocket /api/v1/message/ws?token={WRONG_TOKEN}" 403' in text
