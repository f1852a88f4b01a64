"""Rendezvous partition: disjoint, complete, and stable when producers or pairs change."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freqfleet.fleet.partition import owner, partition

pair_names = st.from_regex(r"[A-Z]{2,6}/(USDT|BTC)", fullmatch=True)
pair_lists = st.lists(pair_names, min_size=0, max_size=60, unique=True)
producer_lists = st.lists(
    st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), min_size=1, max_size=8, unique=True
)


@given(pairs=pair_lists, producers=producer_lists)
def test_every_pair_has_exactly_one_producer(pairs: list[str], producers: list[str]) -> None:
    shares = partition(pairs, producers)
    assert set(shares) == set(producers)
    flat = [pair for share in shares.values() for pair in share]
    assert sorted(flat) == sorted(pairs)  # complete and disjoint (no pair twice)
    for name, share in shares.items():
        assert all(owner(pair, producers) == name for pair in share)


@given(pairs=pair_lists, producers=producer_lists)
def test_order_of_producers_does_not_matter(pairs: list[str], producers: list[str]) -> None:
    shares = partition(pairs, producers)
    reversed_shares = partition(pairs, list(reversed(producers)))
    assert {name: sorted(share) for name, share in shares.items()} == {
        name: sorted(share) for name, share in reversed_shares.items()
    }


@given(
    pairs=pair_lists, producers=producer_lists, new=st.from_regex(r"new-[a-z]{1,4}", fullmatch=True)
)
def test_adding_a_producer_only_moves_pairs_to_it(
    pairs: list[str], producers: list[str], new: str
) -> None:
    before = partition(pairs, producers)
    after = partition(pairs, [*producers, new])
    for name in producers:
        assert set(after[name]) <= set(before[name])  # nothing moves between old producers


@settings(max_examples=20, deadline=None)
@given(producer_count=st.integers(min_value=2, max_value=8))
def test_adding_a_producer_moves_about_one_kth(producer_count: int) -> None:
    pairs = [f"P{i:04d}/USDT" for i in range(4000)]
    producers = [f"producer-{i}" for i in range(1, producer_count + 1)]
    after = partition(pairs, [*producers, "producer-new"])
    moved = len(after["producer-new"])
    expected = len(pairs) / (producer_count + 1)
    # Binomial spread: 6 standard deviations is far outside any honest hash's variation.
    spread = 6 * (len(pairs) * (1 / (producer_count + 1)) * (1 - 1 / (producer_count + 1))) ** 0.5
    assert abs(moved - expected) <= spread


@given(pairs=pair_lists, producers=producer_lists, extra=pair_names)
def test_adding_or_removing_a_pair_moves_no_other_pair(
    pairs: list[str], producers: list[str], extra: str
) -> None:
    base = [pair for pair in pairs if pair != extra]
    without = partition(base, producers)
    with_extra = partition([*base, extra], producers)
    owners_without = {pair: name for name, share in without.items() for pair in share}
    owners_with = {pair: name for name, share in with_extra.items() for pair in share}
    assert {pair: owners_with[pair] for pair in base} == owners_without


def test_duplicate_producers_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        partition(["BTC/USDT"], ["a", "a"])
