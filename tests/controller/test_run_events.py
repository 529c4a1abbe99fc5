"""The sequencer's run events read back as codes (controller.runtime.run_events).

A run interrupted by a restart names why it ended and what the restart credited it, a run
at its time cap before its target volume names how far it got: both parts of a run's end
reason, read by its own templates. Every one must be read as a code, or a page would show it
in English.
"""

from __future__ import annotations

from controller.runtime.end_reasons import end_parts
from controller.runtime.run_events import RUN_EVENTS, run_event
from tests.helpers.recorded import assert_templates_read_back


def test_a_template_reads_back_the_values_it_was_written_with() -> None:
    assert_templates_read_back(RUN_EVENTS, run_event)


def test_an_interrupted_run_names_its_end_reason_and_credit_as_coded_parts() -> None:
    # as the sequencer's recover() words it (its tests hold the credit's words)
    event = run_event(
        "run 12 of zone z1 interrupted (daemon restarted during the run) after 4.31 m3 "
        "applied; water since the last progress not credited: flow1 totalizer unreadable "
        "at start (last progress at 120.500 m3)"
    )
    assert event.code == "run_interrupted" and event.values["run"] == "12"
    assert [p.code for p in end_parts(event.values["reason"])] == ["daemon_restarted"]
    assert [p.code for p in end_parts(event.values["credit"])] == ["credit_unreadable"]


def test_a_capped_run_names_its_cap_as_a_coded_part() -> None:
    event = run_event(
        "run 3 of zone z2: time cap reached before the target volume: 1.25 of 2 m3 metered "
        "in 1.5 min"
    )
    assert (event.code, event.values["zone"]) == ("volume_cap", "z2")
    assert [p.code for p in end_parts(event.values["reason"])] == ["volume_cap"]
