"""The consumer takes a new whitelist and producer list without a restart.

Why freqtrade's ``POST /api/v1/reload_config``: the worker then cleans up the bot and
builds a new one from the re-read config files in the same process (``Worker._reconfigure``):
the open trades stay in its database and are picked up by the new bot, the external
message consumer connects to the producers the new config names, and the process (its
pid, the supervisor's record of it) stays. Why wait for orders in flight first: the
cleanup between the two bots is no place for an order the exchange is still filling
(with ``cancel_open_orders_on_exit`` it would even cancel it), so ``apply`` reloads only a
consumer with no open order, and waits (at most :data:`ORDER_WAIT`) until it has none.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from freqfleet.botapi import BotApi, BotApiError
from freqfleet.errors import RuntimeFleetError
from freqfleet.fleet import BotEntry, FleetManifest
from freqfleet.fleet_state import STATE_FILE, read_state_file
from freqfleet.run.processes import local_api_url

ORDER_WAIT = 300.0
"""Seconds ``apply`` waits for the consumer's orders in flight to fill or be cancelled
(freqtrade's ``unfilledtimeout`` cancels them in the meantime)."""
RELOAD_WAIT = 120.0
"""Seconds the rebuilt bot may take to answer with the new whitelist and producers."""


def planned_whitelist(plan_dir: Path, consumer: BotEntry) -> list[str] | None:
    """The consumer's whitelist in its planned config; None when it is not a static list."""
    try:
        config = json.loads((Path(plan_dir) / consumer.config_files[0]).read_text("utf-8"))
    except (OSError, ValueError, IndexError):
        return None
    methods = [entry.get("method") for entry in config.get("pairlists") or []]
    pairs = (config.get("exchange") or {}).get("pair_whitelist")
    if methods[:1] != ["StaticPairList"] or not isinstance(pairs, list):
        return None
    return [str(pair) for pair in pairs]


def orders_in_flight(api: BotApi) -> int:
    """Open trades of the consumer with an order still open (entries, exits, adjustments)."""
    return sum(1 for trade in api.open_trades() if trade.get("has_open_orders"))


def _wait_for_no_orders(api: BotApi, wait: float, report: Callable[[str], None]) -> None:
    started, said = time.monotonic(), False
    while True:
        pending = orders_in_flight(api)
        if not pending:
            return
        waited = time.monotonic() - started
        if waited >= wait:
            raise RuntimeFleetError(
                f"consumer: {pending} trade(s) still have an order in flight after "
                f"{waited:.0f} s; its new config is written but not applied: run apply "
                "again, or restart the consumer when its orders are done"
            )
        if not said:
            report(
                f"consumer: waiting for {pending} order(s) in flight to fill or be "
                f"cancelled before reload_config (at most {wait:.0f} s)"
            )
            said = True
        time.sleep(1.0)


def planned_strategy_files(manifest: FleetManifest) -> dict[str, str]:
    """The plan's strategy files by their path in the strategies folder (as the consumer
    reports them) -> sha256."""
    folder = f"{manifest.userdir}/strategies/"
    return {
        path.removeprefix(folder): digest
        for path, digest in manifest.strategy_hashes.items()
        if path.startswith(folder)
    }


def runs_files(reported: Mapping[str, str], planned: Mapping[str, str] | None) -> bool:
    """Whether every strategy file the bot reports running is the plan's (None: not
    checked; a consumer that reports none predates the report)."""
    if planned is None:
        return True
    return all(planned.get(name, digest) == digest for name, digest in reported.items())


def reloaded(
    api: BotApi,
    state_path: Path,
    pairs: Sequence[str] | None,
    producers: Sequence[str],
    since: float,
    strategy_files: Mapping[str, str] | None = None,
) -> bool:
    """Whether the bot answers with the new whitelist (None: a dynamic list, not checked)
    and its fleet report, written since ``since`` (epoch seconds), names exactly the new
    producers and, given ``strategy_files``, runs those files."""
    try:
        whitelist = api.whitelist()
        if pairs is not None and set(whitelist) != set(pairs):
            return False
    except BotApiError:
        return False  # between the two bots the API is down
    read = read_state_file(state_path)
    if read.state is None or read.mtime is None or read.mtime < since:
        return False
    if not runs_files(read.state.strategy_files, strategy_files):
        return False
    return set(read.state.producers) == set(producers)


def reload_consumer(
    plan_dir: Path,
    consumer: BotEntry,
    producers: Sequence[str],
    *,
    pairs: Sequence[str] | None = None,
    strategy_files: Mapping[str, str] | None = None,
    order_wait: float = ORDER_WAIT,
    reload_wait: float = RELOAD_WAIT,
    report: Callable[[str], None] = print,
) -> float:
    """Reload the running consumer's config in its process once no order is in flight;
    the seconds from the request until it runs with the new pairs, producers and strategy
    files (``pairs``: its new whitelist; None for a dynamic pairlist's, not checked;
    ``strategy_files``: :func:`planned_strategy_files`, None: not checked)."""
    state_path = Path(plan_dir) / "user_data" / STATE_FILE
    url = local_api_url(consumer)
    with BotApi(url, consumer.username, consumer.password) as api:
        try:
            _wait_for_no_orders(api, order_wait, report)
            since = time.time()
            api.reload_config()
        except BotApiError as error:
            raise RuntimeFleetError(f"consumer: reload_config failed ({error})") from None
        started = time.monotonic()
        while time.monotonic() - started < reload_wait:
            if reloaded(api, state_path, pairs, producers, since, strategy_files):
                return time.monotonic() - started
            time.sleep(0.5)
    raise RuntimeFleetError(
        f"consumer did not run with its new config{' and strategy files' if strategy_files else ''}"
        f" within {reload_wait:.0f} s of reload_config; see its log (user_data/logs/consumer.log)"
    )


__all__ = [
    "ORDER_WAIT",
    "RELOAD_WAIT",
    "orders_in_flight",
    "planned_strategy_files",
    "planned_whitelist",
    "reload_consumer",
    "reloaded",
    "runs_files",
]
