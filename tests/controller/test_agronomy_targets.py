"""An et zone's triggers and refill target over the horizon (controller/agronomy/targets.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.agronomy.targets import TRIGGER_FLOOR, expected_rain_mm, zone_targets
from controller.agronomy.types import REFILL_TARGET_FRACTION
from controller.config.site import SiteConfig, ZoneConfig, load_site
from models.crops import crop, depletion_fraction, kc_on_day
from models.planner.targets import TRIGGER_GAP
from tests.helpers.agronomy import planned
from tests.helpers.site import DEMO_SITE
from web.pages.said import decision_figures

TODAY = dt.date(2026, 7, 6)
SEED = crop("seed_corn")  # stages end on DAP 30, 78, 100 (flowering, critical), 125, 153
MULCHED_KC_MID = 1.20 * 0.85  # Kc mid under film (mulch factor 0.85)


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


def z1(site: SiteConfig, **changes: object) -> ZoneConfig:
    zone = site.zones[0]
    assert zone.crop == "seed_corn" and zone.targets == "staged"
    return zone.model_copy(update=changes)


def test_a_horizon_into_flowering_holds_the_trigger_to_p_from_its_first_day(
    site: SiteConfig,
) -> None:
    # DAP 76-80, mid-season Kc 1.02, ET0 10 mm/d: ETc 10.2 mm/d,
    # p = 0.55 + 0.04 (5 − 10.2) = 0.342. Vegetative (to DAP 78) triggers at its MAD 0.40
    # (a deficit past p); flowering (DAP 79 on, critical, MAD 0.40) is held to p 0.342.
    p = 0.55 + 0.04 * (5.0 - MULCHED_KC_MID * 10.0)
    assert p == pytest.approx(0.342)
    t = zone_targets(
        z1(site),
        SEED,
        76,
        120.0,
        [10.0] * 5,
        today=TODAY,
        forecast_rain_mm_day=None,
        rain_normals_mm=None,
    )
    assert t.mad_fraction == pytest.approx((0.40, 0.40, 0.40, p, p))
    assert t.numbers["stage"] == "vegetative" and t.numbers["deficit"] is True
    # Ks at the trigger (1 − 0.40) / (1 − 0.342) = 0.912
    assert t.numbers["ks_at_trigger"] == pytest.approx(0.60 / (1.0 - p))
    assert t.note.startswith("vegetative, Ky 0.4: deficit allowed to 40% of TAW (p 34%, Ks ≥ 0.91)")
    # no rain expected: the base 15 %, under the cap (0.342 − 0.05) of the flowering trigger
    assert t.refill_fraction == pytest.approx(REFILL_TARGET_FRACTION)
    # the day after, flowering is two days off; on DAP 79 the decision is flowering's own
    on_79 = zone_targets(
        z1(site),
        SEED,
        79,
        120.0,
        [10.0] * 3,
        today=TODAY,
        forecast_rain_mm_day=None,
        rain_normals_mm=None,
    )
    assert on_79.numbers["stage"] == "flowering" and on_79.numbers["critical"] is True
    assert on_79.numbers["deficit"] is False and on_79.numbers["ks_at_trigger"] == 1.0
    assert on_79.note.startswith("flowering, Ky 1.5: no deficit, trigger 34% of TAW (p 34%)")


def test_fao56_targets_give_p_and_the_fixed_refill(site: SiteConfig) -> None:
    # DAP 50 (development): Kc = 0.30 + 20/40 · (1.20 − 0.30) = 0.75, × 0.85 = 0.6375;
    # ET0 6 mm/d: ETc 3.825, p = 0.55 + 0.04 (5 − 3.825) = 0.597
    et0 = [6.0, 6.0, 6.0]
    t = zone_targets(
        z1(site, targets="fao56"),
        SEED,
        50,
        100.0,
        et0,
        today=TODAY,
        forecast_rain_mm_day=[20.0, 0.0, 0.0],
        rain_normals_mm=None,
    )
    want = [depletion_fraction(0.55, kc_on_day(SEED, 50 + d, mulched=True) * 6.0) for d in range(3)]
    assert want[0] == pytest.approx(0.597)
    assert t.mad_fraction == pytest.approx(want)
    assert t.refill_fraction == REFILL_TARGET_FRACTION  # no rain room in the old rule
    assert t.note == "" and t.numbers == {"targets": "fao56"}


def test_a_zones_mad_fraction_overrides_the_stages(site: SiteConfig) -> None:
    # flowering would be held to p; the zone's own setting 0.6 wins and the note says so
    t = zone_targets(
        z1(site, mad_fraction=0.6),
        SEED,
        85,
        120.0,
        [10.0] * 3,
        today=TODAY,
        forecast_rain_mm_day=None,
        rain_normals_mm=None,
    )
    assert t.mad_fraction == (0.6, 0.6, 0.6)
    assert "trigger 60% of TAW by the zone's mad_fraction" in t.note
    assert "no deficit" not in t.note
    # (1 − 0.6) / (1 − 0.342): the stress the setting accepts is stated, not hidden
    assert t.numbers["deficit"] is True
    assert t.numbers["ks_at_trigger"] == pytest.approx(0.4 / (1.0 - 0.342))
    fao = zone_targets(
        z1(site, mad_fraction=0.6, targets="fao56"),
        SEED,
        85,
        120.0,
        [10.0] * 3,
        today=TODAY,
        forecast_rain_mm_day=None,
        rain_normals_mm=None,
    )
    assert fao.mad_fraction == (0.6, 0.6, 0.6)
    low = zone_targets(
        z1(site, mad_fraction=0.2),
        SEED,
        85,
        120.0,
        [2.0] * 3,
        today=TODAY,
        forecast_rain_mm_day=None,
        rain_normals_mm=None,
    )
    assert min(low.mad_fraction) >= TRIGGER_FLOOR > low.refill_fraction


def test_a_crop_without_stages_falls_back_to_p_with_a_note(site: SiteConfig) -> None:
    pepper = crop("pepper")
    assert pepper.stages == ()
    # DAP 100 (mid): Kc 1.05, ET0 5: ETc 5.25, p = 0.30 + 0.04 (5 − 5.25) = 0.29
    t = zone_targets(
        z1(site, crop="pepper"),
        pepper,
        100,
        50.0,
        [5.0, 5.0],
        today=TODAY,
        forecast_rain_mm_day=None,
        rain_normals_mm=[10.0] * 12,
    )
    assert t.mad_fraction == pytest.approx((0.29, 0.29))
    assert t.refill_fraction == REFILL_TARGET_FRACTION
    assert t.numbers == {"targets": "fao56", "targets_note": "crop pepper has no stages: FAO-56 p"}


def test_expected_rain_from_the_forecast_normals_or_nothing() -> None:
    # the forecast's first three days: 4 + 5 + 6
    assert expected_rain_mm(TODAY, [4.0, 5.0, 6.0, 7.0], None) == (15.0, "forecast")
    # the forecast wins over the normals
    assert expected_rain_mm(TODAY, [1.0, 0.0, 0.0], [90.0] * 12)[0] == 1.0
    # 29, 30 June and 1 July: 2 · 30/30 + 62/31 = 4 mm
    normals = [5.0, 4.0, 8.0, 10.0, 20.0, 30.0, 62.0, 50.0, 20.0, 8.0, 3.0, 2.0]
    mm, source = expected_rain_mm(dt.date(2026, 6, 29), None, normals)
    assert mm == pytest.approx(4.0) and source == "monthly normals"
    # 27-29 February of a leap year: 3 · 4/29
    assert expected_rain_mm(dt.date(2028, 2, 27), [], normals)[0] == pytest.approx(12.0 / 29)
    # 31 Dec - 2 Jan: 2/31 + 2 · 5/31
    assert expected_rain_mm(dt.date(2026, 12, 31), None, normals)[0] == pytest.approx(12 / 31)
    mm, source = expected_rain_mm(TODAY, None, None)
    assert mm == 0.0 and source == "none (no forecast, no rain_normals_mm)"


def test_the_note_carries_stage_ky_rain_and_season_end(site: SiteConfig) -> None:
    # DAP 140 (ripening, MAD 0.65, Ky 0.2), TAW 150 mm, ET0 5 mm/d, 12 mm of rain forecast.
    # Late-stage Kc = 0.85 (1.20 − 0.60 (d − 120)/33); DAP 140..152, Σ(d − 120) = 338:
    # remaining ETc = 5 · 0.85 (13 · 1.20 − 0.60 · 338/33) = 40.18 mm.
    remaining = 5 * 0.85 * (13 * 1.20 - 0.60 * 338 / 33)
    assert remaining == pytest.approx(40.18, abs=0.01)
    # season end: 0.65 · 150 − 40.18 = 57.32 mm, more than base + rain 22.5 + 12 = 34.5 mm,
    # under the cap (0.65 − 0.05) · 150 = 90 mm: refill to 57.32/150 = 38 % of TAW.
    # ETc today 5 · 0.85 (1.20 − 0.60 · 20/33) = 3.55: p = 0.55 + 0.04 (5 − 3.55) = 0.608
    # Ks at 0.65: 0.35 / 0.392 = 0.89
    t = zone_targets(
        z1(site),
        SEED,
        140,
        150.0,
        [5.0] * 3,
        today=TODAY,
        forecast_rain_mm_day=[6.0, 6.0, 0.0],
        rain_normals_mm=None,
    )
    assert t.numbers["remaining_etc_mm"] == pytest.approx(remaining)
    assert t.numbers["season_end_mm"] == pytest.approx(0.65 * 150 - remaining)
    assert t.refill_fraction == pytest.approx((0.65 * 150 - remaining) / 150)
    assert t.note == (
        "ripening, Ky 0.2: deficit allowed to 65% of TAW (p 61%, Ks ≥ 0.89); refill to 38% of "
        "TAW depleted (12 mm of rain expected; season end: the crop uses the soil to 57 mm)"
    )
    assert t.numbers["rain_expected_mm"] == 12.0
    assert t.numbers["rain_expected_source"] == "forecast"
    assert t.numbers["ky"] == 0.2 and t.numbers["stage"] == "ripening"


def test_rain_room_outside_the_last_period_and_its_cap(site: SiteConfig) -> None:
    # DAP 110 (yield formation, critical, MAD 0.50), TAW 100 mm, ET0 5 mm/d: ETc 5.1,
    # p = 0.55 − 0.004 = 0.546, trigger 0.50. Rain 12 mm: 15 + 12 = 27 % (cap 45 %).
    t = zone_targets(
        z1(site),
        SEED,
        110,
        100.0,
        [5.0] * 3,
        today=TODAY,
        forecast_rain_mm_day=[12.0],
        rain_normals_mm=None,
    )
    assert t.mad_fraction == (0.5, 0.5, 0.5)
    assert t.refill_fraction == pytest.approx(0.27)
    assert t.numbers["season_end_mm"] is None and t.numbers["remaining_etc_mm"] is None
    assert "refill to 27% of TAW depleted (12 mm of rain expected)" in t.note
    # 60 mm forecast: capped 5 % of TAW below the trigger, 45 %
    wet = zone_targets(
        z1(site),
        SEED,
        110,
        100.0,
        [5.0] * 3,
        today=TODAY,
        forecast_rain_mm_day=[60.0],
        rain_normals_mm=None,
    )
    assert wet.refill_fraction == pytest.approx(0.45)


def test_the_recorded_decision_carries_the_stage_and_rain_room(tmp_path: Path) -> None:
    """The daemon's plan over a real store: the decision's sentence and inputs say the stage,
    its Ky and the rain the refill leaves room for (from the site's monthly normals)."""
    # the demo's own normals, replaced by a wetter June so the room is plain to see
    text, replaced = re.subn(
        r"(?m)^rain_normals_mm = \[[^\]]*\]$",
        "rain_normals_mm = [1, 1, 3, 5, 31, 60, 35, 30, 15, 4, 1, 1]",
        DEMO_SITE.read_text(encoding="utf-8"),
    )
    assert replaced == 1
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    site = load_site(path)
    today = dt.date(2026, 5, 31)  # z1 planted 20 April: DAP 41, vegetative
    with planned(site, tmp_path / "q.db", today) as store:
        z1 = next(d for d in store.decisions() if d.zone == "z1")
    # rain room: 31 May, 1 and 2 June: 31/31 + 2 · 60/30 = 5 mm
    assert z1.inputs["stage"] == "vegetative" and z1.inputs["ky"] == 0.4
    assert z1.inputs["rain_expected_mm"] == pytest.approx(5.0)
    assert z1.inputs["rain_expected_source"] == "monthly normals"
    assert z1.inputs["mad_source"] == "crop stages"
    assert "vegetative, Ky 0.4: " in z1.reason
    assert "(5 mm of rain expected)" in z1.reason
    # the refill: 15 % of TAW + 5 mm
    taw = z1.inputs["taw_mm"]
    assert z1.inputs["refill_target_fraction"] == pytest.approx(0.15 + 5.0 / taw)
    # the zone page says these figures from the record's values, in its language
    figures = decision_figures("zh-CN", z1.inputs)
    refill = f"{100 * z1.inputs['refill_target_fraction']:.0f}"
    assert figures is not None and figures.startswith("拔节期，Ky 0.4；灌溉阈值 ")
    assert f"补水至亏缺 {refill}% TAW；当前亏缺 {z1.inputs['dr_now_mm']:.1f} mm" in figures


def test_a_critical_trigger_below_the_floor_stays_at_p_and_the_refill_below_it(
    site: SiteConfig,
) -> None:
    # a crop with p 0.30 in flowering at ETc 1.02 · 10 = 10.2 mm/d:
    # p = 0.30 + 0.04 (5 − 10.2) = 0.092, bounded to 0.10 — below the trigger floor 0.20.
    # Flowering holds the trigger to p (Ks = 1 first); the refill goes 5 % of TAW below it.
    thirsty = dataclasses.replace(SEED, p=0.30)
    t = zone_targets(
        z1(site),
        thirsty,
        85,
        120.0,
        [10.0] * 3,
        today=TODAY,
        forecast_rain_mm_day=[9.0],
        rain_normals_mm=None,
    )
    assert t.mad_fraction == pytest.approx((0.10, 0.10, 0.10))
    assert TRIGGER_FLOOR > 0.10
    assert t.refill_fraction == pytest.approx(0.05)  # not the 15 % base, past the trigger
    assert t.numbers["ks_at_trigger"] == 1.0 and t.numbers["deficit"] is False
    assert all(m > t.refill_fraction for m in t.mad_fraction)  # what the planner requires


@settings(max_examples=150, deadline=None)
@given(
    key=st.sampled_from(["seed_corn", "maize_grain"]),
    dap=st.integers(0, 170),
    et0=st.lists(st.floats(0.0, 15.0), min_size=1, max_size=9),
    taw_mm=st.floats(10.0, 300.0),
    rain=st.none() | st.lists(st.floats(0.0, 80.0), min_size=1, max_size=9),
    normals=st.booleans(),
)
def test_no_deficit_is_planned_in_a_critical_stage_over_any_horizon(
    site: SiteConfig,
    key: str,
    dap: int,
    et0: list[float],
    taw_mm: float,
    rain: list[float] | None,
    normals: bool,
) -> None:
    zone = site.zones[0]
    c = crop(key)
    t = zone_targets(
        zone,
        c,
        dap,
        taw_mm,
        et0,
        today=TODAY,
        forecast_rain_mm_day=rain,
        rain_normals_mm=[40.0] * 12 if normals else None,
    )
    assert len(t.mad_fraction) == len(et0)
    for d, (mad, e) in enumerate(zip(t.mad_fraction, et0, strict=True)):
        stage = c.stage_on_day(dap + d)
        assert stage is not None
        if stage.critical:
            p = depletion_fraction(c.p, kc_on_day(c, dap + d, mulched=True) * e)
            assert mad <= p + 1e-12, (d, stage.name)
    assert 0.0 <= t.refill_fraction <= min(t.mad_fraction) - TRIGGER_GAP + 1e-9
