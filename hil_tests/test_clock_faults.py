"""Every clock fault alarmed, none waters unsafely (:mod:`hil_tests.clock_faults`' figures)."""

from __future__ import annotations

from hil_tests.clock_faults import FAULTS, clock_faults
from tests.helpers.figures import Figures


def test_every_clock_fault_is_alarmed_and_waters_nothing_unsafe(figures: Figures) -> None:
    found = clock_faults()
    for name in ("faults_tried", "faults_alarmed", "unsafe_water_events"):
        figures.add(name, found[name])  # the red-team report adds them up
    assert found == {
        "faults_tried": len(FAULTS),
        "faults_alarmed": len(FAULTS),
        "unsafe_water_events": 0,
    }
