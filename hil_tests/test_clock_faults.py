"""Every clock fault alarmed, none waters unsafely (:mod:`hil_tests.clock_faults`' figures)."""

from __future__ import annotations

from hil_tests.clock_faults import FAULTS, clock_faults


def test_every_clock_fault_is_alarmed_and_waters_nothing_unsafe() -> None:
    figures = clock_faults()
    assert figures == {
        "faults_tried": len(FAULTS),
        "faults_alarmed": len(FAULTS),
        "unsafe_water_events": 0,
    }
