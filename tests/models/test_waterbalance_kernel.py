"""The numba kernel equals the plain-Python reference; Hypothesis holds the invariants:
0 ≤ Dr ≤ TAW, 0 ≤ De ≤ TEW, and the balance closes to 1e-9 mm for any weather and irrigation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.crops import crop, crop_keys
from models.soils import Layer, SoilProfile, texture, texture_keys
from models.waterbalance import (
    CropCurves,
    CropStep,
    StepInputs,
    WaterBalanceInputError,
    WeatherSeries,
    ZoneSetup,
    ZoneState,
    ZoneTable,
    advance,
    run_season,
    run_season_reference,
)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

depth_mm = st.floats(0.0, 80.0, allow_nan=False)
sparse_mm = st.one_of(st.just(0.0), st.just(0.0), depth_mm)


@st.composite
def soils(draw: st.DrawFn) -> SoilProfile:
    n_layers = draw(st.integers(1, 3))
    layers = []
    top = 0.0
    for i in range(n_layers):
        bottom = 2.0 if i == n_layers - 1 else top + draw(st.floats(0.15, 0.6))
        wp = draw(st.floats(0.03, 0.25))
        fc = wp + draw(st.floats(0.05, 0.2))
        layers.append(Layer(top, bottom, fc, wp))
        top = bottom
    profile = SoilProfile(tuple(layers), ze_m=draw(st.floats(0.1, 0.15)), rew_mm=1.0)
    rew = draw(st.floats(0.2, 0.8)) * profile.tew_mm()
    return dataclasses.replace(profile, rew_mm=rew)


@st.composite
def setups(draw: st.DrawFn) -> ZoneSetup:
    return ZoneSetup(
        soil=draw(soils()),
        method=draw(st.sampled_from(["dual", "single"])),
        efficiency=draw(st.floats(0.5, 1.0)),
        fw_irrigation=draw(st.floats(0.2, 1.0)),
        effective_rain_fraction=draw(st.floats(0.5, 1.0)),
        runoff_threshold_mm=draw(st.one_of(st.just(np.inf), st.floats(5.0, 60.0))),
    )


@st.composite
def days(draw: st.DrawFn) -> StepInputs:
    return StepInputs(
        et_ref_mm=draw(st.floats(0.0, 12.0)),
        rain_mm=draw(sparse_mm),
        irrigation_gross_mm=draw(sparse_mm),
        u2_m_s=draw(st.floats(0.5, 7.0)),
        rhmin_pct=draw(st.floats(10.0, 95.0)),
    )


def _initial(
    draw: Callable[[st.SearchStrategy[float]], float], setup: ZoneSetup, root_depth_m: float
) -> ZoneState:
    taw = setup.soil.taw_mm(root_depth_m)
    return ZoneState(
        dr_mm=draw(st.floats(0.0, 1.0)) * taw,
        de_mm=draw(st.floats(0.0, 1.0)) * setup.tew_mm,
        fw=draw(st.floats(0.1, 1.0)),
        taw_mm=taw,
    )


@SETTINGS
@given(
    data=st.data(),
    setup=setups(),
    key=st.sampled_from(crop_keys()),
    first_dap=st.floats(-20.0, 150.0),
    weather=st.lists(days(), min_size=1, max_size=60),
)
def test_dr_within_taw_and_balance_closes(
    data: st.DataObject, setup: ZoneSetup, key: str, first_dap: float, weather: list[StepInputs]
) -> None:
    plant = crop(key)
    state = _initial(data.draw, setup, CropStep.on_day(plant, first_dap).root_depth_m)
    for i, day in enumerate(weather):
        result = advance(state, setup, CropStep.on_day(plant, first_dap + i), day)
        end = result.state
        assert 0.0 <= end.dr_mm <= end.taw_mm  # eq. 86 and the TAW cap
        assert 0.0 <= end.de_mm <= setup.tew_mm  # eq. 78
        assert 0.0 <= result.ks <= 1.0
        assert result.eta_mm >= 0.0 and result.dp_mm >= 0.0 and result.runoff_mm >= 0.0
        assert result.eta_mm <= result.etc_mm + 1e-12
        inputs = day.rain_mm + day.irrigation_gross_mm + result.root_zone_change_mm
        outputs = result.runoff_mm + result.irrigation_loss_mm + result.eta_mm + result.dp_mm
        storage_change = (end.taw_mm - end.dr_mm) - (state.taw_mm - state.dr_mm)
        assert abs(inputs - outputs - storage_change) <= 1e-9
        state = end


@st.composite
def seasons(draw: st.DrawFn) -> dict[str, object]:
    """A small multi-zone problem: zones, curves, stations, weather, irrigation, states."""
    step_hours = draw(st.sampled_from([24, 24, 1]))
    n_steps = draw(st.integers(1, 40)) if step_hours == 24 else 24 * draw(st.integers(1, 2))
    n_curves = draw(st.integers(1, 3))
    n_stations = draw(st.integers(1, 2))
    n_zones = draw(st.integers(1, 6))
    plants = [crop(draw(st.sampled_from(crop_keys()))) for _ in range(n_curves)]
    curves = CropCurves.from_crops(
        plants, [draw(st.floats(-10.0, 160.0)) for _ in plants], n_steps, step_hours
    )
    zone_setups = [draw(setups()) for _ in range(n_zones)]
    curve = [draw(st.integers(0, n_curves - 1)) for _ in range(n_zones)]
    station = [draw(st.integers(0, n_stations - 1)) for _ in range(n_zones)]
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = (n_stations, n_steps)
    scale = step_hours / 24.0
    weather = WeatherSeries.build(
        rng.uniform(0.0, 10.0, shape) * scale,
        rng.exponential(8.0, shape) * (rng.random(shape) < 0.15),
        rng.uniform(0.5, 6.0, shape),
        rng.uniform(15.0, 90.0, shape),
        step_hours,
    )
    irrigation = rng.uniform(0.0, 40.0, (n_zones, n_steps)) * (rng.random((n_zones, n_steps)) < 0.2)
    per_event_fw = draw(st.booleans())
    fw = rng.uniform(0.2, 1.0, (n_zones, n_steps)) if per_event_fw else None
    initial = [
        _initial(draw, s, float(curves.root_depth_m[c, 0]))
        for s, c in zip(zone_setups, curve, strict=True)
    ]
    return {
        "zones": ZoneTable.build(zone_setups, curve, station),
        "curves": curves,
        "weather": weather,
        "irrigation_gross_mm": irrigation,
        "initial": initial,
        "irrigation_fw": fw,
    }


@SETTINGS
@given(problem=seasons())
def test_kernel_equals_reference(problem: dict[str, object]) -> None:
    kernel = run_season(**problem)  # type: ignore[arg-type]
    reference = run_season_reference(**problem)  # type: ignore[arg-type]
    for name in ("dr_mm", "eta_mm", "evaporation_mm", "dp_mm", "ks"):
        np.testing.assert_allclose(
            getattr(kernel, name), getattr(reference, name), rtol=0, atol=1e-9, err_msg=name
        )
    for name in ("dr_mm", "de_mm", "fw", "taw_mm"):
        np.testing.assert_allclose(
            getattr(kernel.final, name),
            getattr(reference.final, name),
            rtol=0,
            atol=1e-9,
            err_msg=f"final {name}",
        )


def test_kernel_many_zones_share_groups_and_stay_in_bounds() -> None:
    n_zones, n_steps = 500, 120
    rng = np.random.default_rng(7)
    plants = [crop("seed_corn"), crop("tomato")]
    curves = CropCurves.from_crops(plants, [0.0, 20.0], n_steps)
    soil = SoilProfile.uniform(texture("sandy_loam"), 1.2)
    zone_setups = [ZoneSetup(soil, fw_irrigation=0.35, efficiency=0.9)] * n_zones
    zones = ZoneTable.build(zone_setups, np.arange(n_zones) % 2, np.zeros(n_zones, int))
    assert zones.group_curve.shape == (2,)
    weather = WeatherSeries.build(
        rng.uniform(2, 9, (1, n_steps)),
        np.zeros((1, n_steps)),
        np.full((1, n_steps), 2.0),
        np.full((1, n_steps), 30.0),
    )
    irrigation = (rng.random((n_zones, n_steps)) < 0.15) * 25.0
    initial = [ZoneState.at_planting(s, 0.2) for s in zone_setups]
    result = run_season(zones, curves, weather, irrigation, initial)
    taw = np.array(
        [[soil.taw_mm(curves.root_depth_m[c, n]) for n in range(n_steps)] for c in zones.curve]
    )
    assert np.all(result.dr_mm >= 0.0) and np.all(result.dr_mm <= taw + 1e-9)
    # closure per zone over the season (kernel outputs + inputs)
    net = irrigation * 0.9
    storage_end = taw[:, -1] - result.dr_mm[:, -1]
    storage_start = np.array([s.taw_mm - s.dr_mm for s in initial])
    root_growth = taw[:, -1] - np.array([s.taw_mm for s in initial])
    balance = net.sum(axis=1) + root_growth - result.eta_mm.sum(axis=1) - result.dp_mm.sum(axis=1)
    np.testing.assert_allclose(balance, storage_end - storage_start, rtol=0, atol=1e-9)


def test_season_inputs_are_checked() -> None:
    soil = SoilProfile.uniform(texture(texture_keys()[0]), 0.5)
    zones = ZoneTable.build([ZoneSetup(soil)], [0], [0])
    curves = CropCurves.from_crops([crop("maize_grain")], [80.0], 3)  # roots at 1.0 m
    weather = WeatherSeries.build(
        np.ones((1, 3)), np.zeros((1, 3)), np.ones((1, 3)), np.ones((1, 3))
    )
    initial = [ZoneState(dr_mm=0.0, de_mm=0.0, fw=1.0, taw_mm=10.0)]
    with pytest.raises(WaterBalanceInputError, match=r"zones\[0\]: roots reach 1.0 m"):
        run_season(zones, curves, weather, np.zeros((1, 3)), initial)
    with pytest.raises(WaterBalanceInputError, match="irrigation_gross_mm: shape"):
        run_season(zones, curves, weather, np.zeros((2, 3)), initial)
    with pytest.raises(WaterBalanceInputError, match="NaN"):
        WeatherSeries.build(
            np.full((1, 3), np.nan), np.zeros((1, 3)), np.ones((1, 3)), np.ones((1, 3))
        )
    with pytest.raises(WaterBalanceInputError, match="whole days"):
        WeatherSeries.build(
            np.ones((1, 30)), np.zeros((1, 30)), np.ones((1, 30)), np.ones((1, 30)), step_hours=1
        )


def _small_problem() -> dict[str, object]:
    soil = SoilProfile.uniform(texture("loam"), 1.2)
    setups_ = [ZoneSetup(soil, fw_irrigation=0.35)] * 5
    curves = CropCurves.from_crops([crop("seed_corn")], [0.0], 10)
    weather = WeatherSeries.build(
        np.full((1, 10), 5.0), np.zeros((1, 10)), np.full((1, 10), 2.0), np.full((1, 10), 40.0)
    )
    return {
        "zones": ZoneTable.build(setups_, [0] * 5, [0] * 5),
        "curves": curves,
        "weather": weather,
        "irrigation_gross_mm": np.full((5, 10), 3.0),
        "initial": [ZoneState.at_planting(s, 0.2) for s in setups_],
    }


def test_outputs_can_be_reused() -> None:
    problem = _small_problem()
    first = run_season(**problem)  # type: ignore[arg-type]
    expected = first.dr_mm.copy()
    first.dr_mm[:] = -1.0
    again = run_season(**problem, out=first)  # type: ignore[arg-type]
    assert again.dr_mm is first.dr_mm
    np.testing.assert_array_equal(again.dr_mm, expected)
    with pytest.raises(WaterBalanceInputError, match="out: arrays"):
        run_season(
            **problem,  # type: ignore[arg-type]
            out=dataclasses.replace(first, dr_mm=np.empty((5, 9))),
        )


@pytest.mark.parametrize("bad", [np.nan, -1.0, np.inf])
def test_kernel_refuses_invalid_irrigation(bad: float) -> None:
    problem = _small_problem()
    irrigation = np.full((5, 10), 3.0)
    irrigation[4, 7] = bad  # the last zone of the last (partial) block
    with pytest.raises(WaterBalanceInputError, match="irrigation_gross_mm"):
        run_season(**{**problem, "irrigation_gross_mm": irrigation})  # type: ignore[arg-type]
    fw = np.full((5, 10), 0.5)
    fw[0, 0] = 0.0
    with pytest.raises(WaterBalanceInputError, match="irrigation_fw"):
        run_season(**problem, irrigation_fw=fw)  # type: ignore[arg-type]
