"""Request signing checked as Binance checks it, on Binance's own documented example."""

from __future__ import annotations

import pytest

from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.signing import Credentials, authenticate, redact_query, sign

# Binance's SIGNED endpoint example (HMAC keys of its API documentation).
KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
QUERY = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1499827319559"
)
SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
NOW = 1499827319559 + 100
CREDENTIALS = Credentials(KEY, SECRET)


def code_of(key: str | None, query: str, body: str = "", now: int = NOW) -> int:
    with pytest.raises(BinanceError) as refused:
        authenticate(CREDENTIALS, key, query, body, now)
    return refused.value.code


def test_binances_example_signature_is_accepted_in_the_query_or_the_body() -> None:
    assert sign(SECRET, QUERY) == SIGNATURE
    params = authenticate(CREDENTIALS, KEY, f"{QUERY}&signature={SIGNATURE}", "", NOW)
    assert dict(params)["price"] == "0.1" and "signature" not in dict(params)
    assert authenticate(CREDENTIALS, KEY, "", f"{QUERY}&signature={SIGNATURE}", NOW) == params
    # Query and body together: signed as their concatenation, no "&" between them.
    query, body = QUERY[:49], QUERY[50:]
    mixed = sign(SECRET, query + body)
    assert mixed == "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
    assert authenticate(CREDENTIALS, KEY, query, f"{body}&signature={mixed}", NOW) == params


def test_keys_signatures_and_times_are_refused_with_binances_codes() -> None:
    signed = f"{QUERY}&signature={SIGNATURE}"
    assert code_of(None, signed) == -2014
    assert code_of("not-a-key", signed) == -2014
    assert code_of(KEY[::-1], signed) == -2015
    assert code_of(KEY, QUERY) == -1102  # no signature
    assert code_of(KEY, QUERY + "&signature=" + "0" * 64) == -1022
    assert code_of(KEY, QUERY.replace("0.1", "0.2") + f"&signature={SIGNATURE}") == -1022
    assert code_of(KEY, signed, now=NOW + 5_000) == -1021  # older than recvWindow
    assert code_of(KEY, signed, now=NOW - 1_200) == -1021  # ahead of the server
    twice = QUERY + "&side=SELL"
    assert code_of(KEY, f"{twice}&signature={sign(SECRET, twice)}") == -1101


def test_a_missing_timestamp_or_a_long_window_is_refused() -> None:
    no_time = "symbol=LTCBTC"
    assert code_of(KEY, f"{no_time}&signature={sign(SECRET, no_time)}") == -1102
    wide = f"symbol=LTCBTC&recvWindow=70000&timestamp={NOW}"
    assert code_of(KEY, f"{wide}&signature={sign(SECRET, wide)}") == -1131


def test_log_lines_never_show_a_signature() -> None:
    assert redact_query(f"a=1&signature={SIGNATURE}&b=2") == "a=1&signature=<redacted>&b=2"
