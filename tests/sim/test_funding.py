"""Funding instants every 8 hours (or a shorter interval), deterministic rates within Binance's usual range, the
mark price on the candles."""

from __future__ import annotations

from decimal import Decimal

from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.funding import (
    FUNDING_INTERVAL_MS,
    funding_rate,
    funding_times,
    mark_price_ticks,
    next_funding_time,
    parse_funding_interval,
)

DAY = 86_400_000


def test_funding_happens_at_0_8_and_16_utc_in_a_half_open_range() -> None:
    midnight = 20_000 * DAY
    assert funding_times(midnight, midnight + DAY) == [
        midnight + 8 * 3_600_000,
        midnight + 16 * 3_600_000,
        midnight + DAY,
    ]
    assert funding_times(midnight - 1, midnight) == [midnight]
    assert funding_times(midnight, midnight + FUNDING_INTERVAL_MS - 1) == []
    assert next_funding_time(midnight) == midnight + FUNDING_INTERVAL_MS
    assert next_funding_time(midnight - 1) == midnight


def test_a_shorter_interval_keeps_its_instants_on_the_days_grid() -> None:
    assert parse_funding_interval("8h") == FUNDING_INTERVAL_MS
    assert parse_funding_interval("2m") == 120_000
    assert parse_funding_interval("4h") == 4 * 3_600_000
    # Not dividing a day (the instants would drift from 00:00 UTC), or not a duration.
    assert [parse_funding_interval(t) for t in ("7m", "5h", "0m", "2x", "1d")] == [None] * 5
    midnight = 20_000 * DAY
    two = parse_funding_interval("2m")
    assert two is not None
    assert funding_times(midnight - 1, midnight + 5 * 60_000, two) == [
        midnight,
        midnight + 120_000,
        midnight + 240_000,
    ]
    assert next_funding_time(midnight + 1, two) == midnight + 120_000


def test_rates_are_deterministic_per_seed_typical_and_bounded() -> None:
    times = funding_times(0, 400 * DAY)
    rates = [funding_rate(3, 1, t) for t in times]
    assert rates == [funding_rate(3, 1, t) for t in times]
    assert rates != [funding_rate(4, 1, t) for t in times]
    assert rates != [funding_rate(3, 2, t) for t in times]
    assert all(abs(r) <= Decimal("0.00075") for r in rates)
    assert all(r == r.quantize(Decimal("1e-8")) for r in rates)
    typical = sum(r == Decimal("0.0001") for r in rates) / len(rates)
    assert 0.4 < typical < 0.6
    assert any(r < 0 for r in rates) and any(r > Decimal("0.0002") for r in rates)


def test_the_mark_price_is_the_close_of_the_candle_in_progress(exchange: SimExchange) -> None:
    now = exchange.clock()
    ticks = mark_price_ticks(exchange, 0, now)
    assert ticks == exchange.store.live(0, exchange.model.base_ms, now).close
    assert exchange.price_ticker(0, now)["price"] == exchange.markets[0].price_text(ticks)


def test_rates_are_keyed_by_the_synthetic_model_seed(exchange: SimExchange) -> None:
    from freqfleet.sim.funding import model_seed

    assert model_seed(exchange) == 7  # the fixture's SyntheticModel(seed=7)
