"""Split pairs across producers by rendezvous (highest-random-weight) hashing.

Why this rule: every pair goes to exactly one producer; adding a producer moves about 1/K
of the pairs (only those the new producer wins); adding or removing a pair moves no other
pair. The weight depends only on (producer name, pair), so every process, host and run
computes the same split without talking to the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence


def _weight(producer: str, pair: str) -> int:
    digest = hashlib.blake2b(f"{producer}\x00{pair}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(pair: str, producers: Sequence[str]) -> str:
    """The producer that analyses ``pair``."""
    if not producers:
        raise ValueError("owner() needs at least one producer")
    return max(producers, key=lambda producer: (_weight(producer, pair), producer))


def partition(pairs: Iterable[str], producers: Sequence[str]) -> dict[str, list[str]]:
    """Map every producer to its share of ``pairs`` (input order kept, duplicates dropped).

    Every producer appears in the result, possibly with an empty share.
    """
    if len(set(producers)) != len(producers):
        raise ValueError(f"producer names must be unique, got {list(producers)}")
    shares: dict[str, list[str]] = {producer: [] for producer in producers}
    for pair in dict.fromkeys(pairs):
        shares[owner(pair, producers)].append(pair)
    return shares


__all__ = ["owner", "partition"]
