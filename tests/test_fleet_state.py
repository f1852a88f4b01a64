"""The consumer's report: one schema for writer and reader, its version checked, and
one line (never a traceback) for a file that is not it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from freqfleet.fleet_state import (
    STATE_FILE,
    FleetState,
    Freshness,
    ProducerState,
    Role,
    StateFileError,
    parse_fleet_state,
    read_state_file,
)


def test_the_consumers_own_report_is_read_back(tmp_path: Path) -> None:
    """Writer and reader share one schema: what a consumer writes reads back equal, and a
    report without ``version`` (written before the field) is version 1."""
    report = FleetState(
        role=Role.CONSUMER,
        updated=datetime.now(UTC),
        timeframe="5m",
        max_signal_age=1,
        producers={
            "p1": ProducerState(pairs=2, newest_candle=datetime(2026, 1, 2, tzinfo=UTC)),
            "p2": ProducerState(access="token_rejected", rejected={"malformed": 3}),
        },
        stale_pairs=["ETH/USDT"],
        follow={"follow": "exit", "events": 4},
        exit_prices={"reuse_secs": 5.0, "fetched": 2},
    )
    written = report.as_json()
    assert written["version"] == 1 and written["role"] == "consumer"
    assert written["producers"]["p1"] == {
        "pairs": 2,
        "newest_candle": "2026-01-02T00:00:00+00:00",
        "rejected": {},
    }
    assert written["exit_prices"] == {"reuse_secs": 5.0, "fetched": 2}
    assert parse_fleet_state(json.dumps(written)) == report
    del written["version"]
    assert parse_fleet_state(json.dumps(written)) == report
    with pytest.raises(StateFileError, match=r"^role: Input should be 'producer' or 'consumer'"):
        parse_fleet_state(json.dumps({**written, "role": "boss"}))


def test_enums_are_the_files_words() -> None:
    assert [role.value for role in Role] == ["producer", "consumer"]
    assert [state.value for state in Freshness] == ["fresh", "stale", "missing"]
    assert json.dumps(FleetState(role=Role.PRODUCER).as_json()["role"]) == '"producer"'


def test_reading_a_file(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    assert read_state_file(path).state is None and read_state_file(path).problem is None
    path.write_text(json.dumps({"role": "consumer", "stale_pairs": ["ETH/USDT"]}))
    read = read_state_file(path)
    assert read.problem is None and read.mtime is not None
    assert read.state is not None and read.state.stale_pairs == ["ETH/USDT"]
    path.write_bytes(b"\xff\xfe")
    read = read_state_file(path)
    assert read.state is None and read.mtime is not None
    assert read.problem is not None and read.problem.startswith(f"{STATE_FILE}: not JSON (")
    path.unlink()
    path.mkdir()
    read = read_state_file(path)
    assert read.state is None and read.problem == f"{STATE_FILE}: cannot be read (Is a directory)"
