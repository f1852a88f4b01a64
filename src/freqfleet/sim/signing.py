"""Binance's request signing (HMAC-SHA256, ``SIGNED`` endpoints), checked as Binance does.

A signed request carries the API key in the ``X-MBX-APIKEY`` header and its parameters in
the query string (GET, DELETE: what ccxt does) or the urlencoded body (POST), or both; the
``signature`` is the hex HMAC-SHA256, keyed with the secret, of the query string
concatenated with the body (no ``&`` between them) without the signature itself. The
``timestamp`` (ms) must lie within ``recvWindow`` (default 5,000 ms, at most 60,000) before
the server's time and at most 1,000 ms after it.

Errors are Binance's, so that ccxt raises what it raises on Binance: ``-2014`` (no key or a
malformed one), ``-2015`` (unknown key: ``AuthenticationError``), ``-1022`` (bad
signature: ``AuthenticationError``), ``-1021`` (timestamp outside the window:
``InvalidNonce``), ``-1102``/``-1100`` (missing or malformed ``timestamp``, ``signature``).

Nothing here logs: the key, the secret and signatures never reach a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from freqfleet.sim import binance_errors as errors
from freqfleet.sim.account_file import KEY_PATTERN
from freqfleet.sim.binance_errors import BinanceError

API_KEY_HEADER = "X-MBX-APIKEY"
DEFAULT_RECV_WINDOW = 5_000
MAX_RECV_WINDOW = 60_000
AHEAD_MS = 1_000
_INTEGER = re.compile(r"^[0-9]{1,20}\Z")
_SIGNATURE = re.compile(r"^[0-9a-fA-F]{64}\Z")


@dataclass(frozen=True)
class Credentials:
    """The account's API key and secret (never shown in ``repr``)."""

    key: str = field(repr=False)
    secret: str = field(repr=False)


def sign(secret: str, payload: str) -> str:
    """The signature Binance expects for ``payload`` (query string + body)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _without_signature(raw: str) -> tuple[str, list[str]]:
    """``raw`` (a query string or body) without its ``signature`` parameters, and those."""
    kept: list[str] = []
    signatures: list[str] = []
    for part in raw.split("&") if raw else []:
        if part.startswith("signature="):
            signatures.append(part[len("signature=") :])
        else:
            kept.append(part)
    return "&".join(kept), signatures


def redact_query(raw: str) -> str:
    """``raw`` (a query string or body) with its ``signature`` hidden, for log lines."""
    return "&".join(
        "signature=<redacted>" if part.startswith("signature=") else part for part in raw.split("&")
    )


def authenticate(
    credentials: Credentials, api_key: str | None, query: str, body: str, now_ms: int
) -> list[tuple[str, str]]:
    """The request's parameters (query then body, signature left out) once the request is
    shown to come from the account's key, signed and in time; BinanceError otherwise."""
    if api_key is None or not KEY_PATTERN.match(api_key):
        raise BinanceError(-2014, "API-key format invalid.", status=401)
    if not hmac.compare_digest(api_key.encode(), credentials.key.encode()):
        raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)
    signed_query, query_signatures = _without_signature(query)
    signed_body, body_signatures = _without_signature(body)
    params = parse_qsl(signed_query, keep_blank_values=True) + parse_qsl(
        signed_body, keep_blank_values=True
    )
    signatures = query_signatures + body_signatures
    if len(signatures) != 1 or not signatures[0]:
        raise errors.mandatory("signature")
    if not _SIGNATURE.match(signatures[0]):
        raise BinanceError(-1022, "Signature for this request is not valid.")
    expected = sign(credentials.secret, signed_query + signed_body)
    if not hmac.compare_digest(expected, signatures[0].lower()):
        raise BinanceError(-1022, "Signature for this request is not valid.")
    values = dict(params)
    if len(values) != len(params):
        raise BinanceError(-1101, "Duplicate values for a parameter detected.")
    _check_time(values, now_ms)
    return params


def _check_time(values: dict[str, str], now_ms: int) -> None:
    timestamp = values.get("timestamp")
    if not timestamp:
        raise errors.mandatory("timestamp")
    if not _INTEGER.match(timestamp):
        raise errors.illegal_characters("timestamp")
    window = values.get("recvWindow")
    if window is not None and not _INTEGER.match(window):
        raise errors.illegal_characters("recvWindow")
    recv_window = DEFAULT_RECV_WINDOW if window is None else int(window)
    if recv_window > MAX_RECV_WINDOW:
        raise BinanceError(-1131, f"recvWindow must be less than {MAX_RECV_WINDOW}.")
    sent = int(timestamp)
    if sent - now_ms > AHEAD_MS:
        raise BinanceError(
            -1021, f"Timestamp for this request was {AHEAD_MS}ms ahead of the server's time."
        )
    if now_ms - sent > recv_window:
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")


__all__ = ["API_KEY_HEADER", "Credentials", "authenticate", "redact_query", "sign"]
