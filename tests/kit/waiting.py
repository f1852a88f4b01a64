"""Waiting for servers and processes a test started (no fixed sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx


def wait_until(check: Callable[[], object], timeout: float = 30, interval: float = 0.2) -> bool:
    """Whether ``check()`` turned true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False


def reachable(url: str) -> bool:
    """Whether ``url`` answers 200 right now."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


__all__ = ["reachable", "wait_until"]
