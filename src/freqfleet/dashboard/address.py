"""Where the dashboard listens, and how ``freqfleet up`` runs it beside the bots.

Why the consumer's listen address: the fleet's ``listen`` setting is what the user chose
for the bots' APIs (the plan writes it as the consumer's ``api_server.listen_ip_address``);
the dashboard shows no more than the consumer's API does, behind the same login, so it
listens where that API does: 127.0.0.1 unless the fleet says otherwise.
Why the port after the consumer's: a fleet's ports are planned as one run of numbers
(producers, then the consumer); the next free one keeps the dashboard beside them.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from freqfleet.fleet import FleetManifest, connect_address
from freqfleet.run import RUN_DIR, ProcessSpec

DEFAULT_LISTEN = "127.0.0.1"
PROCESS_NAME = "dashboard"


def listen_address(plan_dir: Path, manifest: FleetManifest) -> str:
    """The consumer's ``api_server.listen_ip_address`` (its last config file that sets it)."""
    listen = DEFAULT_LISTEN
    for name in manifest.consumer.config_files:
        try:
            config = json.loads((Path(plan_dir) / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        api = config.get("api_server") if isinstance(config, dict) else None
        if isinstance(api, dict) and isinstance(api.get("listen_ip_address"), str):
            listen = api["listen_ip_address"]
    return listen


def _bindable(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def default_port(manifest: FleetManifest, host: str = DEFAULT_LISTEN) -> int:
    """The first port after the consumer's that no planned process uses and is free now."""
    taken = {bot.api_port for bot in manifest.bots}
    if manifest.gateway is not None:
        taken.add(manifest.gateway.port)
    port = manifest.consumer.api_port + 1
    while port in taken or not _bindable(host, port):
        port += 1
    return port


def dashboard_url(host: str, port: int) -> str:
    return f"http://{connect_address(host)}:{port}/"


def dashboard_spec(plan_dir: Path, manifest: FleetManifest, port: int) -> ProcessSpec:
    """The dashboard as one more process of the fleet (started and stopped with it)."""
    plan_dir = Path(plan_dir).resolve()
    host = listen_address(plan_dir, manifest)
    return ProcessSpec(
        name=PROCESS_NAME,
        argv=[sys.executable, "-m", "freqfleet", PROCESS_NAME, str(plan_dir), "--port", str(port)],
        cwd=plan_dir,
        console_log=plan_dir / RUN_DIR / f"{PROCESS_NAME}.console.log",
        ping_url=f"{dashboard_url(host, port)}healthz",
        role=PROCESS_NAME,
    )


__all__ = [
    "DEFAULT_LISTEN",
    "PROCESS_NAME",
    "dashboard_spec",
    "dashboard_url",
    "default_port",
    "listen_address",
]
