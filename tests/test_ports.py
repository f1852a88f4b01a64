"""Planned ports: free, distinct and outside the range outgoing connections draw from."""

from __future__ import annotations

import random
import socket

from freqfleet.ports import LOWEST_PORT, ephemeral_start, free_ports


def test_ports_are_free_distinct_and_below_the_ephemeral_range() -> None:
    ports = free_ports(8)
    assert len(set(ports)) == 8
    assert all(LOWEST_PORT <= port < ephemeral_start() for port in ports)
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_skipped() -> None:
    first = free_ports(1, random.Random(5))[0]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", first))
        busy.listen()
        again = free_ports(1, random.Random(5))
    assert again[0] != first
