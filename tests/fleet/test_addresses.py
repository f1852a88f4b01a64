"""Where a client reaches a server listening on an address, and which addresses are this
machine's."""

from __future__ import annotations

import ipaddress
import socket

import psutil
import pytest

from freqfleet.fleet.addresses import (
    connect_address,
    interface_addresses,
    is_loopback,
    is_wildcard,
    url_of,
)


@pytest.mark.parametrize("listen", ["0.0.0.0", "::", ""])
def test_a_wildcard_listener_is_reached_on_loopback(listen: str) -> None:
    assert is_wildcard(listen)
    assert connect_address(listen) == "127.0.0.1"


@pytest.mark.parametrize("listen", ["127.0.0.1", "10.0.0.5", "::1", "producer-1"])
def test_any_other_address_is_reached_as_is(listen: str) -> None:
    assert not is_wildcard(listen)
    assert connect_address(listen) == listen
    assert interface_addresses(listen) == [listen]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("10.0.0.5", False),
        ("0.0.0.0", False),
        ("producer-1", False),
        ("", False),
    ],
)
def test_loopback_is_localhost_127_8_and_ipv6_one(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_every_interface_means_this_machines_addresses_of_the_family() -> None:
    ipv4 = interface_addresses("0.0.0.0")
    assert "127.0.0.1" in ipv4
    assert all(ipaddress.ip_address(address).version == 4 for address in ipv4)
    assert len(ipv4) == len(set(ipv4))
    own = {
        address.address
        for addresses in psutil.net_if_addrs().values()
        for address in addresses
        if address.family == socket.AF_INET
        and not ipaddress.ip_address(address.address).is_link_local
    }
    assert set(ipv4) == own
    both = interface_addresses("::")
    assert set(ipv4) <= set(both)
    assert not any(ipaddress.ip_address(address).is_link_local for address in both)


def test_urls_bracket_ipv6_addresses() -> None:
    assert url_of("127.0.0.1", 8081) == "http://127.0.0.1:8081"
    assert url_of("::1", 8081) == "http://[::1]:8081"
    assert url_of("producer-1", 8081) == "http://producer-1:8081"
