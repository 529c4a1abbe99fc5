"""The soil the roots grow into at the sowing-day depletion (ZoneSetup.subsoil_depletion_fraction):
``step.advance`` against a plain-Python reference and against the numba step, and the batch
kernel's refusal."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.crops import crop
from models.soils import SoilProfile, texture
from models.waterbalance import (
    CropStep,
    StepInputs,
    WaterBalanceInputError,
    ZoneSetup,
    ZoneState,
    ZoneTable,
    advance,
)
from models.waterbalance.kernel import _zone_step

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LOAM = SoilProfile.uniform(texture("loam"), 1.0)  # AWC 1000 (0.25 − 0.12) = 130 mm/m
SEED = crop("seed_corn")


def grown_state(setup: ZoneSetup, depth0_m: float, dr0_fraction: float) -> ZoneState:
    taw0 = setup.soil.taw_mm(depth0_m)
    return ZoneState(dr_mm=dr0_fraction * taw0, de_mm=setup.tew_mm, fw=1.0, taw_mm=taw0)


def reference_growth(
    state: ZoneState, taw1_mm: float, subsoil_fraction: float
) -> tuple[float, float]:
    """Plain reference: the new soil (TAW₁ − TAW₀) enters at the subsoil's depletion fraction;
    returns Dr after the roots grew and the available water that came in with them."""
    new_soil_mm = max(taw1_mm - state.taw_mm, 0.0)
    dr = min(state.dr_mm + subsoil_fraction * new_soil_mm, taw1_mm)
    return dr, (taw1_mm - dr) - (state.taw_mm - state.dr_mm)


def test_hand_worked_day_of_root_growth() -> None:
    # Loam 130 mm/m; roots 0.40 → 0.42 m: TAW 52 → 54.6 mm, 2.6 mm of new soil.
    # Subsoil 0.5: it brings Dr 1.3 mm. Start Dr 10 mm, single Kc 1.0 × mulch 0.85, ET0 4 mm:
    # ETc 3.4 mm, Dr 10 + 1.3 = 11.3 < RAW (p 0.55 + 0.04 (5 − 3.4) = 0.614 · 54.6) so Ks 1:
    # Dr end = 11.3 + 3.4 = 14.7 mm; the roots brought 2.6 − 1.3 = 1.3 mm of available water.
    setup = ZoneSetup(LOAM, method="single", subsoil_depletion_fraction=0.5)
    state = ZoneState(dr_mm=10.0, de_mm=setup.tew_mm, fw=1.0, taw_mm=LOAM.taw_mm(0.40))
    assert state.taw_mm == pytest.approx(52.0)
    crop_step = CropStep(1.0, 1.0, 0.42, 1.0, 0.15, 0.55, 0.85)
    result = advance(state, setup, crop_step, StepInputs(et_ref_mm=4.0))
    assert result.taw_mm == pytest.approx(54.6)
    assert result.ks == 1.0
    assert result.state.dr_mm == pytest.approx(14.7)
    assert result.root_zone_change_mm == pytest.approx(1.3)
    at_fc = advance(
        state,
        dataclasses.replace(setup, subsoil_depletion_fraction=0.0),
        crop_step,
        StepInputs(et_ref_mm=4.0),
    )
    assert at_fc.state.dr_mm == pytest.approx(13.4)  # 10 + 3.4: the new soil full
    assert at_fc.root_zone_change_mm == pytest.approx(2.6)


@SETTINGS
@given(
    method=st.sampled_from(["single", "dual"]),
    subsoil=st.floats(0.0, 1.0),
    dr0_fraction=st.floats(0.0, 1.0),
    dap0=st.integers(25, 75),
    grow_days=st.integers(0, 10),
    et0=st.floats(0.0, 12.0),
    rain=st.one_of(st.just(0.0), st.floats(0.0, 60.0)),
    irrigation=st.one_of(st.just(0.0), st.floats(0.0, 60.0)),
)
def test_advance_equals_the_reference_and_the_numba_step(
    method: str,
    subsoil: float,
    dr0_fraction: float,
    dap0: int,
    grow_days: int,
    et0: float,
    rain: float,
    irrigation: float,
) -> None:
    setup = ZoneSetup(
        LOAM,
        method=method,  # type: ignore[arg-type]
        efficiency=0.9,
        fw_irrigation=0.35,
        subsoil_depletion_fraction=subsoil,
    )
    crop0 = CropStep.on_day(SEED, dap0)
    crop1 = CropStep.on_day(SEED, dap0 + grow_days)
    state = grown_state(setup, crop0.root_depth_m, dr0_fraction)
    day = StepInputs(et_ref_mm=et0, rain_mm=rain, irrigation_gross_mm=irrigation)
    result = advance(state, setup, crop1, day)

    taw1 = setup.soil.taw_mm(crop1.root_depth_m)
    dr_grown, came_in = reference_growth(state, taw1, subsoil)
    assert result.root_zone_change_mm == pytest.approx(came_in, abs=1e-9)
    # the new soil never overfills: Dr₀ ≤ TAW₀ and f ΔTAW ≤ ΔTAW
    assert came_in == pytest.approx((1.0 - subsoil) * (taw1 - state.taw_mm), abs=1e-9)
    # the balance closes with the water the roots brought in
    closes = (
        rain
        + irrigation
        - result.runoff_mm
        - result.irrigation_loss_mm
        - result.eta_mm
        - result.dp_mm
        + result.root_zone_change_mm
    )
    change = (taw1 - result.state.dr_mm) - (state.taw_mm - state.dr_mm)
    assert closes == pytest.approx(change, abs=1e-9)
    assert 0.0 <= result.state.dr_mm <= taw1 + 1e-9

    # the numba step takes new soil at field capacity: fed the grown Dr it must agree
    dr, de, fw, eta, e, dp, ks = _zone_step(
        dr_grown,
        state.de_mm,
        state.fw,
        et0,
        et0,
        rain,
        irrigation,
        setup.fw_irrigation,
        setup.effective_rain_fraction,
        setup.runoff_threshold_mm,
        setup.efficiency,
        crop1.kcb,
        crop1.kc,
        crop1.p_table,
        crop1.mulch_factor,
        result.kcmax,
        result.fc,
        taw1,
        setup.tew_mm,
        setup.soil.rew_mm,
        method == "dual",
    )
    assert dr == pytest.approx(result.state.dr_mm, abs=1e-9)
    assert eta == pytest.approx(result.eta_mm, abs=1e-9)
    assert e == pytest.approx(result.evaporation_mm, abs=1e-9)
    assert dp == pytest.approx(result.dp_mm, abs=1e-9)
    assert ks == pytest.approx(result.ks, abs=1e-12)
    assert de == pytest.approx(result.state.de_mm, abs=1e-9)
    assert fw == pytest.approx(result.state.fw, abs=1e-12)


@given(subsoil=st.floats(0.0, 1.0), dr0_fraction=st.floats(0.0, 1.0))
def test_a_drier_subsoil_never_leaves_the_root_zone_wetter(
    subsoil: float, dr0_fraction: float
) -> None:
    setup = ZoneSetup(LOAM, method="single", subsoil_depletion_fraction=subsoil)
    state = grown_state(setup, 0.3, dr0_fraction)
    crop1 = CropStep.on_day(SEED, 60)
    day = StepInputs(et_ref_mm=5.0)
    drier = advance(state, setup, crop1, day)
    at_fc = advance(state, dataclasses.replace(setup, subsoil_depletion_fraction=0.0), crop1, day)
    assert drier.state.dr_mm >= at_fc.state.dr_mm - 1e-9


def test_the_batch_kernel_refuses_a_subsoil_fraction() -> None:
    dry = ZoneSetup(LOAM, method="single", subsoil_depletion_fraction=0.3)
    with pytest.raises(
        WaterBalanceInputError,
        match=r"setups\[1\]: subsoil_depletion_fraction 0\.3: the batch kernel takes new soil "
        r"at field capacity \(step\.advance carries a drier subsoil\)",
    ):
        ZoneTable.build([ZoneSetup(LOAM), dry], [0, 0], [0, 0])
    ZoneTable.build([ZoneSetup(LOAM)], [0], [0])  # at field capacity: accepted


@pytest.mark.parametrize("bad", [-0.1, 1.1, float("nan")])
def test_a_subsoil_fraction_outside_0_1_is_refused(bad: float) -> None:
    with pytest.raises(WaterBalanceInputError, match=r"subsoil_depletion_fraction: .* not in"):
        ZoneSetup(LOAM, subsoil_depletion_fraction=bad)
