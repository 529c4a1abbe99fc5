"""Relay modules that lie or fall silent during a run, or switch on by themselves while idle:
the running daemon (season harness, virtual clock, real Modbus servers on loopback) raises
``output_mismatch`` within its read-back rule, stops the run and leaves nothing open."""

from __future__ import annotations

from pathlib import Path

from controller.runtime.readback import (
    IDLE_READBACK_EVERY_S,
    READBACK_EVERY_S,
    UNREADABLE_POLLS,
)
from hil_tests.outputs_faults import RUNNING_FAULTS, measure_output_mismatch
from tests.helpers.figures import Figures


def test_every_relay_fault_is_alarmed_within_its_rule_and_nothing_is_left_open(
    tmp_path: Path, figures: Figures
) -> None:
    measured = measure_output_mismatch(seed=3, workdir=tmp_path)
    for f in measured["faults"]:
        running = f["fault"] in RUNNING_FAULTS  # while idle the read-back is slower by rule
        figures.fault(detect_s=f["detect_s"], output=running)
        if not running and f["detect_s"] is not None:
            figures.max("output_idle_detect_s_max", f["detect_s"])
        figures.add("outputs_left_open", f["outputs_left_open"])
    by_fault = {f["fault"]: f for f in measured["faults"]}
    assert set(by_fault) == {*RUNNING_FAULTS, "idle_self_on"}
    assert measured["faults_alarmed"] == measured["faults_tried"] == 5
    for name in ("all_coils_1", "valve_reads_0", "pump_reads_0"):
        assert by_fault[name]["detect_s"] <= READBACK_EVERY_S, name  # the first poll
    assert by_fault["module_silent"]["detect_s"] <= UNREADABLE_POLLS * READBACK_EVERY_S
    assert by_fault["idle_self_on"]["detect_s"] <= IDLE_READBACK_EVERY_S + READBACK_EVERY_S
    for f in measured["faults"]:
        assert f["outputs_left_open"] == 0, f
        assert f["commanded_on_after"] == 0 and f["runs_active_after"] == 0, f
    assert measured["outputs_left_open"] == 0
