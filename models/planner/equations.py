"""Equations of the planner, one group per function, on plain floats and ints.

The plain-Python reference (``reference.py``) calls them directly and the numba kernel
(``kernel.py``) compiles the very same functions. Depths in mm, flows in m³/h, areas in m²,
durations in whole minutes. Equation numbers are those of FAO Irrigation and Drainage Paper 56.
"""

from __future__ import annotations

import math

__all__ = [
    "application_rate_mm_h",
    "cycle_count",
    "cycle_length_min",
    "gross_depth_mm",
    "gross_from_minutes_mm",
    "project_depletion_mm",
    "run_minutes",
    "trigger_depletion_mm",
    "whole_minutes",
]


def trigger_depletion_mm(mad_fraction: float, taw_mm: float) -> float:
    """Depletion at which a zone is irrigated: MAD · TAW, mm.

    With MAD = p this is RAW = p · TAW (eq. 83): irrigating at RAW keeps Ks = 1 (eq. 84).
    A MAD above p outside the critical stages allows a managed deficit (FAO-56 ch. 8,
    "management allowed depletion").
    """
    return mad_fraction * taw_mm


def project_depletion_mm(dr_mm: float, etc_mm: float, rain_eff_mm: float, taw_mm: float) -> float:
    """Root-zone depletion after one slot without irrigation: Dr + ETc − Peff, eq. 85, held
    within 0 ≤ Dr ≤ TAW (eq. 86; water above field capacity percolates, eq. 88)."""
    return min(max(dr_mm + etc_mm - rain_eff_mm, 0.0), taw_mm)


def gross_depth_mm(net_mm: float, efficiency: float) -> float:
    """Gross depth = net depth / application efficiency (FAO-56 ch. 8, I = In / Ea), mm."""
    return net_mm / efficiency


def run_minutes(gross_mm: float, area_m2: float, flow_m3_h: float) -> float:
    """Valve-open time for a gross depth: mm × m² / 1000 = m³; m³ / (m³/h) × 60 = minutes."""
    return gross_mm * area_m2 / 1000.0 / flow_m3_h * 60.0


def gross_from_minutes_mm(duration_min: float, area_m2: float, flow_m3_h: float) -> float:
    """Gross depth a run of ``duration_min`` applies, mm (inverse of :func:`run_minutes`)."""
    return duration_min / 60.0 * flow_m3_h * 1000.0 / area_m2


def application_rate_mm_h(flow_m3_h: float, area_m2: float) -> float:
    """Gross application rate of a zone, mm/h (m³/h over m², × 1000 mm/m)."""
    return flow_m3_h * 1000.0 / area_m2


def whole_minutes(exact_min: float) -> int:
    """Minutes rounded down (a run never fills past the target), forgiving float residue."""
    return math.floor(exact_min + 1e-6)


def cycle_count(duration_min: int, cycle_max_min: int) -> int:
    """Cycles of at most ``cycle_max_min`` for a run (cycle-and-soak); 0 means no split."""
    if cycle_max_min <= 0 or duration_min <= cycle_max_min:
        return 1
    return (duration_min + cycle_max_min - 1) // cycle_max_min


def cycle_length_min(duration_min: int, cycles: int, k: int) -> int:
    """Length of cycle ``k``: the run split as evenly as whole minutes allow, longer first."""
    base = duration_min // cycles
    return base + 1 if k < duration_min % cycles else base
