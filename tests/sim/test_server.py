"""The market model the simulator's options ask for, or one line naming the option."""

from __future__ import annotations

import pytest

from freqfleet.errors import ConfigError
from freqfleet.sim.models.replay import ReplayModel
from freqfleet.sim.models.synthetic import SyntheticModel
from freqfleet.sim.server import SimOptions, build_model, dataset_dir


def test_synthetic_and_replay_models() -> None:
    synthetic = build_model(SimOptions(pairs=7, seed=3))
    assert isinstance(synthetic, SyntheticModel) and len(synthetic.markets) == 7
    replay = build_model(SimOptions(model="replay", pairs=4))
    assert isinstance(replay, ReplayModel) and len(replay.markets) == 4
    from_folder = build_model(SimOptions(model="replay", replay_dir=str(dataset_dir())))
    assert [m.pair for m in from_folder.markets][:1] == ["ADA/BTC"]


@pytest.mark.parametrize(
    ("options", "line"),
    [
        (SimOptions(pairs=0), "--pairs 0: use a number of pairs from 1 to 5000"),
        (SimOptions(dataset="binance-2018"), "--data-dir/--dataset need --model replay"),
        (
            SimOptions(model="replay", replay_dir="/x", dataset="binance-2018"),
            "--data-dir and --dataset both given: use one of them",
        ),
        (SimOptions(model="random"), "--model 'random': use synthetic or replay"),
    ],
)
def test_a_bad_option_is_one_line_naming_it(options: SimOptions, line: str) -> None:
    with pytest.raises(ConfigError) as raised:
        build_model(options)
    assert str(raised.value).startswith(line)
