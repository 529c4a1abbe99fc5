"""One zone, one step (FAO-56 ch. 6-8) and probe assimilation."""

from __future__ import annotations

import dataclasses

import pytest

from models.crops import crop
from models.soils import Layer, SoilProfile, texture
from models.waterbalance import (
    CropStep,
    ProbeReading,
    StepInputs,
    StepResult,
    WaterBalanceInputError,
    ZoneSetup,
    ZoneState,
    advance,
    assimilate,
    observed_depletion_mm,
)

LOAM = SoilProfile.uniform(texture("loam"), 1.2)  # θfc 0.25, θwp 0.12: 130 mm/m
SEED_CORN = crop("seed_corn")


def _state(dr: float, root_depth_m: float = 1.0, de: float = 19.0) -> ZoneState:
    return ZoneState(dr_mm=dr, de_mm=de, fw=1.0, taw_mm=LOAM.taw_mm(root_depth_m))


def _closure(start: ZoneState, day: StepInputs, result: StepResult) -> float:
    """inputs − outputs − Δ(TAW − Dr), mm."""
    end = result.state
    inputs = day.rain_mm + day.irrigation_gross_mm + result.root_zone_change_mm
    outputs = result.runoff_mm + result.irrigation_loss_mm + result.eta_mm + result.dp_mm
    storage = (end.taw_mm - end.dr_mm) - (start.taw_mm - start.dr_mm)
    return inputs - outputs - storage


def test_single_kc_unstressed_day() -> None:
    setup = ZoneSetup(LOAM, method="single")
    crop_day = CropStep.on_day(crop("maize_grain"), 80.0)  # mid-season, Kc 1.20, Zr 1.0
    result = advance(_state(20.0), setup, crop_day, StepInputs(et_ref_mm=6.0))
    assert result.ks == 1.0  # Dr 20 < RAW
    assert result.eta_mm == pytest.approx(1.20 * 6.0)  # eq. 56/80
    assert result.state.dr_mm == pytest.approx(20.0 + 7.2)  # eq. 85
    assert result.p == pytest.approx(0.55 + 0.04 * (5.0 - 7.2))  # Table 22 footnote
    assert result.raw_mm == pytest.approx(result.p * 130.0)  # eq. 83


def test_single_kc_with_mulch() -> None:
    setup = ZoneSetup(LOAM, method="single")
    result = advance(
        _state(20.0), setup, CropStep.on_day(SEED_CORN, 80.0), StepInputs(et_ref_mm=6.0)
    )
    assert result.eta_mm == pytest.approx(1.20 * 0.85 * 6.0)


def test_stress_reduces_transpiration_eq84() -> None:
    setup = ZoneSetup(LOAM, method="single")
    crop_day = CropStep.on_day(crop("maize_grain"), 80.0)
    result = advance(_state(100.0), setup, crop_day, StepInputs(et_ref_mm=5.0))
    assert result.raw_mm < 100.0
    assert result.ks == pytest.approx((130.0 - 100.0) / (130.0 - result.raw_mm))
    assert result.eta_mm == pytest.approx(result.ks * 1.2 * 5.0)


def test_deep_percolation_eq88_and_efficiency() -> None:
    setup = ZoneSetup(LOAM, method="single", efficiency=0.9)
    crop_day = CropStep.on_day(crop("maize_grain"), 80.0)
    day = StepInputs(et_ref_mm=5.0, irrigation_gross_mm=50.0)
    result = advance(_state(20.0), setup, crop_day, day)
    assert result.irrigation_net_mm == pytest.approx(45.0)  # net = gross × efficiency
    assert result.irrigation_loss_mm == pytest.approx(5.0)
    assert result.dp_mm == pytest.approx(45.0 - 6.0 - 20.0)  # eq. 88
    assert result.state.dr_mm == 0.0
    assert _closure(_state(20.0), day, result) == pytest.approx(0.0, abs=1e-12)


def test_rain_runoff_threshold_and_fraction() -> None:
    setup = ZoneSetup(LOAM, effective_rain_fraction=0.8, runoff_threshold_mm=30.0)
    day = StepInputs(et_ref_mm=3.0, rain_mm=50.0)
    result = advance(_state(60.0), setup, CropStep.on_day(SEED_CORN, 80.0), day)
    assert result.rain_effective_mm == pytest.approx(0.8 * 30.0)
    assert result.runoff_mm == pytest.approx(50.0 - 24.0)
    assert _closure(_state(60.0), day, result) == pytest.approx(0.0, abs=1e-12)


def test_dual_kc_wet_soil_evaporates_eq71() -> None:
    setup = ZoneSetup(LOAM)
    crop_day = CropStep.on_day(SEED_CORN, 5.0)  # initial stage, bare soil
    start = _state(10.0, root_depth_m=0.2, de=0.0)  # evaporation layer just wetted
    result = advance(start, setup, crop_day, StepInputs(et_ref_mm=5.0))
    assert result.kr == 1.0  # De 0 < REW, eq. 74
    assert result.kcmax == pytest.approx(1.2 + 0.0 * 1)  # u2 2, RHmin 45, eq. 72
    assert result.ke == pytest.approx(0.85 * (1.2 - 0.15))  # eq. 71 with mulch 0.85
    assert result.evaporation_mm == pytest.approx(result.ke * 5.0)
    assert result.state.de_mm == pytest.approx(result.evaporation_mm / result.few)  # eq. 77


def test_dual_kc_dry_surface_does_not_evaporate() -> None:
    setup = ZoneSetup(LOAM)
    start = _state(10.0, root_depth_m=0.2, de=LOAM.tew_mm())
    result = advance(start, setup, CropStep.on_day(SEED_CORN, 5.0), StepInputs(et_ref_mm=5.0))
    assert result.kr == 0.0 and result.evaporation_mm == 0.0


def test_drip_irrigation_wets_a_fraction() -> None:
    setup = ZoneSetup(LOAM, fw_irrigation=0.35)
    start = _state(20.0, root_depth_m=0.2)
    day = StepInputs(et_ref_mm=5.0, irrigation_gross_mm=10.0)
    result = advance(start, setup, CropStep.on_day(SEED_CORN, 5.0), day)
    assert result.state.fw == 0.35
    assert result.few == pytest.approx(0.35)  # eq. 75, fc = 0 at the initial stage


def test_root_growth_adds_soil_at_field_capacity() -> None:
    setup = ZoneSetup(LOAM, method="single")
    start = _state(20.0, root_depth_m=0.5)
    day = StepInputs(et_ref_mm=0.0)
    result = advance(start, setup, CropStep.on_day(SEED_CORN, 60.0), day)  # Zr 0.8 m
    assert result.taw_mm == pytest.approx(130.0 * 0.8)
    assert result.state.dr_mm == pytest.approx(20.0)
    assert result.root_zone_change_mm == pytest.approx(130.0 * 0.3)
    assert _closure(start, day, result) == pytest.approx(0.0, abs=1e-12)


def test_depletion_never_exceeds_taw() -> None:
    setup = ZoneSetup(LOAM)
    start = _state(LOAM.taw_mm(0.2) - 0.1, root_depth_m=0.2, de=0.0)
    day = StepInputs(et_ref_mm=10.0)
    result = advance(start, setup, CropStep.on_day(SEED_CORN, 5.0), day)
    assert result.state.dr_mm == pytest.approx(result.taw_mm)
    assert result.eta_mm == pytest.approx(0.1)
    assert _closure(start, day, result) == pytest.approx(0.0, abs=1e-12)


def test_hourly_steps_equal_a_daily_step_when_unstressed() -> None:
    setup = ZoneSetup(LOAM, method="single")
    crop_day = CropStep.on_day(crop("maize_grain"), 80.0)
    daily = advance(_state(20.0), setup, crop_day, StepInputs(et_ref_mm=6.0))
    state = _state(20.0)
    hourly_et = [0.0] * 6 + [0.5] * 12 + [0.0] * 6
    for et in hourly_et:
        hour = StepInputs(et_ref_mm=et, et_ref_day_mm=6.0)
        result = advance(state, setup, crop_day, hour)
        assert result.p == pytest.approx(daily.p)  # p from the day's ETc, not the hour's
        state = result.state
    assert state.dr_mm == pytest.approx(daily.state.dr_mm)


def test_inputs_are_validated() -> None:
    with pytest.raises(WaterBalanceInputError, match="rain_mm"):
        StepInputs(et_ref_mm=3.0, rain_mm=-1.0)
    with pytest.raises(WaterBalanceInputError, match="efficiency"):
        ZoneSetup(LOAM, efficiency=1.5)
    with pytest.raises(WaterBalanceInputError, match="dr_mm"):
        ZoneState(dr_mm=200.0, de_mm=0.0, fw=1.0, taw_mm=100.0)


def test_state_at_planting_eq87() -> None:
    setup = ZoneSetup(LOAM)
    state = ZoneState.at_planting(setup, 0.2, theta0=0.20)
    assert state.dr_mm == pytest.approx(1000 * (0.25 - 0.20) * 0.2)
    assert state.de_mm == pytest.approx(LOAM.tew_mm())
    assert ZoneState.at_planting(setup, 0.2).dr_mm == 0.0


# --- probe assimilation -------------------------------------------------------------------

PROBES = [ProbeReading(0.1, 20.0), ProbeReading(0.3, 22.0), ProbeReading(0.5, 24.0)]


def test_observed_depletion_weights_layers_by_depth() -> None:
    # intervals 0-0.2, 0.2-0.4, 0.4-0.6 m; θfc 0.25
    expected = 1000 * (0.05 * 0.2 + 0.03 * 0.2 + 0.01 * 0.2)
    assert observed_depletion_mm(LOAM, 0.6, PROBES) == pytest.approx(expected)


def test_probes_at_one_depth_are_averaged_and_layers_use_their_own_fc() -> None:
    layered = SoilProfile((Layer(0.0, 0.3, 0.30, 0.12), Layer(0.3, 1.0, 0.20, 0.08)))
    readings = [ProbeReading(0.2, 18.0), ProbeReading(0.2, 22.0)]
    expected = 1000 * ((0.30 - 0.20) * 0.3 + (0.20 - 0.20) * 0.2)
    assert observed_depletion_mm(layered, 0.5, readings) == pytest.approx(expected)


def test_assimilate_moves_towards_the_probes_and_records() -> None:
    state = ZoneState(dr_mm=40.0, de_mm=5.0, fw=1.0, taw_mm=LOAM.taw_mm(0.6))
    new, correction = assimilate(state, LOAM, 0.6, PROBES, weight=0.5)
    assert correction.observed_mm == pytest.approx(18.0)
    assert correction.before_mm == 40.0
    assert correction.after_mm == pytest.approx(29.0)  # Dr + w (Dr_obs − Dr)
    assert correction.correction_mm == pytest.approx(-11.0)
    assert new.dr_mm == pytest.approx(29.0) and new.de_mm == 5.0
    full, _ = assimilate(state, LOAM, 0.6, PROBES, weight=1.0)
    assert full.dr_mm == pytest.approx(18.0)
    kept, none = assimilate(state, LOAM, 0.6, PROBES, weight=0.0)
    assert kept == state and none.correction_mm == 0.0


def test_assimilate_clamps_observation_to_zero_and_taw() -> None:
    state = ZoneState(dr_mm=40.0, de_mm=5.0, fw=1.0, taw_mm=LOAM.taw_mm(0.6))
    _, wet = assimilate(state, LOAM, 0.6, [ProbeReading(0.3, 35.0)], weight=1.0)
    assert wet.observed_mm == 0.0
    _, dry = assimilate(state, LOAM, 0.6, [ProbeReading(0.3, 5.0)], weight=1.0)
    assert dry.observed_mm == pytest.approx(LOAM.taw_mm(0.6))


def test_assimilate_refuses_bad_inputs() -> None:
    state = ZoneState(dr_mm=40.0, de_mm=5.0, fw=1.0, taw_mm=LOAM.taw_mm(0.6))
    with pytest.raises(WaterBalanceInputError, match="weight"):
        assimilate(state, LOAM, 0.6, PROBES, weight=1.5)
    with pytest.raises(WaterBalanceInputError, match="no readings"):
        assimilate(state, LOAM, 0.6, [], weight=0.5)
    with pytest.raises(WaterBalanceInputError, match="theta_pct"):
        ProbeReading(0.3, 120.0)


def test_results_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _state(1.0).dr_mm = 2.0  # type: ignore[misc]
