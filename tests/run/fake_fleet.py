"""A planned fleet whose bots are fake (``fake_bot.py``) under a real supervisor process.

Why: lock, request, start- and stop-order behaviour is about processes, yet must be tested
in seconds; the fake bots answer on the manifest's ports with its credentials, so the CLI
(`up`, `down`, `restart`, `status`) sees an ordinary fleet.

    python fake_fleet.py PLAN_DIR EVENTS   # supervises like `freqfleet up PLAN_DIR`
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from freqfleet.fleet.manifest import BotEntry, FleetManifest
from freqfleet.ports import free_ports
from freqfleet.run.control import read_state
from freqfleet.run.processes import ProcessSpec, local_api_url
from freqfleet.run.supervised import Backoff
from freqfleet.run.supervisor import Supervisor

FAKE_BOT = Path(__file__).with_name("fake_bot.py")
FAST = Backoff(first=0.2, cap=0.4, stable_after=30.0, quick_crashes=3)
OPTIONS = "fake-fleet.json"  # per-bot fake_bot.py options, beside the manifest


def write_fake_plan(
    plan_dir: Path, producers: int = 2, options: dict[str, list[str]] | None = None
) -> FleetManifest:
    """A manifest of ``producers`` producers and a consumer on free ports."""
    plan_dir.mkdir(parents=True, exist_ok=True)
    ports = free_ports(producers + 1)
    names = [f"producer-{index + 1}" for index in range(producers)]
    bots = [
        BotEntry(
            name=name,
            role="producer",
            config_files=[f"{name}.json"],
            api_port=port,
            username="fleet",
            password=f"secret-password-{name}",
            pairs=["BTC/USDT"],
        )
        for name, port in zip(names, ports, strict=False)
    ]
    bots.append(
        BotEntry(
            name="consumer",
            role="consumer",
            config_files=["consumer.json"],
            api_port=ports[-1],
            username="fleet",
            password="secret-password-consumer",
        )
    )
    manifest = FleetManifest(strategy="FleetSampleStrategy", timeframe="1m", bots=bots)
    manifest.save(plan_dir)
    (plan_dir / OPTIONS).write_text(json.dumps(options or {}), encoding="utf-8")
    return manifest


def fake_specs(plan_dir: Path, manifest: FleetManifest, events: Path) -> list[ProcessSpec]:
    """Specs as `process_specs` makes them, with fake bots in place of freqtrade."""
    options = json.loads((plan_dir / OPTIONS).read_text(encoding="utf-8"))
    specs = []
    for bot in [*manifest.producers, manifest.consumer]:
        api = local_api_url(bot)
        argv = [sys.executable, str(FAKE_BOT), bot.name, str(bot.api_port)]
        argv += [bot.username, bot.password, str(events), *options.get(bot.name, [])]
        specs.append(
            ProcessSpec(
                name=bot.name,
                argv=argv,
                cwd=plan_dir,
                console_log=plan_dir / "run" / f"{bot.name}.console.log",
                ping_url=f"{api}/api/v1/ping",
                role=bot.role,
                whitelist_url=f"{api}/api/v1/whitelist" if bot.role == "producer" else None,
                auth=(bot.username, bot.password),
            )
        )
    return specs


def start_fake_supervisor(plan_dir: Path, events: Path) -> subprocess.Popen:
    """A supervisor process over the fake bots; returns once its fleet is up."""
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    process = subprocess.Popen(
        [sys.executable, __file__, str(plan_dir), str(events)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(plan_dir / "fake-supervisor.err", "ab"),  # noqa: SIM115
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = read_state(plan_dir) or {}
        if (state.get("supervisor") or {}).get("pid") == process.pid and state["phase"] == "up":
            return process
        assert process.poll() is None, (plan_dir / "fake-supervisor.err").read_text()
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the fake fleet did not come up within 30 s")


def spec(tmp_path: Path, name: str, code: str) -> ProcessSpec:
    """A process running ``code`` in Python, its console log under ``run/``."""
    return ProcessSpec(
        name=name,
        argv=[sys.executable, "-c", code],
        cwd=tmp_path,
        console_log=tmp_path / "run" / f"{name}.console.log",
    )


def run_for(supervisor: Supervisor, seconds: float) -> None:
    """Supervise for ``seconds``."""
    supervisor.run(until=time.monotonic() + seconds)


def first(events: list[dict], bot: str, event: str) -> float:
    """When ``bot`` first recorded ``event`` (see fake_bot.py)."""
    return next(e["at"] for e in events if e["bot"] == bot and e["event"] == event)


def main() -> None:
    plan_dir, events = Path(sys.argv[1]), Path(sys.argv[2])
    manifest = FleetManifest.load(plan_dir)
    supervisor = Supervisor(
        plan_dir,
        fake_specs(plan_dir, manifest, events),
        backoff=FAST,
        producer_wait=10,
        specs_for=lambda folder, changed: fake_specs(folder, changed, events),
    )
    supervisor.install_signal_handlers()
    try:
        supervisor.start()
        supervisor.run()
    finally:
        supervisor.stop()


if __name__ == "__main__":
    main()
