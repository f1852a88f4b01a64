"""Reading a running demo fleet from its plan: a bot's REST API, the simulator it trades on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from freqfleet.fleet.manifest import FleetManifest
from freqfleet.run.supervisor import local_api_url


def bot_get(manifest: FleetManifest, name: str, path: str) -> Any:
    bot = next(bot for bot in manifest.bots if bot.name == name)
    answer = httpx.get(
        f"{local_api_url(bot)}/api/v1/{path}", auth=(bot.username, bot.password), timeout=10
    )
    answer.raise_for_status()
    return answer.json()


def simulator_url(plan_dir: Path) -> str:
    """The simulator the plan's consumer trades on (its public REST URL's origin)."""
    consumer = json.loads((plan_dir / "consumer.json").read_text())
    public = urlsplit(consumer["exchange"]["ccxt_config"]["urls"]["api"]["public"])
    return f"{public.scheme}://{public.netloc}"


__all__ = ["bot_get", "simulator_url"]
