"""freqtrade's ``FREQTRADE__...`` environment variables, for exports that hand a bot part
of its config that way (Kubernetes secrets, the compose pairlist feed's gateway URLs)."""

from __future__ import annotations

from typing import Any

from freqfleet.credentials import CCXT_SECTIONS

ENV_PREFIX = "FREQTRADE__"


def env_name(path: tuple[str, ...]) -> str:
    """The ``FREQTRADE__...`` variable freqtrade reads into ``path`` of its config.

    freqtrade lowercases every part but keeps the case of the last one inside an
    exchange's ccxt section (``FREQTRADE__EXCHANGE__CCXT_CONFIG__apiKey``).
    """
    parts = [part.upper() for part in path]
    if path[0] == "exchange" and any(part in CCXT_SECTIONS for part in path):
        parts[-1] = path[-1]
    return ENV_PREFIX + "__".join(parts)


def env_variables(config: dict[str, Any]) -> dict[str, str]:
    """Every leaf of ``config`` as the variable freqtrade merges into that place."""

    def flat(node: dict[str, Any], path: tuple[str, ...]) -> dict[str, str]:
        variables: dict[str, str] = {}
        for key, value in node.items():
            if isinstance(value, dict):
                variables.update(flat(value, (*path, key)))
            else:
                variables[env_name((*path, key))] = str(value)
        return variables

    return flat(config, ())


__all__ = ["ENV_PREFIX", "env_name", "env_variables"]
