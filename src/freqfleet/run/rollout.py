"""``freqfleet apply`` on a running fleet: the changed plan written, then its producer
steps carried out through the supervisor, in the order :mod:`freqfleet.fleet.apply` gives.

Why through the supervisor: it owns the processes (restarts them when they crash, stops
them on ``down``); ``apply`` asks it (:func:`~freqfleet.run.control.send_request`) to add a
producer, restart one or remove one, and after a start or a restart waits until that
producer serves its pairs again (its ``/api/v1/whitelist`` holds them) before the next
step, so a pair whose other producer is untouched keeps its analysis. Last, a consumer
whose change freqtrade's ``reload_config`` takes reloads it in its own process
(:mod:`~freqfleet.run.consumer_reload`); one that must restart is left to the user (its
open orders and the moment are theirs to choose), and ``apply`` says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from freqfleet.botapi import BotApi, BotApiError
from freqfleet.errors import RuntimeFleetError
from freqfleet.fleet import BotEntry, FleetDiff, FleetManifest, Step
from freqfleet.run.consumer_reload import (
    planned_strategy_files,
    planned_whitelist,
    reload_consumer,
)
from freqfleet.run.control import running_supervisor, send_request
from freqfleet.run.processes import local_api_url

SERVE_WAIT = 120.0
"""Seconds a started or restarted producer may take to serve its pairs (a producer
measured 11.6-12.5 s from start to its first analysis; downloads make it longer)."""
ACTIONS = {"start": "add", "restart": "restart", "stop": "remove"}


def serves(bot: BotEntry, timeout: float = 2.0) -> bool:
    """Whether ``bot`` answers with pairs in its whitelist (filters after a StaticPairList
    may keep fewer than its share; a producer planned with none answers with none)."""
    try:
        with BotApi(local_api_url(bot), bot.username, bot.password, timeout=timeout) as api:
            whitelist = api.whitelist()
    except BotApiError:
        return False
    return bool(whitelist) or not bot.pairs


def wait_until_serving(bot: BotEntry, wait: float = SERVE_WAIT) -> float:
    """Seconds until ``bot`` served; RuntimeFleetError when it does not within ``wait``."""
    started = time.monotonic()
    while time.monotonic() - started < wait:
        if serves(bot):
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeFleetError(
        f"{bot.name} did not serve its pairs within {wait:.0f} s; see its log "
        f"(user_data/logs/{bot.name}.log); the steps after it were not carried out"
    )


def roll_out(
    plan_dir: Path,
    diff: FleetDiff,
    *,
    wait: float = SERVE_WAIT,
    report: Callable[[str], None] = print,
) -> list[Step]:
    """Carry out ``diff``'s steps on the running fleet of ``plan_dir`` (its new plan
    already written); the steps done. A consumer restart is left out."""
    plan_dir = Path(plan_dir).resolve()
    if running_supervisor(plan_dir) is None:
        raise RuntimeFleetError(
            f"{plan_dir}: no fleet runs here (apply acts through `freqfleet up`'s "
            f"supervisor); the new plan is written: `freqfleet up {plan_dir}` starts it"
        )
    manifest = FleetManifest.load(plan_dir)
    bots = {bot.name: bot for bot in manifest.bots}
    done: list[Step] = []
    for step in diff.steps:
        if step.bot == manifest.consumer.name:
            if step.action == "reload_config":
                producers = [bot.name for bot in manifest.producers]
                consumer = manifest.consumer
                pairs = planned_whitelist(plan_dir, consumer)
                files = planned_strategy_files(manifest) if diff.strategy_files else None
                took = reload_consumer(
                    plan_dir, consumer, producers, pairs=pairs, strategy_files=files, report=report
                )
                what = "config and strategy files" if files else "config"
                report(f"reload_config consumer: runs its new {what} after {took:.1f} s")
                done.append(step)
            continue
        send_request(plan_dir, ACTIONS[step.action], [step.bot])
        if step.action in ("start", "restart"):
            took = wait_until_serving(bots[step.bot], wait)
            report(f"{step.action} {step.bot}: serves again after {took:.1f} s")
        else:
            report(f"{step.action} {step.bot}: done")
        done.append(step)
    return done


__all__ = ["SERVE_WAIT", "roll_out", "serves", "wait_until_serving"]
