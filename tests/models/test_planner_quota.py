"""The seasonal quota's arithmetic (models/planner/quota.py): the cycle's ETa/ETm, the need to
harvest, the deficit placed smallest Ky first and never in a critical period, runs trimmed so
a plan never exceeds the quota."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.planner.errors import PlannerInputError
from models.planner.quota import (
    MAX_DEFICIT_MAD,
    Period,
    eta_ratio,
    need_to_harvest,
    pace,
    place_deficit,
    quota_year,
    relative_yield,
    trim_volumes,
)

AREA_M2 = 10_000 / 15  # one mu
KW = {"refill": 0.15, "soil_mm": 0.0, "efficiency": 0.9, "area_m2": AREA_M2}

# seed corn from flowering on (crops.toml): two critical periods, then ripening (Ky 0.2)
SEED_CORN = (
    Period("vegetative", 0.4, False, 0.40, 0.55, 90.0, 10.0),
    Period("flowering", 1.5, True, 0.40, 0.55, 110.0, 10.0),
    Period("yield formation", 0.5, True, 0.50, 0.55, 125.0, 10.0),
    Period("ripening", 0.2, False, 0.65, 0.60, 100.0, 10.0),
)


def test_eta_ratio_is_one_up_to_p_and_matches_the_integral_past_it() -> None:
    assert eta_ratio(0.5, 0.55, 0.15) == 1.0
    # numeric ∫ dD / Ks from r to m, Ks = 1 to p, (1 - D)/(1 - p) past it
    r, p, m, n = 0.15, 0.55, 0.72, 200_000
    h = (m - r) / n
    integral = sum(
        h / (1.0 if (d := r + (k + 0.5) * h) <= p else (1 - d) / (1 - p)) for k in range(n)
    )
    assert eta_ratio(m, p, r) == pytest.approx((m - r) / integral, rel=1e-6)
    assert 0.0 < eta_ratio(0.75, 0.55, 0.15) < eta_ratio(0.65, 0.55, 0.15) < 1.0


def test_need_to_harvest_is_etc_less_rain_and_soil_in_gross_m3() -> None:
    need = need_to_harvest(SEED_CORN[1:3], **KW)  # critical: ETa = ETm
    assert need == pytest.approx((110 - 10 + 125 - 10) / 0.9 * AREA_M2 / 1000)
    with_soil = need_to_harvest(SEED_CORN[1:3], **(KW | {"soil_mm": 50.0}))
    assert with_soil == pytest.approx((215 - 50) / 0.9 * AREA_M2 / 1000)
    wet = (Period("wet", 0.2, False, 0.5, 0.55, 30.0, 80.0),)  # rain beyond ETa is lost
    assert need_to_harvest(wet, **KW) == 0.0
    with pytest.raises(PlannerInputError, match="efficiency"):
        need_to_harvest(SEED_CORN, **(KW | {"efficiency": 0.0}))


def test_pace_projects_used_plus_need_against_the_quota() -> None:
    p = pace(240.0, 180.0, 75.0)
    assert (p.projected_m3, p.over_m3, p.remaining_m3) == (255.0, 15.0, 60.0)
    assert pace(240.0, 250.0, 0.0).remaining_m3 == 0.0
    with pytest.raises(PlannerInputError, match="quota"):
        pace(0.0, 1.0, 1.0)


def test_the_deficit_goes_to_the_smallest_ky_first() -> None:
    full = need_to_harvest(SEED_CORN, **KW)
    # a little short: ripening (Ky 0.2) alone takes it, vegetative (0.4) untouched
    placed = place_deficit(SEED_CORN, available_m3=full - 1.0, **KW)
    assert placed.fits and [r[0] for r in placed.raised] == ["ripening"]
    assert placed.mad_of("vegetative") == 0.40
    assert 0.65 < (placed.mad_of("ripening") or 0) <= MAX_DEFICIT_MAD
    assert placed.need_after_m3 <= full - 1.0 + 1e-9
    assert placed.yield_after < placed.yield_before < 1.0  # ripening's 0.65 is past p already
    # no higher than needed: one step lower would not fit
    lower = [
        dataclasses.replace(p, mad=p.mad - 0.01) if p.name == "ripening" else p
        for p in placed.periods
    ]
    assert need_to_harvest(lower, **KW) > full - 1.0
    # shorter: ripening to the bound, then vegetative
    more = place_deficit(SEED_CORN, available_m3=full - 5.0, **KW)
    assert [r[0] for r in more.raised] == ["ripening", "vegetative"]
    assert more.mad_of("ripening") == MAX_DEFICIT_MAD
    # vegetative only as far as needed
    assert more.fits and (more.mad_of("vegetative") or 1) < MAX_DEFICIT_MAD
    assert more.yield_after == pytest.approx(relative_yield(more.periods, 0.15))


def test_when_it_cannot_fit_it_says_by_how_much_and_which_critical_periods_go_short() -> None:
    placed = place_deficit(SEED_CORN, available_m3=100.0, **KW)
    assert not placed.fits
    assert placed.short_m3 == pytest.approx(placed.need_after_m3 - 100.0)
    assert placed.mad_of("flowering") == 0.40 and placed.mad_of("yield formation") == 0.50
    # 100 m³ on one mu (≈ 135 mm net) runs out in flowering: both critical periods short
    assert placed.critical_short == ("flowering", "yield formation")
    # enough for vegetative and flowering at their raised triggers: only yield formation
    through_flowering = need_to_harvest(placed.periods[:2], **KW)
    late = place_deficit(SEED_CORN, available_m3=through_flowering + 1.0, **KW)
    assert late.critical_short == ("yield formation",)
    # short only in ripening (not critical): no critical period named
    end = place_deficit(SEED_CORN, available_m3=placed.need_after_m3 - 0.5, **KW)
    assert not end.fits and end.critical_short == ()


def test_quota_year_from_its_start_day() -> None:
    assert quota_year(dt.date(2026, 6, 1), "01-01") == (dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    assert quota_year(dt.date(2026, 6, 1), "10-01") == (dt.date(2025, 10, 1), dt.date(2026, 10, 1))
    assert quota_year(dt.date(2026, 10, 1), "10-01")[0] == dt.date(2026, 10, 1)


periods_st = st.lists(
    st.builds(
        Period,
        name=st.sampled_from(["a", "b", "c", "d", "e", "f"]),
        ky=st.one_of(st.none(), st.floats(0.0, 2.0)),
        critical=st.booleans(),
        mad=st.floats(0.2, 0.8),
        p=st.floats(0.2, 0.8),
        etm_mm=st.floats(0.0, 300.0),
        rain_mm=st.floats(0.0, 100.0),
    ),
    min_size=1,
    max_size=6,
).map(lambda ps: [dataclasses.replace(p, name=f"{p.name}{i}") for i, p in enumerate(ps)])


@settings(max_examples=150, deadline=None)
@given(periods=periods_st, available=st.floats(0.0, 400.0), soil=st.floats(0.0, 80.0))
def test_no_deficit_is_placed_in_a_critical_period(
    periods: list[Period], available: float, soil: float
) -> None:
    placed = place_deficit(periods, available_m3=available, **(KW | {"soil_mm": soil}))
    for before, after in zip(periods, placed.periods, strict=True):
        if before.critical or before.ky is None:
            assert after.mad == before.mad
        else:
            assert before.mad <= after.mad <= max(before.mad, MAX_DEFICIT_MAD) + 1e-12
    assert placed.need_after_m3 <= placed.need_before_m3 + 1e-9
    assert placed.fits == (placed.need_after_m3 <= available + 1e-9)
    if not placed.fits:  # every movable period went to the bound first
        assert all(p.mad >= MAX_DEFICIT_MAD - 1e-12 for p in placed.periods if p.movable)
    # smallest Ky first: a period raised before another has no larger Ky
    kys = [next(p.ky for p in periods if p.name == name) for name, _a, _b in placed.raised]
    assert kys == sorted(kys)  # type: ignore[type-var]


@settings(max_examples=300, deadline=None)
@given(
    ledger=st.lists(st.floats(0.0, 50.0), max_size=30),
    planned=st.lists(st.floats(0.0, 80.0), max_size=10),
    quota=st.floats(1.0, 1000.0),
)
def test_a_plan_never_exceeds_the_quota(
    ledger: list[float], planned: list[float], quota: float
) -> None:
    used = sum(ledger)
    p = pace(quota, used, sum(planned))
    kept = trim_volumes(planned, p.remaining_m3)
    assert used + sum(kept) <= max(quota, used) + 1e-9  # never more than the quota allows
    assert all(0.0 <= k <= v + 1e-12 for k, v in zip(kept, planned, strict=True))
    # nothing is cut that fits: all of it, or the quota reached
    assert math.isclose(sum(kept), min(sum(planned), p.remaining_m3), abs_tol=1e-9)
    if used >= quota:
        assert sum(kept) == 0.0
