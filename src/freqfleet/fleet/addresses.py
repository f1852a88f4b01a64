"""Network addresses of the fleet's servers: the one rule for wildcard listen addresses.

Why one module: the planner, the supervisor and the warnings all ask "where does a client
reach a server that listens on X" and "is X this machine"; one answer keeps them agreeing.
"""

from __future__ import annotations

import ipaddress

WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")


def is_wildcard(address: str) -> bool:
    """True for an address that means "every interface" when a server listens on it."""
    return address in WILDCARD_ADDRESSES


def connect_address(listen: str) -> str:
    """Where a client on the same machine reaches a server listening on ``listen``.

    The one rule for wildcard addresses: a server on 0.0.0.0 or :: (every interface) is
    reached at 127.0.0.1 (on Linux a :: socket accepts IPv4 too); any other address as is.
    """
    return "127.0.0.1" if is_wildcard(listen) else listen


def is_loopback(host: str) -> bool:
    """True for this machine's own loopback (``localhost``, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def interface_addresses(listen: str) -> list[str]:
    """This machine's addresses a server listening on ``listen`` answers on.

    For a wildcard address, every interface's address of its family (0.0.0.0: IPv4,
    "::": IPv6 and IPv4); otherwise ``listen`` itself.
    """
    if not is_wildcard(listen):
        return [listen]
    import socket

    families = {socket.AF_INET} if listen == "0.0.0.0" else {socket.AF_INET, socket.AF_INET6}
    found: list[str] = []
    try:
        import psutil

        for addresses in psutil.net_if_addrs().values():
            for address in addresses:
                text = address.address.split("%")[0]
                if address.family in families and text not in found and not _link_local(text):
                    found.append(text)
    except Exception:  # no psutil or no permission: at least the host name's addresses
        try:
            infos = socket.getaddrinfo(socket.gethostname(), None)
        except OSError:
            infos = []
        for family, *_, sockaddr in infos:
            if family in families and str(sockaddr[0]) not in found:
                found.append(str(sockaddr[0]))
    return found


def _link_local(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_link_local
    except ValueError:
        return False


def url_of(address: str, port: int) -> str:
    """``http://address:port`` (an IPv6 address in brackets)."""
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}"


__all__ = [
    "WILDCARD_ADDRESSES",
    "connect_address",
    "interface_addresses",
    "is_loopback",
    "is_wildcard",
    "url_of",
]
