"""Split pairs across producers by rendezvous (highest-random-weight) hashing.

Why this rule: every pair goes to its top ``n`` producers by a weight that depends only on
(producer name, pair), so every process, host and run computes the same split without
talking to the others. Adding a producer moves only the assignments it now wins (about
n/K of them, none between the others); removing one moves only its own (each to the
next producer in that pair's ranking); adding or removing a pair moves no other pair.
With ``n`` producers per pair, any ``n - 1`` of them may stop and the pair is still
analysed. Given each producer's host, a pair's producers are taken on distinct hosts
first (the ranking walked in order, a producer skipped while its host already serves the
pair), so one host going down leaves the pair served when the hosts allow it; there the
host rule outranks the few-moves rule (a new producer may also move a pair's later
producers to keep them on distinct hosts), while a pair's first producer is always the
plain ranking's first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence


def _weight(producer: str, pair: str) -> int:
    digest = hashlib.blake2b(f"{producer}\x00{pair}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _ranked(pair: str, producers: Sequence[str]) -> list[str]:
    return sorted(producers, key=lambda producer: (_weight(producer, pair), producer), reverse=True)


def owners(
    pair: str, producers: Sequence[str], n: int = 1, hosts: Mapping[str, str] | None = None
) -> list[str]:
    """The ``n`` producers that analyse ``pair``, best ranked first (the pair's order of
    preference: the consumer takes the first that delivers); with ``hosts`` (producer ->
    host), on as many distinct hosts as there are."""
    if not producers:
        raise ValueError("owners() needs at least one producer")
    if not 1 <= n <= len(producers):
        raise ValueError(f"n must be between 1 and {len(producers)} producers, got {n}")
    ranked = _ranked(pair, producers)
    if not hosts or n == 1:
        return ranked[:n]
    chosen: list[str] = []
    taken: set[str] = set()
    for producer in ranked:
        host = hosts.get(producer, producer)
        if host not in taken and len(chosen) < n:
            chosen.append(producer)
            taken.add(host)
    rest = [producer for producer in ranked if producer not in chosen]
    return chosen + rest[: n - len(chosen)]


def owner(pair: str, producers: Sequence[str]) -> str:
    """The producer that analyses ``pair`` (its first owner)."""
    if not producers:
        raise ValueError("owner() needs at least one producer")
    return max(producers, key=lambda producer: (_weight(producer, pair), producer))


def _check_unique(producers: Sequence[str]) -> None:
    if len(set(producers)) != len(producers):
        raise ValueError(f"producer names must be unique, got {list(producers)}")


def routes(
    pairs: Iterable[str],
    producers: Sequence[str],
    n: int = 1,
    hosts: Mapping[str, str] | None = None,
) -> dict[str, list[str]]:
    """Every pair (input order kept, duplicates dropped) -> its ``n`` producers, in order."""
    _check_unique(producers)
    return {pair: owners(pair, producers, n, hosts) for pair in dict.fromkeys(pairs)}


def partition(
    pairs: Iterable[str],
    producers: Sequence[str],
    n: int = 1,
    hosts: Mapping[str, str] | None = None,
) -> dict[str, list[str]]:
    """Map every producer to its share of ``pairs``: each pair it is among the top ``n``
    for (input order kept, duplicates dropped).

    Every producer appears in the result, possibly with an empty share.
    """
    _check_unique(producers)
    shares: dict[str, list[str]] = {producer: [] for producer in producers}
    for pair, names in routes(pairs, producers, n, hosts).items():
        for name in names:
            shares[name].append(pair)
    return shares


__all__ = ["owner", "owners", "partition", "routes"]
