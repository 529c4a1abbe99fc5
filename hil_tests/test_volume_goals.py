"""Runs by volume on a pulse meter, against the running daemon (season harness, virtual clock,
real Modbus on loopback): each ends within 1 % of its target, also across a counter reset;
a dead counter stops the water with ``pulse_missing`` within its limit and a poll."""

from __future__ import annotations

from pathlib import Path

from hil_tests.volume_goals import COUNTER_POLL_S, NO_PULSE_S, measure_volume_goals
from tests.helpers.figures import Figures


def test_runs_by_volume_end_on_target_and_a_dead_counter_stops_the_water(
    tmp_path: Path, figures: Figures
) -> None:
    measured = measure_volume_goals(seed=3, workdir=tmp_path)
    figures.max("volume_error_pct_abs", abs(measured["volume_error_pct"]))
    runs = measured["runs"]
    for case in ("by_volume", "reset", "by_depth", "planned"):
        assert runs[case]["state"] == "done", runs[case]
        assert runs[case]["end_reason"].startswith("target volume"), runs[case]
        assert runs[case]["outputs_left_open"] == 0
    assert abs(measured["volume_error_pct"]) <= 1.0
    assert abs(measured["reset_volume_error_pct"]) <= 1.0 and measured["reset_named"]
    assert abs(measured["depth_volume_error_pct"]) <= 1.0
    assert abs(measured["planned_volume_error_pct"]) <= 1.0
    assert measured["dead_counter_stopped"] is True
    assert measured["alarm"] == "pulse_missing"
    # silent for no_pulse_s after the last pulse, seen at most a poll and a tick late
    assert measured["dead_counter_stop_s"] <= NO_PULSE_S + COUNTER_POLL_S + 1
    # the water that ran unmetered: at most that long at the zone's 100 m3/h (+ 3 % noise)
    assert measured["unmetered_m3"] <= 100 * 1.03 * (NO_PULSE_S + COUNTER_POLL_S + 1) / 3600
