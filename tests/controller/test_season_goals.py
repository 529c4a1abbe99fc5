"""The season's report and goal check on small made-up reports (no season is simulated here).

A season that simulated nothing must miss the goals: no ETc is no ET ratio, no day is no
evidence of the absence of stress.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from controller.simulation.season import SeasonReport, ZoneReport
from drivers.sim.soilphysics import DayTotals
from hil_tests.season_goals import ETA_TOLERANCE, failures, verdict

DAY = dt.date(2026, 6, 1)


def _zone(days: list[DayTotals], applied_m3_per_mu: float = 300.0, **kw: Any) -> ZoneReport:
    fields: dict[str, Any] = {
        "zone": "z1",
        "area_mu": 25.0,
        "mode": "et",
        "applied_m3": applied_m3_per_mu * 25.0,
        "applied_m3_per_mu": applied_m3_per_mu,
        "winter_m3": 0.0,
        "rain_mm": sum(d.rain_mm for d in days),
        "etc_mm": sum(d.etc_mm for d in days),
        "eta_mm": sum(d.eta_mm for d in days),
        "drainage_mm": 0.0,
        "runoff_mm": 0.0,
        "irrigation_mm": sum(d.irrigation_mm for d in days),
        "stress_days": sum(d.stressed for d in days),
        "critical_stress_days": 0,
        "fertilizer_kg": {},
        "runs": 3,
        "pump_h_peak": 0.0,
        "pump_h_offpeak": 1.0,
        "pump_h_flat": 0.0,
        "days": days,
    }
    fields.update(kw)
    return ZoneReport(**fields)


def _report(zones: list[ZoneReport]) -> SeasonReport:
    return SeasonReport(
        scenario="made-up",
        strategy="et",
        seed=1,
        start=DAY,
        end=DAY + dt.timedelta(days=2),
        zones=zones,
        baseline_m3_per_mu=550.0,
        baseline_in_season_m3_per_mu=450.0,
        events={},
        acknowledged=[],
        refills=[],
    )


def _days(eta_share: float) -> list[DayTotals]:
    return [
        DayTotals(DAY + dt.timedelta(days=i), irrigation_mm=5.0, etc_mm=6.0, eta_mm=6.0 * eta_share)
        for i in range(3)
    ]


def test_a_season_meeting_the_goals_has_no_failures() -> None:
    report = _report([_zone(_days(1.0))])
    assert report.zones[0].eta_ratio == 1.0
    assert failures(report) == []


def test_et_ratio_just_inside_and_outside_the_tolerance() -> None:
    inside = _zone(_days(1 - ETA_TOLERANCE + 1e-6))
    outside = _zone(_days(1 - ETA_TOLERANCE - 1e-3))
    assert failures(_report([inside])) == []
    (why,) = failures(_report([outside]))
    assert why.startswith("z1: ETa/ETc 0.949")


def test_no_etc_is_no_ratio_not_a_perfect_one() -> None:
    zone = _zone([DayTotals(DAY)])  # a day before planting: nothing transpired or was asked
    assert math.isnan(zone.eta_ratio)
    assert "z1: ETa/ETc nan < 0.95" in failures(_report([zone]))
    assert zone.to_dict()["eta_ratio"] is None  # JSON has no NaN
    json.dumps(_report([zone]).to_dict(), allow_nan=False, default=str)


def test_an_empty_simulation_misses_the_goals() -> None:
    # No simulated day: no ETc, no stress, no water applied (so all of the baseline saved).
    zone = _zone([], applied_m3_per_mu=0.0, runs=0)
    report = _report([zone])
    assert report.saving_m3_per_mu == 550.0
    why = failures(report)
    assert "z1: no simulated day" in why
    assert any("ETa/ETc" in w for w in why)
    assert failures(_report([])) == ["no zone simulated"]


def test_the_last_line_counts_the_seeds_in_words() -> None:
    assert verdict(0) == "goals met on every seed"
    assert verdict(1) == "goals missed on 1 seed"
    assert verdict(3) == "goals missed on 3 seeds"
