"""The balance's level read from the probes (:mod:`benchmarks.learning.probe_level`), the
forecast part's diagnostic, on seasons whose answers are known: the drained θ is the probes'
reading one and two evenings after a run, the probes' drift finds a step the balance missed
after the line was fitted (and no step where there is none), the probes' slowdown is read as
the ET the crop missed while the balance's crop is unstressed, and the forecast part splits
FAO-56's error into the balance's level and its change."""

from __future__ import annotations

import itertools

import pytest

from benchmarks.learning.forecast import _Season, _split
from benchmarks.learning.probe_level import (
    ProbeLine,
    days_since_wet,
    drained_level_mm,
    drained_theta_m3m3,
    drift_level_mm,
    fit_probe_line,
    slowdown_deficit_mm,
)
from benchmarks.learning.shadow import ProbeDay
from models.learning.errors import TooLittleDataError
from models.learning.forecast import FutureDay, HistoryDay, physics_path

TAW_MM, RAW_MM = 100.0, 50.0
ROOT_M = 1.0


def _season(days: int = 90, et0_mm: float = 6.0) -> list[HistoryDay]:
    """The ET rule on the forecast's own FAO-56 step: water back to 15 mm the morning after
    Dr passes RAW."""
    out: list[HistoryDay] = []
    dr, water = 10.0, 0.0
    for dap in range(days):
        if dap:
            dr = physics_path(dr, TAW_MM, RAW_MM, [FutureDay(et0_mm, 0.0, water, 1.0)])[0]
        out.append(HistoryDay(dr, TAW_MM, RAW_MM, None, et0_mm, 0.0, water, 1.0, dap))
        water = dr - 15.0 if dr >= RAW_MM else 0.0
    return out


def _probes(true_dr_mm: list[float], slope: float = -0.001) -> list[ProbeDay]:
    """Probes reading θ = 0.30 + slope · true Dr exactly, the roots at their deepest."""
    return [ProbeDay(0.30 + slope * d, ROOT_M, 0.5) for d in true_dr_mm]


def test_days_since_wet_counts_from_the_last_run_or_rain() -> None:
    history = _season(days=30)
    runs = [i for i, d in enumerate(history) if d.water_mm > 0]
    first = runs[0]
    assert days_since_wet(history, first) == 0
    assert days_since_wet(history, first + 3) == 3
    assert days_since_wet(history, first - 1) == first  # no water yet: every day since the start


def test_the_drained_theta_is_read_one_and_two_evenings_after_a_run() -> None:
    history = _season(days=40)
    runs = [i for i, d in enumerate(history) if d.water_mm > 0]
    drained = {r + k for r in runs for k in (1, 2)}
    probes = [ProbeDay(0.27 if i in drained else 0.15, ROOT_M, 0.5) for i in range(len(history))]
    assert drained_theta_m3m3(history, probes) == pytest.approx(0.27)
    # the probes' depletion below it over the root zone: 1000 (0.27 − 0.22) 1.0 m
    assert drained_level_mm(0.27, ProbeDay(0.22, ROOT_M, 0.5)) == pytest.approx(50.0)
    with pytest.raises(TooLittleDataError, match="no evening after a run"):
        drained_theta_m3m3(history[: runs[0]], probes[: runs[0]])


def test_the_drift_finds_the_step_the_balance_missed_after_the_line_was_fitted() -> None:
    history = _season()
    cut, step_mm = 50, 4.0
    # the truth is 4 mm wetter than the balance from the cut on (its crop took less)
    true = [d.dr_mm - (step_mm if i >= cut else 0.0) for i, d in enumerate(history)]
    probes = _probes(true)
    line = fit_probe_line(history[:cut], probes[:cut], min_since_d=2)
    assert line.intercept_m3m3 == pytest.approx(0.30)
    assert line.slope_m3m3_per_mm == pytest.approx(-0.001)
    late = len(history) - 1
    level = drift_level_mm(history, probes, line, late, min_since_d=2, window_d=10)
    assert level == pytest.approx(true[late])
    assert history[late].dr_mm - level == pytest.approx(step_mm)
    before = drift_level_mm(history, probes, line, cut - 1, min_since_d=2, window_d=10)
    assert before == pytest.approx(history[cut - 1].dr_mm)


def test_a_level_offset_already_there_when_the_line_was_fitted_is_not_seen() -> None:
    history = _season()
    true = [d.dr_mm - 4.0 for d in history]  # off by 4 mm all season
    probes = _probes(true)
    line = fit_probe_line(history[:50], probes[:50], min_since_d=2)
    late = len(history) - 1
    level = drift_level_mm(history, probes, line, late, min_since_d=2, window_d=10)
    assert level == pytest.approx(history[late].dr_mm)  # the balance's, not the truth's


def test_the_line_needs_drained_days_with_the_roots_deepest() -> None:
    history = _season(days=20)
    growing = [ProbeDay(0.25, 0.3 + 0.01 * i, 0.5) for i in range(len(history))]
    with pytest.raises(TooLittleDataError, match="drained days with the roots deepest"):
        fit_probe_line(history, growing, min_since_d=2)
    line = ProbeLine(0.30, -0.001, first_day=len(history))
    # no drained day since the line: the balance's own Dr
    assert drift_level_mm(
        history, growing, line, len(history) - 1, min_since_d=2, window_d=5
    ) == pytest.approx(history[-1].dr_mm)


def test_fao56s_error_splits_into_the_balances_level_and_its_change() -> None:
    history = _season(days=100)
    # the truth 3 mm wetter than the balance, changing as the balance does
    true = [d.dr_mm - 3.0 for d in history]
    level, change = _split(_Season(history, true, []))
    assert level == pytest.approx(3.0)
    assert change == pytest.approx(0.0, abs=1e-9)
    # a truth that dries 0.5 mm/day slower than the balance on every day after its first
    slower = [d.dr_mm - 0.5 * i for i, d in enumerate(history)]
    _, change = _split(_Season(history, slower, []))
    assert change == pytest.approx(0.5)


def test_the_probes_slowdown_is_the_et_the_crop_missed_while_the_balance_is_unstressed() -> None:
    # one dry-down after a run on day 1, ETc 5 mm/day, the balance's RAW 50 mm
    water = [0.0, 30.0] + [0.0] * 10
    dr = [40.0, 15.0] + [15.0 + 5.0 * k for k in range(1, 11)]  # 20 ... 65 mm
    history = [
        HistoryDay(d, TAW_MM, RAW_MM, None, 5.0, 0.0, w, 1.0, i)
        for i, (d, w) in enumerate(zip(dr, water, strict=True))
    ]
    # the probes fall 0.002 per day (0.0004 per mm of ETc) on days 2-4 after the run and
    # days 5-7, then 0.001 (half: Ks 0.5) from day 8 on
    fall = [0.0, 0.0] + [0.002] * 6 + [0.001] * 4
    theta = list(itertools.accumulate(fall, lambda t, f: t - f, initial=0.30))[1:]
    probes = [ProbeDay(t, ROOT_M, 0.5) for t in theta]
    missed = slowdown_deficit_mm(history, probes, ROOT_M)
    # the run's day, the day after it and days 2-4 set the rate; days 5-7 fall at it
    assert missed[:8] == pytest.approx([0.0] * 8)
    # days 8 and 9 (Dr at their start 45 and 50 mm ≤ RAW): half the ETc missed
    assert missed[8:10] == pytest.approx([2.5, 2.5])
    # from day 10 the balance's own crop is stressed (Dr at the start 55 mm > RAW): nothing
    assert missed[10:] == pytest.approx([0.0, 0.0])
    # roots still growing: nothing is read
    assert sum(slowdown_deficit_mm(history, probes, 2 * ROOT_M)) == 0.0
