"""Rendezvous partition: disjoint, complete, and stable when producers or pairs change."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freqfleet.fleet.partition import owner, owners, partition, routes

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


@st.composite
def producers_and_n(draw: st.DrawFn) -> tuple[list[str], int]:
    producers = draw(producer_lists)
    return producers, draw(st.integers(min_value=1, max_value=len(producers)))


@given(pairs=pair_lists, setup=producers_and_n())
def test_every_pair_has_exactly_n_producers(pairs: list[str], setup: tuple[list[str], int]) -> None:
    producers, n = setup
    shares = partition(pairs, producers, n)
    table = routes(pairs, producers, n)
    for pair in pairs:
        holders = [name for name, share in shares.items() if pair in share]
        assert len(holders) == n
        assert sorted(holders) == sorted(table[pair])
    assert table == {pair: owners(pair, producers, n) for pair in pairs}


@given(pairs=pair_lists, producers=producer_lists)
def test_redundancy_one_is_the_single_owner_split(pairs: list[str], producers: list[str]) -> None:
    assert partition(pairs, producers, 1) == partition(pairs, producers)
    assert all(owners(pair, producers, 1) == [owner(pair, producers)] for pair in pairs)


@given(pairs=pair_lists, setup=producers_and_n())
def test_a_pairs_order_is_a_prefix_of_its_longer_order(
    pairs: list[str], setup: tuple[list[str], int]
) -> None:
    producers, n = setup
    for pair in pairs:
        assert owners(pair, producers, n) == owners(pair, producers, len(producers))[:n]
        assert owners(pair, producers, n) == owners(pair, list(reversed(producers)), n)


@given(
    pairs=pair_lists,
    setup=producers_and_n(),
    new=st.from_regex(r"new-[a-z]{1,4}", fullmatch=True),
)
def test_adding_a_producer_only_moves_assignments_to_it(
    pairs: list[str], setup: tuple[list[str], int], new: str
) -> None:
    producers, n = setup
    before = routes(pairs, producers, n)
    after = routes(pairs, [*producers, new], n)
    for pair in pairs:
        lost = set(before[pair]) - set(after[pair])
        gained = set(after[pair]) - set(before[pair])
        # Either nothing changes, or the new producer takes exactly one place.
        assert (lost, gained) == (set(), set()) or (gained == {new} and len(lost) == 1)


@given(pairs=pair_lists, setup=producers_and_n(), data=st.data())
def test_removing_a_producer_only_moves_its_own_assignments(
    pairs: list[str], setup: tuple[list[str], int], data: st.DataObject
) -> None:
    producers, n = setup
    if len(producers) == n:
        return  # n producers must remain
    gone = data.draw(st.sampled_from(producers))
    rest = [name for name in producers if name != gone]
    before = routes(pairs, producers, n)
    after = routes(pairs, rest, n)
    for pair in pairs:
        if gone not in before[pair]:
            assert after[pair] == before[pair]
        else:
            kept = [name for name in before[pair] if name != gone]
            assert after[pair][: len(kept)] == kept  # the others keep their places


@settings(max_examples=10, deadline=None)
@given(producer_count=st.integers(min_value=3, max_value=8), n=st.integers(2, 3))
def test_adding_a_producer_moves_about_n_over_k(producer_count: int, n: int) -> None:
    pairs = [f"P{i:04d}/USDT" for i in range(4000)]
    producers = [f"producer-{i}" for i in range(1, producer_count + 1)]
    moved = len(partition(pairs, [*producers, "producer-new"], n)["producer-new"])
    p = n / (producer_count + 1)
    spread = 6 * (len(pairs) * p * (1 - p)) ** 0.5
    assert abs(moved - len(pairs) * p) <= spread


def test_n_outside_the_producers_is_rejected() -> None:
    with pytest.raises(ValueError, match="between 1 and 2"):
        owners("BTC/USDT", ["a", "b"], 3)
    with pytest.raises(ValueError, match="between 1 and 2"):
        partition(["BTC/USDT"], ["a", "b"], 0)


@given(pairs=pair_lists, setup=producers_and_n(), host_count=st.integers(1, 4))
def test_a_pairs_producers_take_distinct_hosts_first(
    pairs: list[str], setup: tuple[list[str], int], host_count: int
) -> None:
    producers, n = setup
    hosts = {name: f"host-{index % host_count}" for index, name in enumerate(producers)}
    for pair in pairs:
        chosen = owners(pair, producers, n, hosts)
        assert len(set(chosen)) == n
        distinct = len({hosts[name] for name in chosen})
        assert distinct == min(n, len(set(hosts.values())))
        # The first producer is the plain ranking's first: n = 1 ignores hosts.
        assert chosen[0] == owner(pair, producers)
    one_host = dict.fromkeys(producers, "same")
    assert routes(pairs, producers, n, one_host) == routes(pairs, producers, n)
