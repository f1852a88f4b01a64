"""Keep the fleet's secrets out of every log line, log file and the REST ``/logs`` buffer.

Why: a producer's uvicorn logs ``"WebSocket /api/v1/message/ws?token=<ws_token>"`` at
INFO on every consumer (re)connection. freqtrade starts uvicorn with ``log_config=None``,
so the ``uvicorn.error`` logger has no handler of its own and propagates to root: the
console, the ``--logfile`` RotatingFileHandler and ``freqtrade.loggers.bufferHandler``
(served by ``/api/v1/logs``) all get the token in clear. The consumer's websockets DEBUG
lines (``> GET /api/v1/message/ws?token=...``) and freqtrade's "is an invalid WebSocket
URL" error carry it too.

How, in two layers (both installed by :func:`install_log_guard`, both idempotent):

1. A wrapper around the LogRecord factory redacts each record as it is created. That
   covers every handler whenever it was added: freqtrade re-runs ``dictConfig`` on
   ``/reload_config`` (new root handlers), a user's ``log_config`` may give handlers to
   non-propagating loggers, ``uvicorn.access`` stops propagating when the API server
   starts. Filters on loggers would not do: a logger's filters never see the records its
   children propagate to it.
2. A filter on every handler that exists at install time, for records that bypass the
   factory (``logging.makeLogRecord`` + ``handle()``, a Logger subclass's ``makeRecord``).

Records already held by buffering handlers (the ``/logs`` buffer) are redacted on install.
A record is only rewritten when it holds a secret; then ``msg`` becomes the rendered,
redacted text and ``args`` None.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from logging.handlers import BufferingHandler
from typing import Any
from urllib.parse import quote, quote_plus

from freqfleet.credentials import (
    API_SERVER_SECRET_PATHS,
    EXCHANGE_SECRET_PATHS,
    SERVICE_SECRET_PATHS,
)

REDACTED = "***"
MIN_SECRET_LENGTH = 8
"""Shorter values are not redacted: they would blank out common words and numbers."""

_SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    *API_SERVER_SECRET_PATHS,
    *EXCHANGE_SECRET_PATHS,
    ("telegram", "token"),
    *SERVICE_SECRET_PATHS,
)

_pattern: re.Pattern[str] | None = None
_lock = threading.Lock()
_PROBE_MSG = object()
_MARK = "_freqfleet_log_guard"


def collect_secrets(config: dict[str, Any]) -> set[str]:
    """Every secret value in a freqtrade config (webhook URLs are left out on purpose)."""
    found: list[Any] = [_lookup(config, path) for path in _SECRET_PATHS]
    emc = config.get("external_message_consumer") or {}
    found += [p.get("ws_token") for p in emc.get("producers") or [] if isinstance(p, dict)]
    api = (config.get("fleet") or {}).get("producer_api") or {}
    found += [a.get("password") for a in api.values() if isinstance(a, dict)]
    return {s for s in _strings(found) if len(s) >= MIN_SECRET_LENGTH}


def install_log_guard(config: dict[str, Any]) -> None:
    """Redact ``config``'s secrets from all logging from now on; replaces earlier secrets."""
    global _pattern
    _pattern = _compile(collect_secrets(config))
    with _lock:
        if not _factory_guarded():
            logging.setLogRecordFactory(_guarded_factory(logging.getLogRecordFactory()))
        for handler in _all_handlers():
            if not any(getattr(f, _MARK, False) for f in handler.filters):
                handler.addFilter(RedactingFilter())
            if isinstance(handler, BufferingHandler) and _pattern is not None:
                for record in list(handler.buffer):
                    _redact_record(record, _pattern)


def uninstall_log_guard() -> None:
    """Stop redacting and take the filters off (tests, shutdown)."""
    global _pattern
    _pattern = None
    with _lock:
        factory = logging.getLogRecordFactory()
        previous = getattr(factory, "_freqfleet_previous", None)
        if previous is not None:
            logging.setLogRecordFactory(previous)
        for handler in _all_handlers():
            for f in [f for f in handler.filters if getattr(f, _MARK, False)]:
                handler.removeFilter(f)


def redact(text: str) -> str:
    """``text`` with every installed secret replaced by ``***``."""
    pattern = _pattern
    return pattern.sub(REDACTED, text) if pattern is not None and text else text


class RedactingFilter(logging.Filter):
    """Handler filter: the second layer, for records that bypass the record factory."""

    _freqfleet_log_guard = True

    def filter(self, record: logging.LogRecord) -> bool:
        pattern = _pattern
        if pattern is not None:
            _redact_record(record, pattern)
        return True


def _lookup(config: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = config
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _strings(values: Iterable[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, list | tuple):
            yield from (v for v in value if isinstance(v, str))


def _compile(secrets: set[str]) -> re.Pattern[str] | None:
    # A token in a query string may arrive percent-encoded: redact those spellings too.
    variants = {v for s in secrets for v in (s, quote(s, safe=""), quote_plus(s))}
    if not variants:
        return None
    ordered = sorted(variants, key=len, reverse=True)  # longest first: no partial redaction
    return re.compile("|".join(re.escape(v) for v in ordered))


class _GuardedFactory:
    """The record factory in place before ours, with redaction after it; it keeps the
    previous one so uninstalling puts it back."""

    def __init__(self, previous: Callable[..., logging.LogRecord]) -> None:
        self._freqfleet_previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self._freqfleet_previous(*args, **kwargs)
        if record.msg is _PROBE_MSG:
            setattr(record, _MARK, True)
            return record
        pattern = _pattern
        if pattern is not None:
            _redact_record(record, pattern)
        return record


def _guarded_factory(
    previous: Callable[..., logging.LogRecord],
) -> Callable[..., logging.LogRecord]:
    return _GuardedFactory(previous)


def _factory_guarded() -> bool:
    """Whether our wrapper is anywhere in the current factory chain (others may wrap it)."""
    probe = logging.getLogRecordFactory()(
        "freqfleet.log_guard", logging.DEBUG, __file__, 0, _PROBE_MSG, None, None
    )
    return bool(getattr(probe, _MARK, False))


def _all_handlers() -> list[logging.Handler]:
    loggers = [logging.root] + [
        lg
        for lg in list(logging.root.manager.loggerDict.values())
        if isinstance(lg, logging.Logger)
    ]
    handlers: dict[int, logging.Handler] = {}
    for lg in loggers:
        for handler in list(lg.handlers):
            handlers[id(handler)] = handler
    return list(handlers.values())


def _redact_record(record: logging.LogRecord, pattern: re.Pattern[str]) -> None:
    try:
        message = record.getMessage()
    except Exception:
        # A broken logging call: logging would print msg and args to stderr as they are.
        message = f"{record.msg} {record.args}"
    if pattern.search(message):
        record.msg, record.args = pattern.sub(REDACTED, message), None
    # Formatters cache the rendered text on the record; the /logs endpoint reads it.
    cached = record.__dict__.get("message")
    if isinstance(cached, str) and pattern.search(cached):
        record.message = pattern.sub(REDACTED, cached)
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if pattern.search(text):
            # exc_text is what logging's and freqtrade's formatters print; dropping
            # exc_info keeps handlers that render the exception themselves from leaking.
            record.exc_text, record.exc_info = pattern.sub(REDACTED, text), None
    elif record.exc_text and pattern.search(record.exc_text):
        record.exc_text = pattern.sub(REDACTED, record.exc_text)
    if record.stack_info and pattern.search(record.stack_info):
        record.stack_info = pattern.sub(REDACTED, record.stack_info)
