"""The shadow balance of the forecast part's diagnostic (:mod:`benchmarks.learning.shadow`):
it is the configured balance at a ratio and factor of 1, a smaller TAW slows it where the
balance is not, its dry-downs are cut as the daemon cuts them, and its validation against the
probes' change takes a shadow the probes follow and refuses one they do not."""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks.learning.shadow import ProbeDay, drydowns, shadow_dr_mm, validated
from controller.learning.soil import MAX_DRYDOWNS
from models.learning.forecast import FutureDay, HistoryDay, physics_path

TAW_MM, RAW_MM = 100.0, 50.0


def _season(days: int = 80, et0_mm: float = 6.0) -> list[HistoryDay]:
    """A balance that waters back to 15 mm the morning after Dr passes RAW (the ET rule),
    stepped by the forecast's own FAO-56 step; the probes read the balance exactly."""
    out: list[HistoryDay] = []
    dr, water = 10.0, 0.0
    for dap in range(days):
        if dap:
            dr = physics_path(dr, TAW_MM, RAW_MM, [FutureDay(et0_mm, 0.0, water, 1.0)])[0]
        out.append(HistoryDay(dr, TAW_MM, RAW_MM, dr, et0_mm, 0.0, water, 1.0, dap))
        water = dr - 15.0 if dr >= RAW_MM else 0.0
    return out


def _observed(history: list[HistoryDay], path: list[float]) -> list[HistoryDay]:
    return [dataclasses.replace(d, observed_mm=p) for d, p in zip(history, path, strict=True)]


def test_at_a_ratio_and_factor_of_one_it_is_the_balance() -> None:
    history = _season()
    assert shadow_dr_mm(history, 1.0, 1.0) == pytest.approx([d.dr_mm for d in history], abs=1e-9)


def test_a_smaller_taw_stresses_the_crop_where_the_balance_does_not() -> None:
    history = _season()
    shadow = shadow_dr_mm(history, 0.6, 1.0)
    assert all(s <= 0.6 * TAW_MM + 1e-9 for s in shadow)
    # below its own RAW (30 mm) the shadow's crop takes less: its Dr falls behind
    assert max(d.dr_mm - s for d, s in zip(history, shadow, strict=True)) > 3.0
    # a larger Kc factor takes more water each day
    assert shadow_dr_mm(history, 1.0, 1.2)[5] > history[5].dr_mm


def test_drydowns_run_from_the_evening_before_a_run_to_the_evening_before_the_next() -> None:
    history = _season(days=40)
    runs = [i for i, d in enumerate(history) if d.water_mm > 0]
    probes = [ProbeDay(0.2 + 0.001 * i, 0.5, 0.5) for i in range(len(history))]
    cut = drydowns(history, probes)
    assert 2 <= len(cut) == len(runs) - 1 <= MAX_DRYDOWNS
    first, nxt = runs[0], runs[1]
    assert cut[0].theta_m3m3 == tuple(p.theta_m3m3 for p in probes[first - 1 : nxt])
    assert cut[0].water_mm[0] == history[first].water_mm and cut[0].days == nxt - first
    assert not cut[0].follows_previous and all(d.follows_previous for d in cut[1:])


def test_only_the_newest_drydowns_are_kept_as_the_daemon_keeps_them() -> None:
    history = _season(days=120)
    runs = [i for i, d in enumerate(history) if d.water_mm > 0]
    assert len(runs) - 1 > MAX_DRYDOWNS
    probes = [ProbeDay(0.2, 0.5, 0.5)] * len(history)
    cut = drydowns(history, probes)
    assert len(cut) == MAX_DRYDOWNS
    assert cut[0].label == f"run of day {runs[-MAX_DRYDOWNS - 1]}"
    assert cut[-1].label == f"run of day {runs[-2]}" and not cut[0].follows_previous


def test_validation_takes_a_shadow_the_probes_follow_and_refuses_one_they_do_not() -> None:
    history = _season()
    shadow = shadow_dr_mm(history, 0.6, 1.0)
    # the probes see the balance's change: the shadow's is worse on its stressed days
    assert not validated(history, shadow, 0.6, 1.0)
    # the probes see the shadow's change: the shadow wins on its stressed days, ties elsewhere
    seen = _observed(history, shadow)
    assert validated(seen, shadow, 0.6, 1.0)
    # the shadow that is the balance never wins
    assert not validated(seen, shadow_dr_mm(history, 1.0, 1.0), 1.0, 1.0)
