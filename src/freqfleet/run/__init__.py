"""freqfleet.run: a planned fleet's processes on this machine (``up``, ``down``,
``restart``), its health (``status``) and the demo.

What other code (tests, benchmarks) uses: the ``Supervisor`` of a plan's
``process_specs``, ``wait_until_ready``, a bot's ``local_api_url``, the fleet's
``collect_status``/``render_status`` (and what the dashboard reads besides:
``read_consumer_state``, ``read_state``, ``alive``, ``ProcessSpec``, ``RUN_DIR``) and the
demo (``DemoOptions``, ``run_demo``, its ``demo_config``: an ordinary config benchmarks
start from, and its
``MARKET_ORDER_TYPES``), and ``apply``'s steps on a running fleet (``roll_out``, with
``running_supervisor`` to tell whether one runs).
"""

from freqfleet.run.control import read_state, running_supervisor
from freqfleet.run.demo import MARKET_ORDER_TYPES, DemoOptions, demo_config, run_demo
from freqfleet.run.fleet_lock import RUN_DIR
from freqfleet.run.processes import ProcessSpec, alive, local_api_url, process_specs
from freqfleet.run.rollout import roll_out
from freqfleet.run.startup import wait_until_ready
from freqfleet.run.status import BotStatus, FleetStatus, collect_status, read_consumer_state
from freqfleet.run.status_table import render_status
from freqfleet.run.supervisor import Supervisor

__all__ = [
    "MARKET_ORDER_TYPES",
    "RUN_DIR",
    "BotStatus",
    "DemoOptions",
    "FleetStatus",
    "ProcessSpec",
    "Supervisor",
    "alive",
    "collect_status",
    "demo_config",
    "local_api_url",
    "process_specs",
    "read_consumer_state",
    "read_state",
    "render_status",
    "roll_out",
    "run_demo",
    "running_supervisor",
    "wait_until_ready",
]
