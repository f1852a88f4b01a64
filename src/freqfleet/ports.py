"""Listening ports for bots that this machine planned itself (the demo, local fleets).

Why not the kernel's ``bind(("127.0.0.1", 0))``: it hands out a port from the ephemeral
range, the same range the kernel later uses for outgoing connections. A bot that restarts
may then find its port taken as the source port of some websocket or HTTP connection and
fail to start. Ports below the ephemeral range are only ever taken by listeners.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
DEFAULT_EPHEMERAL_START = 32768  # Linux's default; other systems use 49152 and up
LOWEST_PORT = 10000  # below this live well-known services and their registered ports


def ephemeral_start() -> int:
    """The first port the kernel may pick for an outgoing connection."""
    try:
        low = int(EPHEMERAL_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return DEFAULT_EPHEMERAL_START
    return low if low > LOWEST_PORT + 1000 else DEFAULT_EPHEMERAL_START


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, rng: random.Random | None = None) -> list[int]:
    """``count`` distinct ports free now on 127.0.0.1, below the ephemeral range."""
    rng = rng or random.SystemRandom()
    candidates = range(LOWEST_PORT, ephemeral_start())
    chosen: list[int] = []
    for port in rng.sample(candidates, min(len(candidates), count * 50)):
        if port not in chosen and _bindable(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise OSError(f"no {count} free ports between {LOWEST_PORT} and {ephemeral_start()}")


__all__ = ["ephemeral_start", "free_ports"]
