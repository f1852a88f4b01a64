"""The order journal: durable before the request leaves, readable after a crash."""

from __future__ import annotations

import re
from pathlib import Path

from freqfleet.strategy.order_journal import (
    COMPACT_AFTER_LINES,
    KEEP_SETTLED,
    JournalEntry,
    OrderJournal,
    OrderState,
    new_client_id,
)

LINES = KEEP_SETTLED + 150
"""A journal compacting after this many lines: it must keep KEEP_SETTLED settled ones."""


def entry(pair: str = "BTC/USDT", **changes: object) -> JournalEntry:
    fields: dict = {
        "client_id": new_client_id(),
        "pair": pair,
        "side": "buy",
        "order_type": "limit",
        "amount": 0.5,
        "rate": 100.0,
        "kind": "entry",
        "stake_amount": 50.0,
        "tag": "signal",
    }
    fields.update(changes)
    return JournalEntry(**fields)


def test_client_ids_fit_binance_and_differ() -> None:
    ids = {new_client_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[.A-Z:/a-z0-9_-]{1,36}", i) for i in ids)


def test_an_entry_is_on_disk_when_written_and_its_last_state_wins(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = OrderJournal(path)
    sent = journal.write(entry())
    other = journal.write(entry("ETH/USDT"))
    # A new reader (a restarted bot) sees both as sent: their answers never came.
    assert {e.client_id for e in OrderJournal(path).unsettled()} == {
        sent.client_id,
        other.client_id,
    }
    journal.settle(sent.client_id, OrderState.PLACED, order_id="42")
    reread = OrderJournal(path)
    assert [e.client_id for e in reread.unsettled()] == [other.client_id]
    assert [e.pair for e in reread.unsettled("ETH/USDT")] == ["ETH/USDT"]
    assert reread.unsettled("BTC/USDT") == []
    placed = next(e for e in reread.entries() if e.client_id == sent.client_id)
    assert placed.state is OrderState.PLACED and placed.order_id == "42"
    assert placed.stake_amount == 50.0 and placed.tag == "signal"


def test_a_line_cut_by_a_crash_is_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = OrderJournal(path)
    kept = journal.write(entry())
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"client_id": "ff12", "pair": "ET')  # killed mid-write
    reread = OrderJournal(path)
    assert [e.client_id for e in reread.unsettled()] == [kept.client_id]


def test_compaction_keeps_the_unsettled_and_the_newest_settled(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = OrderJournal(path)
    pending = journal.write(entry(time=0.0))
    for number in range(250):
        done = journal.write(entry(time=float(number + 1)))
        journal.settle(done.client_id, OrderState.NOT_PLACED)
    journal.compact()
    reread = OrderJournal(path)
    assert [e.client_id for e in reread.unsettled()] == [pending.client_id]
    assert len(reread.entries()) == 201
    assert len(path.read_text().splitlines()) == 201
    assert not (tmp_path / "journal.jsonl.tmp").exists()


def test_a_long_running_journal_compacts_itself(tmp_path: Path) -> None:
    assert KEEP_SETTLED < COMPACT_AFTER_LINES  # what a consumer's journal runs with
    path = tmp_path / "journal.jsonl"
    journal = OrderJournal(path, compact_after=LINES)
    pending = journal.write(entry(time=0.0))
    for number in range(LINES):
        done = journal.write(entry(time=float(number + 1)))
        journal.settle(done.client_id, OrderState.PLACED, order_id=str(number))
        lines = len(path.read_text().splitlines())
        assert lines <= LINES + 1
    assert lines < LINES  # it did compact on the way
    assert len(journal.entries()) <= LINES
    assert [e.client_id for e in journal.unsettled()] == [pending.client_id]
    reread = OrderJournal(path)
    assert {e.client_id: e for e in reread.entries()} == {e.client_id: e for e in journal.entries()}
    newest = max(journal.entries(), key=lambda e: e.time)
    assert newest.order_id == str(LINES - 1)  # nothing recent is lost
