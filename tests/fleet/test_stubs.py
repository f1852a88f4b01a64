"""Strategy stubs: freqtrade's own resolver loads the class every bot of the plan names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from freqtrade.configuration import Configuration
from freqtrade.resolvers import StrategyResolver

from freqfleet.errors import ConfigError
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.strategy import FleetStrategy, samples
from tests.kit.user_config import user_config, write_user_fleet


def load_strategy(plan_dir: Path, config_file: str, monkeypatch: pytest.MonkeyPatch):
    """What `freqtrade trade --userdir user_data -c <file>` loads, run in the plan dir."""
    monkeypatch.chdir(plan_dir)
    config = Configuration.from_files([config_file])
    config["user_data_dir"] = plan_dir / "user_data"
    return StrategyResolver.load_strategy(config)


def test_wrapped_user_strategy_loads_with_the_mixin_first(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    config = user_config(fleet={"producers": 2})
    write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    strategy = load_strategy(out, "producer-1.json", monkeypatch)
    cls = type(strategy)
    assert cls.__name__ == "MyStrategyFleet"
    assert cls.__mro__[1] is FleetStrategy
    assert [base.__name__ for base in cls.__mro__[1:3]] == ["FleetStrategy", "MyStrategy"]
    assert strategy.startup_candle_count == 30  # the user's own attributes come through
    assert strategy.stoploss == -0.1


def test_sample_stub_loads_the_packaged_sample(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    config = user_config(fleet={"producers": 2}, strategy="FleetSampleStrategy")
    manifest = write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    assert manifest.strategy == "FleetSampleStrategy"
    assert sorted(p.name for p in (out / "user_data" / "strategies").iterdir()) == [
        "FleetSampleStrategy.py"
    ]
    strategy = load_strategy(out, "consumer.json", monkeypatch)
    assert isinstance(strategy, samples.FleetSampleStrategy)
    assert type(strategy) is not samples.FleetSampleStrategy  # the stub's subclass
    consumer = (out / "consumer.json").read_text()
    assert '"initial_candle_limit": 41' in consumer  # sample's 30 startup candles + 1 + 10


BOT_LOAD = """
import json, sys
from pathlib import Path
from freqtrade.configuration import Configuration
from freqtrade.resolvers import StrategyResolver

config = Configuration.from_files([sys.argv[1]])
config["user_data_dir"] = Path("user_data").resolve()
strategy = StrategyResolver.load_strategy(config)
print(json.dumps([cls.__name__ for cls in type(strategy).__mro__]))
"""


def load_in_a_new_process(plan_dir: Path, config_file: str) -> list[str]:
    """The strategy's class hierarchy as a freshly started bot in the plan dir loads it
    (a new process: nothing the planning imported is cached)."""
    done = subprocess.run(
        [sys.executable, "-c", BOT_LOAD, config_file],
        cwd=plan_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["MyStrategy", "my_strategy"])
def test_users_own_fleet_class_brings_the_modules_it_imports(
    user_dir: Path, tmp_path: Path, module: str
) -> None:
    strategies = write_user_fleet(user_dir, module)
    # The wrapped strategy imports a helper package of its own folder.
    source = strategies / f"{module}.py"
    source.write_text(
        "from helpers.indicators import window\n"
        + source.read_text().replace("rolling(5)", "rolling(window())"),
        encoding="utf-8",
    )
    (strategies / "helpers").mkdir()
    (strategies / "helpers" / "__init__.py").write_text("")
    (strategies / "helpers" / "indicators.py").write_text("def window():\n    return 5\n")
    (strategies / "helpers" / "__pycache__").mkdir()
    (strategies / "helpers" / "__pycache__" / "indicators.cpython-311.pyc").write_bytes(b"x")
    (strategies / "notes.txt").write_text("not code")
    out = tmp_path / "plan"
    config = user_config(fleet={"producers": 2}, strategy="MyFleet")
    manifest = write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    assert manifest.strategy == "MyFleet"
    copied = sorted(
        str(path.relative_to(out / "user_data" / "strategies"))
        for path in (out / "user_data" / "strategies").rglob("*")
        if path.is_file()
    )
    assert copied == sorted(
        ["helpers/__init__.py", "helpers/indicators.py", f"{module}.py", "my_fleet.py"]
    )
    for config_file in ("producer-1.json", "consumer.json"):
        mro = load_in_a_new_process(out, config_file)
        assert mro[:3] == ["MyFleet", "FleetStrategy", "MyStrategy"]


def test_a_strategy_that_loads_only_in_the_users_folder_is_refused(
    user_dir: Path, tmp_path: Path
) -> None:
    """It reads a file beside it that the plan does not copy: caught before anything is
    written, in one line naming the file and the error."""
    strategies = user_dir / "user_data" / "strategies"
    (strategies / "levels.csv").write_text("5\n")
    source = strategies / "my_strategy.py"
    source.write_text(
        "from pathlib import Path\n"
        'LEVEL = int(Path(__file__).with_name("levels.csv").read_text())\n' + source.read_text(),
        encoding="utf-8",
    )
    out = tmp_path / "plan"
    config = user_config()
    with pytest.raises(ConfigError) as raised:
        write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"strategy: {source} fails to load in the plan's copy")
    assert "(FileNotFoundError: " in message
    assert "the plan copies the .py files and packages of" in message
    assert not out.exists()


def test_a_symlinked_strategy_file_is_copied_under_its_name_in_the_folder(
    user_dir: Path, tmp_path: Path
) -> None:
    """E.g. user_data/strategies/my_strategy.py -> a checkout of a strategies repository."""
    strategies = user_dir / "user_data" / "strategies"
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (strategies / "my_strategy.py").rename(checkout / "strategy_v2.py")
    (strategies / "my_strategy.py").symlink_to(checkout / "strategy_v2.py")
    out = tmp_path / "plan"
    config = user_config(fleet={"producers": 2})
    write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    copy = out / "user_data" / "strategies" / "my_strategy.py"
    assert not copy.is_symlink()
    assert copy.read_text() == (checkout / "strategy_v2.py").read_text()
    assert "from my_strategy import MyStrategy" in (copy.parent / "MyStrategyFleet.py").read_text()
    assert load_in_a_new_process(out, "producer-1.json")[:3] == [
        "MyStrategyFleet",
        "FleetStrategy",
        "MyStrategy",
    ]
