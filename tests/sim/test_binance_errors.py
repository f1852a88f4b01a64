"""The simulator's error answers carry Binance's codes, which ccxt turns into the exception
classes freqtrade reacts to."""

from __future__ import annotations

import ccxt
import pytest

from freqfleet.sim import binance_errors as errors

CASES = [
    (errors.invalid_symbol(), -1121, 400, ccxt.BadSymbol),
    (errors.invalid_interval(), -1120, 400, ccxt.BadRequest),
    (errors.mandatory("symbol"), -1102, 400, ccxt.BadRequest),
    (errors.illegal_characters("limit"), -1100, 400, ccxt.BadRequest),
    (errors.invalid_data("limit"), -1130, 400, ccxt.BadRequest),
    (errors.unread_parameters(1, 2), -1104, 400, ccxt.BadRequest),
    (errors.both_symbol_and_symbols(), -1128, 400, ccxt.BadRequest),
    (errors.too_many_requests(6100, 6000), -1003, 429, ccxt.RateLimitExceeded),
]


@pytest.mark.parametrize(("error", "code", "status", "raised"), CASES)
def test_codes_map_to_the_ccxt_exceptions_freqtrade_handles(
    error: errors.BinanceError, code: int, status: int, raised: type
) -> None:
    assert (error.code, error.status) == (code, status)
    assert ccxt.binance().exceptions["exact"][str(code)] is raised


def test_messages_name_the_parameter_as_binance_does() -> None:
    assert errors.mandatory("symbol").msg == (
        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
    )
    assert (
        "parameter 'limit'; legal range is '^-?[0-9]{1,20}$'"
        in errors.illegal_characters("limit").msg
    )
    assert "read '1' parameter(s) but was sent '2'" in errors.unread_parameters(1, 2).msg
    assert errors.start_after_end().code == -1023
    assert str(errors.invalid_symbol()) == "Invalid symbol."
