"""The status table's lines, from the facts the status collects."""

from __future__ import annotations

from freqfleet.run.status_table import gateway_line


def test_status_shows_queued_requests_and_the_exchanges_refusals_briefly() -> None:
    upstream = {"weight_last_minute": 1100, "budget_per_minute": 1080, "limit_per_minute": 1200}
    busy = {
        "state": "running",
        "hit_rate": 0.5,
        "upstream": {
            **upstream,
            "queued": 40,
            "queued_seconds": 312.4,
            "dropped": 3,
            "answered_429": 2,
            "answered_418": 0,
        },
    }
    line = gateway_line(busy)
    assert "40 queued for budget (312 s waited, 3 dropped)" in line
    assert "exchange answered 2 x 429" in line and "418" not in line
