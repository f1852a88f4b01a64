"""Exact amounts: units of 1e-8 written with Binance's 8 decimals, read back without loss,
and a price x quantity in quote units as exact decimal arithmetic gives it."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freqfleet.sim.units import ASSET_DECIMALS, UNIT, parse_units, quote_units, scale, units_text

AMOUNTS = st.integers(min_value=-(10**20), max_value=10**20)


def test_an_amount_is_written_with_eight_decimals_and_its_sign() -> None:
    assert UNIT == 10**ASSET_DECIMALS == 100_000_000
    assert units_text(0) == "0.00000000"
    assert units_text(1) == "0.00000001"
    assert units_text(-1) == "-0.00000001"
    assert units_text(1234 * UNIT + 5) == "1234.00000005"
    assert units_text(-12 * UNIT - UNIT // 2) == "-12.50000000"


@given(AMOUNTS)
def test_every_amount_reads_back_as_written(units: int) -> None:
    text = units_text(units)
    assert parse_units(text) == units
    assert Decimal(text) == Decimal(units).scaleb(-ASSET_DECIMALS)


def test_decimal_texts_ints_and_decimals_are_read_exactly() -> None:
    assert parse_units("12.34") == 1_234_000_000
    assert parse_units("-0.5") == -UNIT // 2
    assert parse_units("0.00000001") == 1
    assert parse_units("7") == parse_units(7) == parse_units(Decimal(7)) == 7 * UNIT
    assert parse_units(Decimal("1E+3")) == 1000 * UNIT
    # Trailing zeros beyond the 8th decimal change nothing: the amount is still exact.
    assert parse_units("0.1000000000") == UNIT // 10


@pytest.mark.parametrize(
    "value",
    [
        "0.000000001",  # a 9th decimal: not an amount Binance can hold
        Decimal("1E-9"),
        "1e-3",  # exponents are not Binance's way of writing amounts
        "1.",
        ".5",
        " 1",
        "",
        "abc",
        "NaN",
        "Infinity",
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        "1" * 21,  # more digits than Binance's decimal pattern allows
        True,  # a JSON boolean is not a number, although Python's bool is an int
        1.5,  # floats are refused: they are not exact
        None,
        [1],
    ],
)
def test_what_is_not_an_exact_amount_is_refused(value: object) -> None:
    assert parse_units(value) is None


def test_steps_and_ticks_scale_to_units() -> None:
    assert scale(1, 8) == 1
    assert scale(1, 0) == UNIT
    assert scale(12_345, 5) == parse_units("0.12345")
    assert scale(-3, 1) == parse_units("-0.3")


def test_a_notional_on_a_market_whose_decimals_add_up_to_eight_or_fewer() -> None:
    # BTC/USDT: ticks of 0.1, steps of 0.00001; 50000.0 x 0.001 = 50 USDT.
    assert quote_units(500_000, 100, 1, 5) == 50 * UNIT
    assert quote_units(1, 1, 1, 5) == parse_units("0.000001")


@given(
    ticks=st.integers(min_value=0, max_value=10**12),
    steps=st.integers(min_value=0, max_value=10**12),
    price_decimals=st.integers(min_value=0, max_value=8),
    amount_decimals=st.integers(min_value=0, max_value=8),
)
def test_a_notional_is_the_exact_product_truncated_to_a_unit(
    ticks: int, steps: int, price_decimals: int, amount_decimals: int
) -> None:
    price = Decimal(ticks).scaleb(-price_decimals)
    qty = Decimal(steps).scaleb(-amount_decimals)
    exact = (price * qty).scaleb(ASSET_DECIMALS)
    expected = int(exact.to_integral_value(rounding=ROUND_FLOOR))
    assert quote_units(ticks, steps, price_decimals, amount_decimals) == expected
    if price_decimals + amount_decimals <= ASSET_DECIMALS:
        assert expected == exact  # nothing truncated


def test_beyond_eight_decimals_a_notional_is_truncated_never_rounded_up() -> None:
    # 1.99e-8 quote: one unit, not two.
    assert quote_units(199, 1, 5, 5) == 1
    assert quote_units(99, 1, 5, 5) == 0
