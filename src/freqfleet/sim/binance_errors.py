"""Binance's error answers: HTTP 400 with ``{"code": ..., "msg": ...}``.

Why exact codes and texts: ccxt maps Binance's codes to its exception classes
(``-1121`` -> ``BadSymbol``, ``-1100``/``-1102``/``-1104``/``-1120``/``-1130`` ->
``BadRequest``, ``-1003`` -> ``RateLimitExceeded``), and freqtrade reacts to those
classes; a simulator that answered differently would test something else.
"""

from __future__ import annotations


class BinanceError(Exception):
    """An error answer: ``status`` HTTP code, Binance ``code`` and ``msg``."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


def invalid_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def invalid_interval() -> BinanceError:
    return BinanceError(-1120, "Invalid interval.")


def mandatory(name: str) -> BinanceError:
    return BinanceError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def illegal_characters(name: str, pattern: str = "^-?[0-9]{1,20}$") -> BinanceError:
    return BinanceError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{pattern}'."
    )


def invalid_data(name: str) -> BinanceError:
    return BinanceError(-1130, f"Invalid data sent for parameter '{name}'.")


def unread_parameters(read: int, sent: int) -> BinanceError:
    return BinanceError(
        -1104,
        f"Not all sent parameters were read; read '{read}' parameter(s) but was sent '{sent}'.",
    )


def both_symbol_and_symbols() -> BinanceError:
    return BinanceError(-1128, "Combination of optional parameters invalid.")


def start_after_end() -> BinanceError:
    return BinanceError(-1023, "Start time is greater than end time.")


def too_many_requests(used: int, limit: int) -> BinanceError:
    return BinanceError(
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per "
        f"1 MINUTE (used {used}). Please use WebSocket Streams for live updates to avoid polling the API.",
        status=429,
    )


__all__ = [
    "BinanceError",
    "both_symbol_and_symbols",
    "illegal_characters",
    "invalid_data",
    "invalid_interval",
    "invalid_symbol",
    "mandatory",
    "start_after_end",
    "too_many_requests",
    "unread_parameters",
]
