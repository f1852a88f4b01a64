"""Free TCP ports on 127.0.0.1 for servers a test starts (from below the ephemeral range,
as for planned bots: see freqfleet.ports)."""

from __future__ import annotations

from freqfleet.ports import free_ports


def free_port() -> int:
    return free_ports(1)[0]


__all__ = ["free_port", "free_ports"]
