"""``step.advance`` and its inputs at, just under and just over each bound (FAO-56 ch. 6-8).

Every expected value is worked by hand from the FAO-56 equation named beside it, on a loam of
θfc 0.25 and θwp 0.12 (TAW 130 mm per m of roots, eq. 82; TEW 1000 (0.25 − 0.5 × 0.12) × 0.1
= 19 mm, eq. 73; REW 9 mm) and crop values chosen so the arithmetic stays short: Kcb = Kcb min
= 0.15 and h = 0 give fc = 0 (eq. 76) and Kcmax = 1.2 (eq. 72, u2 2 m/s, RHmin 45 %).
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from models.crops import crop, height_m, kc_on_day, root_depth_m
from models.soils import SoilProfile, texture
from models.waterbalance import (
    CropStep,
    StepInputs,
    WaterBalanceInputError,
    ZoneSetup,
    ZoneState,
    advance,
)

LOAM = SoilProfile.uniform(texture("loam"), 1.2)
BARE = CropStep(
    kcb=0.15, kc=0.5, root_depth_m=1.0, height_m=0.0, kcb_min=0.15, p_table=0.5, mulch_factor=1.0
)


def _state(dr: float, *, taw: float = 130.0, de: float = 0.0, fw: float = 1.0) -> ZoneState:
    return ZoneState(dr_mm=dr, de_mm=de, fw=fw, taw_mm=taw)


def _values(state: ZoneState) -> tuple[float, float, float, float]:
    return (state.dr_mm, state.de_mm, state.fw, state.taw_mm)


# -- inputs: each bound, just inside and just outside ---------------------------------------


@pytest.mark.parametrize("field", ["efficiency", "fw_irrigation"])
def test_setup_fractions_in_zero_to_one(field: str) -> None:
    assert getattr(ZoneSetup(LOAM, **{field: 1.0}), field) == 1.0
    assert getattr(ZoneSetup(LOAM, **{field: 1e-9}), field) == 1e-9
    for bad in (0.0, 1.0 + 1e-9):
        with pytest.raises(WaterBalanceInputError, match=field):
            ZoneSetup(LOAM, **{field: bad})


@pytest.mark.parametrize("field", ["effective_rain_fraction", "subsoil_depletion_fraction"])
def test_setup_fractions_in_closed_zero_to_one(field: str) -> None:
    for good in (0.0, 1.0):
        assert getattr(ZoneSetup(LOAM, **{field: good}), field) == good
    for bad in (-1e-9, 1.0 + 1e-9):
        with pytest.raises(WaterBalanceInputError, match=field):
            ZoneSetup(LOAM, **{field: bad})


def test_setup_method_and_runoff_threshold() -> None:
    assert ZoneSetup(LOAM, method="single").method == "single"
    assert ZoneSetup(LOAM, runoff_threshold_mm=0.0).runoff_threshold_mm == 0.0
    with pytest.raises(WaterBalanceInputError, match="method"):
        ZoneSetup(LOAM, method="triple")  # type: ignore[arg-type]
    with pytest.raises(WaterBalanceInputError, match="runoff_threshold_mm"):
        ZoneSetup(LOAM, runoff_threshold_mm=-1e-9)


@pytest.mark.parametrize(
    "field", ["et_ref_mm", "rain_mm", "irrigation_gross_mm", "u2_m_s", "rhmin_pct", "et_ref_day_mm"]
)
def test_step_depths_finite_and_not_negative(field: str) -> None:
    base = {"et_ref_mm": 1.0}
    assert getattr(StepInputs(**{**base, field: 0.0}), field) == 0.0
    for bad in (-1e-9, math.inf, math.nan):
        with pytest.raises(WaterBalanceInputError, match=f"{field}: "):
            StepInputs(**{**base, field: bad})


def test_step_irrigation_fw_in_zero_to_one() -> None:
    assert StepInputs(et_ref_mm=1.0, irrigation_fw=1.0).irrigation_fw == 1.0
    assert StepInputs(et_ref_mm=1.0).irrigation_fw is None
    for bad in (0.0, 1.0 + 1e-9):
        with pytest.raises(WaterBalanceInputError, match="irrigation_fw"):
            StepInputs(et_ref_mm=1.0, irrigation_fw=bad)


def test_state_bounds() -> None:
    assert _state(130.0 + 1e-9).dr_mm == 130.0 + 1e-9  # TAW within rounding, at its bound
    assert _state(0.0, taw=0.5).taw_mm == 0.5  # a root zone under 1 mm is still one
    assert _state(0.0, taw=1e-9).taw_mm == 1e-9
    assert _state(0.0, de=0.0, fw=1.0).fw == 1.0
    bad_states = [
        ("taw_mm", {"taw": 0.0}),
        ("taw_mm", {"taw": math.inf}),
        ("dr_mm", {"dr": 130.0 + 2e-9}),
        ("dr_mm", {"dr": -1e-12}),
        ("de_mm", {"de": -1e-9}),
        ("de_mm", {"de": math.inf}),
        ("fw", {"fw": 0.0}),
        ("fw", {"fw": 1.0 + 1e-9}),
    ]
    for name, change in bad_states:
        values = {"dr": 0.0, "taw": 130.0, "de": 0.0, "fw": 1.0, **change}
        with pytest.raises(WaterBalanceInputError, match=name):
            ZoneState(dr_mm=values["dr"], de_mm=values["de"], fw=values["fw"], taw_mm=values["taw"])


@pytest.mark.parametrize(
    ("theta0", "dr"),
    [
        (None, 0.0),  # field capacity
        (0.20, 50.0),  # eq. 87: 1000 (0.25 − 0.20) × 1 m
        (0.30, 0.0),  # wetter than field capacity: Dr ≥ 0
        (0.10, 130.0),  # drier than the wilting point: Dr ≤ TAW
    ],
)
def test_state_at_planting_eq87(theta0: float | None, dr: float) -> None:
    state = ZoneState.at_planting(ZoneSetup(LOAM), 1.0, theta0)
    assert _values(state) == pytest.approx((dr, 19.0, 1.0, 130.0))


def test_crop_step_on_day_takes_each_value_from_the_crop() -> None:
    seed_corn = crop("seed_corn")  # Kcb ini 0.15, p 0.55, mulch 0.85
    day = CropStep.on_day(seed_corn, 60.0)
    assert day.kcb == kc_on_day(seed_corn, 60.0, basal=True)
    assert day.kc == kc_on_day(seed_corn, 60.0)
    assert day.kc != day.kcb
    assert day.root_depth_m == root_depth_m(seed_corn, 60.0)
    assert day.height_m == height_m(seed_corn, 60.0)
    assert (day.kcb_min, day.p_table, day.mulch_factor) == (0.15, 0.55, 0.85)


# -- the step ---------------------------------------------------------------------------------


def test_dual_wet_bare_soil_day() -> None:
    # Kr = 1 (De 0 ≤ REW, eq. 74); few = 1 (eq. 75); Ke = min(1 × (1.2 − 0.15), 1 × 1.2) = 1.05
    # (eq. 71); Kc = 0.15 + 1.05 = 1.2 (eq. 69); p = 0.5 + 0.04 (5 − 6.0) = 0.46 (Table 22)
    r = advance(_state(20.0), ZoneSetup(LOAM), BARE, StepInputs(et_ref_mm=5.0))
    assert (r.kcb, r.kcmax, r.fc, r.few, r.kr) == pytest.approx((0.15, 1.2, 0.0, 1.0, 1.0))
    assert (r.ke, r.kc, r.ks) == pytest.approx((1.05, 1.2, 1.0))
    assert (r.p, r.taw_mm, r.raw_mm) == pytest.approx((0.46, 130.0, 59.8))  # eq. 82, 83
    assert r.etc_mm == pytest.approx(6.0)
    assert r.evaporation_mm == pytest.approx(5.25)  # Ke ET0
    assert r.transpiration_mm == pytest.approx(0.75)  # Ks Kcb ET0, eq. 80
    assert r.eta_mm == pytest.approx(6.0)
    assert (r.dp_mm, r.dpe_mm, r.root_zone_change_mm) == (0.0, 0.0, 0.0)
    # Dr = 20 + 6 (eq. 85); De = 0 + E / few (eq. 77)
    assert _values(r.state) == pytest.approx((26.0, 5.25, 1.0, 130.0))


def test_single_kc_with_mulch_keeps_the_evaporation_layer() -> None:
    # Kc = 0.5 × 0.8 = 0.4; ETc 2.0 mm; p = 0.5 + 0.04 (5 − 2.0) = 0.62; RAW 80.6 mm
    mulched = dataclasses.replace(BARE, mulch_factor=0.8)
    start = _state(20.0, de=7.0, fw=0.4)
    r = advance(start, ZoneSetup(LOAM, method="single"), mulched, StepInputs(et_ref_mm=5.0))
    assert (r.kcb, r.ke, r.kcmax, r.fc, r.few, r.kr) == (0.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    assert (r.kc, r.p, r.raw_mm) == pytest.approx((0.4, 0.62, 80.6))
    assert (r.etc_mm, r.eta_mm, r.transpiration_mm) == pytest.approx((2.0, 2.0, 2.0))
    assert (r.evaporation_mm, r.dpe_mm) == (0.0, 0.0)
    assert _values(r.state) == pytest.approx((22.0, 7.0, 0.4, 130.0))


def test_p_of_a_sub_daily_step_from_the_day_reference_et() -> None:
    # Table 22 is per day: p = 0.5 + 0.04 (5 − 0.5 × 6) = 0.58, not 0.5 + 0.04 (5 − 0.25)
    single = ZoneSetup(LOAM, method="single")
    hour = StepInputs(et_ref_mm=0.5, et_ref_day_mm=6.0)
    assert advance(_state(20.0), single, BARE, hour).p == pytest.approx(0.58)
    assert advance(_state(20.0), single, BARE, StepInputs(et_ref_mm=0.5)).p == pytest.approx(0.69)


def test_rain_and_irrigation_in_and_deep_percolation_eq88() -> None:
    # Rain 30 mm, threshold 20 mm, half of it effective: 10 in, 20 run off; 10 mm gross at
    # efficiency 0.8: 8 mm net, 2 mm lost
    setup = ZoneSetup(
        LOAM, method="single", efficiency=0.8, effective_rain_fraction=0.5, runoff_threshold_mm=20.0
    )
    day = StepInputs(et_ref_mm=0.0, rain_mm=30.0, irrigation_gross_mm=10.0)
    r = advance(_state(40.0), setup, BARE, day)
    assert (r.rain_effective_mm, r.runoff_mm) == pytest.approx((10.0, 20.0))
    assert (r.irrigation_net_mm, r.irrigation_loss_mm) == pytest.approx((8.0, 2.0))
    assert r.dp_mm == 0.0
    assert r.state.dr_mm == pytest.approx(22.0)  # 40 − 10 − 8 (eq. 85)
    wet = advance(_state(10.0), setup, BARE, day)
    assert wet.dp_mm == pytest.approx(8.0)  # 10 + 8 − 0 − 10 (eq. 88)
    assert wet.state.dr_mm == 0.0  # eq. 86


def test_drip_event_fw_overrides_the_zone_and_wets_the_layer_eqs_77_79() -> None:
    # fw 0.5 for this event: I/fw = 20 mm on De 15 → DPe 5 (eq. 79); Kr = (19 − 15) / 10 = 0.4,
    # few = min(1 − 0, 0.5) = 0.5, Ke = min(0.4 × 1.05, 0.5 × 1.2) = 0.42, E = 2.1 mm;
    # De = 15 − 20 + 2.1 / 0.5 + 5 = 4.2 mm (eq. 77)
    day = StepInputs(et_ref_mm=5.0, irrigation_gross_mm=10.0, irrigation_fw=0.5)
    r = advance(_state(30.0, de=15.0), ZoneSetup(LOAM, fw_irrigation=1.0), BARE, day)
    assert (r.few, r.kr, r.ke) == pytest.approx((0.5, 0.4, 0.42))
    assert r.evaporation_mm == pytest.approx(2.1)
    assert r.dpe_mm == pytest.approx(5.0)
    assert r.state.fw == 0.5
    assert r.state.de_mm == pytest.approx(4.2)
    zone_fw = advance(_state(30.0, de=15.0), ZoneSetup(LOAM, fw_irrigation=0.5), BARE, day)
    assert zone_fw.state == r.state
    no_override = dataclasses.replace(day, irrigation_fw=None)
    drip = ZoneSetup(LOAM, fw_irrigation=0.35)
    assert advance(_state(30.0, de=15.0), drip, BARE, no_override).state.fw == 0.35


def test_roots_grow_into_partly_depleted_subsoil() -> None:
    # Zr 0.5 → 0.8 m: TAW 65 → 104 mm; the 39 mm of new soil enter half depleted (19.5 mm)
    setup = ZoneSetup(LOAM, method="single", subsoil_depletion_fraction=0.5)
    deeper = dataclasses.replace(BARE, root_depth_m=0.8)
    r = advance(_state(10.0, taw=65.0), setup, deeper, StepInputs(et_ref_mm=0.0))
    assert r.taw_mm == pytest.approx(104.0)
    assert r.state.dr_mm == pytest.approx(29.5)
    assert r.root_zone_change_mm == pytest.approx((104.0 - 29.5) - (65.0 - 10.0))  # 19.5


def test_roots_not_growing_bring_no_subsoil_depletion() -> None:
    setup = ZoneSetup(LOAM, method="single", subsoil_depletion_fraction=0.5)
    r = advance(_state(10.0), setup, BARE, StepInputs(et_ref_mm=0.0))
    assert (r.state.dr_mm, r.root_zone_change_mm) == (10.0, 0.0)


def test_shallower_roots_hold_at_most_their_taw() -> None:
    # Zr 1.0 → 0.5 m with Dr 120 mm: Dr is cut to the new TAW, 65 mm
    shallower = dataclasses.replace(BARE, root_depth_m=0.5)
    r = advance(_state(120.0), ZoneSetup(LOAM, method="single"), shallower, StepInputs(0.0))
    assert r.state.dr_mm == pytest.approx(65.0)
    assert r.root_zone_change_mm == pytest.approx(0.0 - (130.0 - 120.0))


def test_dry_root_zone_cuts_evaporation_first() -> None:
    # Zr 0.2 m: TAW 26 mm; Dr 24 leaves 2 mm. p = 0.8 + 0.04 (5 − 6) = 0.76, RAW 19.76 mm;
    # Ks = (26 − 24) / (26 − 19.76) = 2 / 6.24 (eq. 84); T = Ks × 0.15 × 5; E = 5.25 mm.
    # Dr would pass TAW by E + T − 2, all taken from E: E = 2 − T, T unchanged
    crop_day = dataclasses.replace(BARE, root_depth_m=0.2, p_table=0.8)
    r = advance(_state(24.0, taw=26.0), ZoneSetup(LOAM), crop_day, StepInputs(et_ref_mm=5.0))
    t = 2.0 / 6.24 * 0.75
    assert r.ks == pytest.approx(2.0 / 6.24)
    assert r.transpiration_mm == pytest.approx(t)
    assert r.evaporation_mm == pytest.approx(2.0 - t)
    assert r.eta_mm == pytest.approx(2.0)
    assert r.state.dr_mm == 26.0


def test_dry_root_zone_cuts_transpiration_after_evaporation() -> None:
    # Kcb 1.0: fc = (0.85 / 1.05)¹ (eq. 76), few = 1 − fc = 0.2 / 1.05 (eq. 75); De 18 gives
    # Kr 0.1, Ke = min(0.1 × 0.2, few × 1.2) = 0.02, E = 0.2 mm at ET0 10 mm. Zr 0.1 m: TAW 13;
    # p = 0.8 + 0.04 (5 − 10.2) = 0.592, RAW 7.696; Dr 12: Ks = 1 / 5.304, T = 10 / 5.304 mm.
    # 1 mm is left: E goes first (0.2 mm), then T is cut to 1 mm
    crop_day = dataclasses.replace(BARE, kcb=1.0, root_depth_m=0.1, p_table=0.8)
    start = _state(12.0, taw=13.0, de=18.0)
    r = advance(start, ZoneSetup(LOAM), crop_day, StepInputs(et_ref_mm=10.0))
    assert (r.kr, r.ke) == pytest.approx((0.1, 0.02))
    assert r.ks == pytest.approx(1.0 / 5.304)
    assert r.evaporation_mm == 0.0
    assert r.transpiration_mm == pytest.approx(1.0)
    assert r.eta_mm == pytest.approx(1.0)
    assert r.state.dr_mm == 13.0
    assert r.state.de_mm == pytest.approx(18.0)  # nothing evaporated from the layer (eq. 77)


def test_single_dry_root_zone_gives_what_is_left() -> None:
    # Kc 1.0, ET0 10, Zr 0.1 (TAW 13): p = 0.8 + 0.04 (5 − 10) = 0.6, RAW 7.8; Dr 12:
    # T = 1 / 5.2 × 10 = 1.92 mm, cut to the 1 mm left
    crop_day = dataclasses.replace(BARE, kc=1.0, root_depth_m=0.1, p_table=0.8)
    setup = ZoneSetup(LOAM, method="single")
    r = advance(_state(12.0, taw=13.0), setup, crop_day, StepInputs(et_ref_mm=10.0))
    assert r.ks == pytest.approx(1.0 / 5.2)
    assert (r.evaporation_mm, r.transpiration_mm, r.eta_mm) == pytest.approx((0.0, 1.0, 1.0))
    assert r.state.dr_mm == 13.0
