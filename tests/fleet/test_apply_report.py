"""What ``apply --dry-run`` prints for a diff."""

from __future__ import annotations

from freqfleet.fleet.apply import ConsumerChange, FleetDiff, ProducerChange, Step
from freqfleet.fleet.apply_report import apply_lines, consumer_line, gap_lines


def diff(gaps: dict[str, float], redundancy: tuple[int, int] = (1, 1)) -> FleetDiff:
    return FleetDiff(
        producers=(
            ProducerChange("p-2", "start", ("A",)),
            ProducerChange(
                "p-1", "restart", (), ("A",), ("pairs", "internals.process_throttle_secs")
            ),
        ),
        consumer=ConsumerChange((), (), False, "reload_config", ("fleet.shares.p-1",)),
        steps=(
            Step("start", "p-2", "wait until it serves"),
            Step("restart", "p-1", "wait until it serves again"),
            Step("reload_config", "consumer", "wait"),
        ),
        gaps=gaps,
        redundancy=redundancy,
    )


def test_lines_name_changes_order_and_blind_pairs() -> None:
    lines = apply_lines(diff({"A": 0.0, "B": 12.5}), "fleet")
    assert lines[0] == "Changes to the fleet in fleet (redundancy 1):"
    assert "start" in lines[1] and "+1 (A)" in lines[1]
    assert "-1 (A)" in lines[2] and "changed: internals.process_throttle_secs" in lines[2]
    assert "reload_config (changed: fleet)" in lines[3]
    assert lines[5:8] == [
        "  1. start p-2: wait until it serves",
        "  2. restart p-1: wait until it serves again",
        "  3. reload_config consumer: wait",
    ]
    assert lines[8].startswith("gaps: 1 pairs keep their analysis")
    assert lines[9].startswith("blind: 1 pair goes without analysis for 12.5 s")
    assert "B;" in lines[9] and "fleet.redundancy 1 gives them no other" in lines[9]


def test_no_blind_line_when_every_pair_stays_served() -> None:
    assert [line[:6] for line in gap_lines(diff({"A": 0.0}, (2, 2)))] == ["gaps: "]


def test_a_consumer_restart_names_what_reload_config_cannot_take() -> None:
    change = ConsumerChange(("X",), (), True, "restart", ("api_server.listen_port", "fleet.shares"))
    line = consumer_line(change)
    assert "whitelist: +1 (X) new order" in line
    assert line.endswith("must restart: reload_config cannot take api_server.listen_port")
