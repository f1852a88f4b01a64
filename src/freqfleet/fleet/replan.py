"""Plan a running fleet again, in memory: the same bots keep their ports and secrets.

Why not a plain re-plan: ports follow from the producers' count (producers count up from
``base_port``, the consumer comes next), so adding a producer would move the consumer to
another port and hand the consumer's old port to the new producer while both still run.
A bot the fleet in the plan directory already has keeps the port it listens on (unless
the config names a port for it); a new producer takes the first port no bot of the plan
uses. Secrets are kept by :func:`~freqfleet.fleet.plan.render_plan` already.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from freqfleet.errors import ConfigError
from freqfleet.fleet.manifest import FleetManifest
from freqfleet.fleet.model import FleetSpec, ProducerSpec


def keep_ports(spec: FleetSpec, old: FleetManifest) -> FleetSpec:
    """``spec`` with the ports of the bots ``old`` has pinned, new producers on free ports."""
    old_ports = {bot.name: bot.api_port for bot in old.bots}
    consumer_port = spec.consumer_port or old_ports.get(old.consumer.name)
    producers: list[ProducerSpec] = []
    used = {port for port in [consumer_port] if port is not None}
    pending: list[int] = []
    for index, producer in enumerate(spec.producer_specs):
        port = producer.port
        if port is None and producer.name in old_ports and producer.name != old.consumer.name:
            port = old_ports[producer.name]
        if port is None:
            pending.append(index)
        else:
            used.add(port)
        producers.append(producer.model_copy(update={"port": port}))
    for index in pending:
        port = spec.base_port + index
        while port in used:
            port += 1
        used.add(port)
        producers[index] = producers[index].model_copy(update={"port": port})
    return spec.model_copy(update={"producers": producers, "consumer_port": consumer_port})


@dataclass(frozen=True)
class Replan:
    """The fleet in the plan directory and the fleet the changed config asks for."""

    plan_dir: Path
    old: FleetManifest
    new: FleetManifest
    files: dict[Path, tuple[str | bytes, int]]
    spec: FleetSpec
    """The fleet section with the kept ports: what writing this plan must use."""

    def old_config(self, file: str) -> dict[str, Any]:
        path = self.plan_dir / file
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            raise ConfigError(
                f"{path}: missing or unreadable; run `freqfleet plan` for {self.plan_dir} again"
            ) from None

    def new_config(self, file: str) -> dict[str, Any]:
        content = self.files[self.plan_dir / file][0]
        return dict(json.loads(content))

    def strategy_files_changed(self) -> list[str]:
        """Strategy files (plan-relative) the new plan writes differently, adds or drops."""
        folder = self.plan_dir / self.new.userdir / "strategies"
        changed = []
        for path, (content, _mode) in self.files.items():
            if folder not in path.parents:
                continue
            data = content.encode() if isinstance(content, str) else content
            if not path.is_file() or path.read_bytes() != data:
                changed.append(str(path.relative_to(self.plan_dir)))
        dropped = set(self.old.strategy_hashes) - set(self.new.strategy_hashes)
        return sorted([*changed, *dropped])


def replan(
    plan_dir: Path,
    config: dict[str, Any],
    spec: FleetSpec,
    *,
    config_dir: Path | None = None,
    userdir: Path | None = None,
) -> Replan:
    """Render the plan ``config`` asks for over ``plan_dir``'s fleet (nothing is written)."""
    from freqfleet.fleet.plan import render_plan

    plan_dir = Path(plan_dir)
    old = FleetManifest.load(plan_dir)
    kept = keep_ports(spec, old)
    files, new = render_plan(config, kept, plan_dir, config_dir=config_dir, userdir=userdir)
    return Replan(plan_dir, old, new, dict(files), kept)


__all__ = ["Replan", "keep_ports", "replan"]
