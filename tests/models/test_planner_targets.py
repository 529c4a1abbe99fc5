"""Stage-wise depletion targets (models/planner/targets.py): properties and hand-worked cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.crops import Stage, depletion_fraction
from models.planner.targets import (
    TRIGGER_GAP,
    day_target,
    deficit_ks,
    refill_target,
)

fraction = st.floats(0.0, 1.0, allow_nan=False)
p_table = st.floats(0.1, 0.8, allow_nan=False)  # FAO-56 Table 22 range (the crop loader's)
etc = st.floats(0.0, 20.0, allow_nan=False)  # mm/day
taw = st.floats(1.0, 400.0, allow_nan=False)  # mm
floor = st.floats(0.0, 0.5, allow_nan=False)
mm = st.floats(0.0, 500.0, allow_nan=False)


def stage(mad: float, *, critical: bool, ky: float = 1.5) -> Stage:
    return Stage(
        name="flowering" if critical else "ripening", end_dap=100, ky=ky, mad=mad, critical=critical
    )


# -- triggers ---------------------------------------------------------------------------------


@given(mad=st.floats(0.2, 0.8), p_tab=p_table, etc_mm=etc, floor_fraction=floor)
def test_a_critical_stage_never_triggers_past_p(
    mad: float, p_tab: float, etc_mm: float, floor_fraction: float
) -> None:
    """Whatever the stage's MAD and the floor: the trigger is at most p (Table 22 footnote),
    so at the trigger Dr ≤ RAW and Ks = 1 (eq. 84)."""
    t = day_target(stage(mad, critical=True), p_tab, etc_mm, floor_fraction)
    p = depletion_fraction(p_tab, etc_mm)
    assert t.p_fraction == p
    assert t.mad_fraction <= p + 1e-12
    assert not t.deficit
    assert deficit_ks(t.mad_fraction, t.p_fraction) == 1.0
    assert t.critical and t.ky == 1.5 and t.stage == "flowering"


@given(mad=st.floats(0.2, 0.8), p_tab=p_table, etc_mm=etc, floor_fraction=floor)
def test_a_non_critical_stage_triggers_at_its_mad_or_the_floor(
    mad: float, p_tab: float, etc_mm: float, floor_fraction: float
) -> None:
    t = day_target(stage(mad, critical=False, ky=0.2), p_tab, etc_mm, floor_fraction)
    assert t.mad_fraction == max(mad, floor_fraction)
    assert t.deficit == (t.mad_fraction > t.p_fraction + 1e-9)


@given(p_tab=p_table, etc_mm=etc, floor_fraction=floor)
def test_no_stage_keeps_p(p_tab: float, etc_mm: float, floor_fraction: float) -> None:
    t = day_target(None, p_tab, etc_mm, floor_fraction)
    assert t.mad_fraction == max(depletion_fraction(p_tab, etc_mm), floor_fraction)
    assert t.stage == "" and t.ky is None and not t.critical


def test_trigger_examples() -> None:
    # seed corn p 0.55 at ETc 7.5 mm/d: p = 0.55 + 0.04 (5 − 7.5) = 0.45
    flowering = day_target(stage(0.60, critical=True), 0.55, 7.5, 0.20)
    assert flowering.p_fraction == pytest.approx(0.45)
    assert flowering.mad_fraction == pytest.approx(0.45)  # min(0.60, 0.45)
    # ripening MAD 0.65 at ETc 3 mm/d: p = 0.55 + 0.08 = 0.63 < 0.65: a deficit
    ripening = day_target(stage(0.65, critical=False, ky=0.2), 0.55, 3.0, 0.20)
    assert ripening.p_fraction == pytest.approx(0.63)
    assert ripening.mad_fraction == 0.65 and ripening.deficit
    # pepper p 0.30 at ETc 10 mm/d: p = 0.30 − 0.20 = 0.10, below the floor 0.20: the
    # critical trigger stays at p, the floor does not lift it into stress
    pepper = day_target(stage(0.40, critical=True), 0.30, 10.0, 0.20)
    assert pepper.p_fraction == pytest.approx(0.10)
    assert pepper.mad_fraction == pytest.approx(0.10)


# -- Ks at the trigger ------------------------------------------------------------------------


@given(mad=fraction, p=st.floats(0.0, 0.999))
def test_deficit_ks_is_eq84_at_the_trigger(mad: float, p: float) -> None:
    ks = deficit_ks(mad, p)
    assert 0.0 <= ks <= 1.0
    if mad <= p:
        assert ks == 1.0
    else:
        # eq. 84 with Dr = MAD · TAW: (TAW − Dr) / (TAW − RAW) = (1 − MAD) / (1 − p)
        assert ks == pytest.approx((1.0 - mad) / (1.0 - p))


@given(mad=st.floats(0.0, 2.0), p=st.floats(0.0, 1.0))
def test_deficit_ks_stays_in_0_1_for_any_input(mad: float, p: float) -> None:
    assert 0.0 <= deficit_ks(mad, p) <= 1.0


def test_deficit_ks_example() -> None:
    # MAD 0.65, p 0.55: (1 − 0.65) / (1 − 0.55) = 0.35 / 0.45 = 0.777…
    assert deficit_ks(0.65, 0.55) == pytest.approx(0.35 / 0.45)
    assert deficit_ks(0.40, 0.55) == 1.0


# -- refill -----------------------------------------------------------------------------------


@given(
    taw_mm=taw,
    base=st.floats(0.0, 0.5),
    lowest=st.floats(0.0, 1.0),
    rain_mm=st.floats(-50.0, 500.0),
    last_mad=st.none() | st.floats(0.0, 1.0),
    remaining=st.floats(-50.0, 2000.0),
)
def test_refill_stays_below_the_lowest_trigger_and_within_taw(
    taw_mm: float,
    base: float,
    lowest: float,
    rain_mm: float,
    last_mad: float | None,
    remaining: float,
) -> None:
    r = refill_target(
        taw_mm=taw_mm,
        base_fraction=base,
        lowest_trigger_fraction=lowest,
        expected_rain_mm=rain_mm,
        last_period_mad=last_mad,
        remaining_etc_mm=remaining,
    )
    assert 0.0 <= r.fraction <= 1.0
    # TRIGGER_GAP below the horizon's lowest trigger (never negative)
    assert r.fraction <= max(lowest - TRIGGER_GAP, 0.0) + 1e-9
    assert 0.0 <= r.cap_mm <= taw_mm
    assert r.fraction * taw_mm <= r.cap_mm + 1e-9
    assert r.rain_mm >= 0.0


@given(
    taw_mm=taw,
    last_mad=st.floats(0.0, 1.0),
    remaining=st.floats(-50.0, 2000.0),
)
def test_season_end_depletion_is_last_mad_minus_the_remaining_etc(
    taw_mm: float, last_mad: float, remaining: float
) -> None:
    r = refill_target(
        taw_mm=taw_mm,
        base_fraction=0.15,
        lowest_trigger_fraction=1.0,
        expected_rain_mm=0.0,
        last_period_mad=last_mad,
        remaining_etc_mm=remaining,
    )
    want = max(last_mad * taw_mm - max(remaining, 0.0), 0.0)
    assert r.season_end_mm == pytest.approx(want)
    # the target is the larger of the base and the season end, under the cap
    assert r.fraction * taw_mm == pytest.approx(min(max(0.15 * taw_mm, want), r.cap_mm))


@given(taw_mm=taw, base=st.floats(0.0, 0.3), lowest=st.floats(0.2, 0.8), rain_mm=mm)
def test_rain_room_adds_the_expected_rain_up_to_the_cap(
    taw_mm: float, base: float, lowest: float, rain_mm: float
) -> None:
    dry = refill_target(
        taw_mm=taw_mm, base_fraction=base, lowest_trigger_fraction=lowest, expected_rain_mm=0.0
    )
    wet = refill_target(
        taw_mm=taw_mm, base_fraction=base, lowest_trigger_fraction=lowest, expected_rain_mm=rain_mm
    )
    cap_mm = max(lowest - TRIGGER_GAP, 0.0) * taw_mm
    assert wet.fraction * taw_mm == pytest.approx(min(base * taw_mm + rain_mm, cap_mm))
    assert wet.fraction >= dry.fraction
    assert wet.season_end_mm is None and wet.rain_mm == rain_mm


def test_refill_examples() -> None:
    # TAW 100 mm, base 15 %, 12 mm of rain expected, lowest trigger 0.45:
    # 15 + 12 = 27 mm, under the cap (0.45 − 0.05) · 100 = 40 mm → 27 % of TAW
    r = refill_target(
        taw_mm=100.0, base_fraction=0.15, lowest_trigger_fraction=0.45, expected_rain_mm=12.0
    )
    assert r.fraction == pytest.approx(0.27) and r.cap_mm == pytest.approx(40.0)
    assert r.why() == "refill to 27% of TAW depleted (12 mm of rain expected)"
    # 40 mm of rain: 15 + 40 = 55 mm, capped at 40 mm → 40 %
    r = refill_target(
        taw_mm=100.0, base_fraction=0.15, lowest_trigger_fraction=0.45, expected_rain_mm=40.0
    )
    assert r.fraction == pytest.approx(0.40)
    # season end: TAW 120 mm, ripening MAD 0.65, 50 mm of ETc left to harvest:
    # 0.65 · 120 − 50 = 28 mm > base 18 mm; cap (0.65 − 0.05) · 120 = 72 mm → 28/120
    r = refill_target(
        taw_mm=120.0,
        base_fraction=0.15,
        lowest_trigger_fraction=0.65,
        expected_rain_mm=0.0,
        last_period_mad=0.65,
        remaining_etc_mm=50.0,
    )
    assert r.season_end_mm == pytest.approx(28.0)
    assert r.fraction == pytest.approx(28.0 / 120.0)
    assert "season end: the crop uses the soil to 28 mm" in r.why()
    # 100 mm of ETc left: 78 − 100 < 0 → season end 0 mm, the base 18 mm stands
    r = refill_target(
        taw_mm=120.0,
        base_fraction=0.15,
        lowest_trigger_fraction=0.65,
        expected_rain_mm=0.0,
        last_period_mad=0.65,
        remaining_etc_mm=100.0,
    )
    assert r.season_end_mm == 0.0 and r.fraction == pytest.approx(0.15)
    # a trigger held to a low p (0.10): refill to (0.10 − 0.05) = 5 % of TAW, not the base
    # 15 %, which would lie past the trigger and start the next run at once
    r = refill_target(
        taw_mm=100.0, base_fraction=0.15, lowest_trigger_fraction=0.10, expected_rain_mm=0.0
    )
    assert r.fraction == pytest.approx(0.05)


def test_refill_without_taw_is_the_base() -> None:
    r = refill_target(
        taw_mm=0.0, base_fraction=0.15, lowest_trigger_fraction=0.5, expected_rain_mm=10.0
    )
    assert r.fraction == 0.15 and r.cap_mm == 0.0
