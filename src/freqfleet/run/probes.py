"""Asking a running bot over HTTP whether it is ready (the supervisor's probes).

Why apart from the supervisor: these are the only network calls of supervision, each
bounded by a short timeout and answering "not yet" on any failure (a bot that is still
starting refuses connections or answers errors), so the supervisor's loop stays about
processes.
"""

from __future__ import annotations

import httpx


def answers(url: str, timeout: float) -> bool:
    """Whether ``url`` (a REST API's ping) answers 200 now."""
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def whitelist_size(url: str, auth: tuple[str, str] | None, timeout: float) -> int | None:
    """How many pairs a bot's ``/whitelist`` lists now; None when it does not answer one."""
    try:
        answer = httpx.get(url, auth=auth, timeout=timeout)
        whitelist = answer.json().get("whitelist") if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return len(whitelist) if isinstance(whitelist, list) else None


__all__ = ["answers", "whitelist_size"]
