"""Many zones over many steps: array inputs, the numba kernel and its plain-Python reference.

Inputs are grouped so each array is stored once: crop curves per (crop, planting) and weather
per station, indexed from the zones; only irrigation is per zone-step. Steps are days
(``step_hours`` 24) or hours (1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from models.crops import Crop, height_m, kc_on_day, root_depth_m
from models.soils import SoilProfile
from models.waterbalance.errors import WaterBalanceInputError
from models.waterbalance.kernel import advance_zones, count_outside, group_series
from models.waterbalance.step import CropStep, StepInputs, ZoneSetup, ZoneState, advance

__all__ = [
    "CropCurves",
    "SeasonResult",
    "StateArrays",
    "WeatherSeries",
    "ZoneTable",
    "run_season",
    "run_season_reference",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _f64(
    name: str, value: object, ndim: int, low: float = -np.inf, high: float = np.inf
) -> FloatArray:
    """``value`` as a C-contiguous 2-D float64 array, all finite and within [low, high]."""
    array = np.ascontiguousarray(value, dtype=np.float64)
    if array.ndim != ndim or ndim != 2:
        raise WaterBalanceInputError(f"{name}: expected {ndim} dimensions, got {array.ndim}")
    finite_low = max(low, -np.finfo(np.float64).max)
    finite_high = min(high, np.finfo(np.float64).max)
    if count_outside(array, finite_low, finite_high):
        raise WaterBalanceInputError(f"{name}: NaN, infinite or outside [{low:g}, {high:g}]")
    return array


def _steps_per_day(step_hours: int) -> int:
    if step_hours not in (1, 2, 3, 4, 6, 8, 12, 24):
        raise WaterBalanceInputError(f"step_hours: {step_hours} does not divide a day")
    return 24 // step_hours


@dataclass(frozen=True)
class CropCurves:
    """Crop values per curve and step (C, N): Kcb, Kc, root depth (m), height (m); per curve
    (C,): Kcb min (eq. 76), p at ETc 5 mm/d, mulch factor on evaporation."""

    kcb: FloatArray
    kc: FloatArray
    root_depth_m: FloatArray
    height_m: FloatArray
    kcb_min: FloatArray
    p_table: FloatArray
    mulch_factor: FloatArray

    @classmethod
    def from_crops(
        cls, crops: Sequence[Crop], first_dap: Sequence[float], n_steps: int, step_hours: int = 24
    ) -> CropCurves:
        """Curves for crops whose first step is ``first_dap`` days after planting."""
        spd = _steps_per_day(step_hours)
        if len(crops) != len(first_dap) or not crops:
            raise WaterBalanceInputError("crops and first_dap must be non-empty, equal length")
        offsets = np.arange(n_steps, dtype=np.float64) / spd
        dap = [start + offsets for start in first_dap]
        return cls(
            kcb=np.array([kc_on_day(c, d, basal=True) for c, d in zip(crops, dap, strict=True)]),
            kc=np.array([kc_on_day(c, d) for c, d in zip(crops, dap, strict=True)]),
            root_depth_m=np.array([root_depth_m(c, d) for c, d in zip(crops, dap, strict=True)]),
            height_m=np.array([height_m(c, d) for c, d in zip(crops, dap, strict=True)]),
            kcb_min=np.array([c.kcb_ini for c in crops]),
            p_table=np.array([c.p for c in crops]),
            mulch_factor=np.array([c.mulch_factor for c in crops]),
        )

    def step(self, curve: int, n: int) -> CropStep:
        """The crop of one curve on step ``n`` (for the reference and single-zone use)."""
        return CropStep(
            kcb=float(self.kcb[curve, n]),
            kc=float(self.kc[curve, n]),
            root_depth_m=float(self.root_depth_m[curve, n]),
            height_m=float(self.height_m[curve, n]),
            kcb_min=float(self.kcb_min[curve]),
            p_table=float(self.p_table[curve]),
            mulch_factor=float(self.mulch_factor[curve]),
        )


@dataclass(frozen=True)
class WeatherSeries:
    """Weather per station and step (S, N): ETref and rain (mm per step), u2 (m/s), RHmin (%).

    ``et_ref_day_mm`` is the day's ETref for the p adjustment: computed from the steps of each
    day when ``step_hours`` < 24 (N must then cover whole days), equal to ETref for daily steps.
    """

    et_ref_mm: FloatArray
    rain_mm: FloatArray
    u2_m_s: FloatArray
    rhmin_pct: FloatArray
    et_ref_day_mm: FloatArray

    @classmethod
    def build(
        cls,
        et_ref_mm: object,
        rain_mm: object,
        u2_m_s: object,
        rhmin_pct: object,
        step_hours: int = 24,
    ) -> WeatherSeries:
        arrays = [
            _f64(name, value, 2, low=0.0)
            for name, value in (
                ("et_ref_mm", et_ref_mm),
                ("rain_mm", rain_mm),
                ("u2_m_s", u2_m_s),
                ("rhmin_pct", rhmin_pct),
            )
        ]
        shape = arrays[0].shape
        for array, name in zip(
            arrays, ("et_ref_mm", "rain_mm", "u2_m_s", "rhmin_pct"), strict=True
        ):
            if array.shape != shape:
                raise WaterBalanceInputError(f"{name}: shape {array.shape} ≠ {shape}")
        et_ref = arrays[0]
        spd = _steps_per_day(step_hours)
        if spd == 1:
            day = et_ref
        else:
            if shape[1] % spd:
                raise WaterBalanceInputError(
                    f"et_ref_mm: {shape[1]} steps of {step_hours} h are not whole days"
                )
            totals = et_ref.reshape(shape[0], -1, spd).sum(axis=2)
            day = np.ascontiguousarray(np.repeat(totals, spd, axis=1))
        return cls(et_ref, arrays[1], arrays[2], arrays[3], day)

    def step(
        self, station: int, n: int, irrigation_gross_mm: float, irrigation_fw: float | None
    ) -> StepInputs:
        return StepInputs(
            et_ref_mm=float(self.et_ref_mm[station, n]),
            rain_mm=float(self.rain_mm[station, n]),
            irrigation_gross_mm=irrigation_gross_mm,
            u2_m_s=float(self.u2_m_s[station, n]),
            rhmin_pct=float(self.rhmin_pct[station, n]),
            et_ref_day_mm=float(self.et_ref_day_mm[station, n]),
            irrigation_fw=irrigation_fw,
        )


@dataclass(frozen=True)
class ZoneTable:
    """Z zones: their setups, which crop curve and weather station each uses, and the setups
    as arrays for the kernel. Zones with the same curve, station and soil form a group that
    shares Kcmax, fc and TAW (computed once per group and step)."""

    setups: tuple[ZoneSetup, ...]
    curve: IntArray
    station: IntArray
    group: IntArray
    group_curve: IntArray
    group_station: IntArray
    group_layer_bottom_m: FloatArray
    group_layer_awc: FloatArray
    tew_mm: FloatArray
    rew_mm: FloatArray
    dual: NDArray[np.bool_]
    efficiency: FloatArray
    fw_irrigation: FloatArray
    rain_fraction: FloatArray
    runoff_threshold_mm: FloatArray

    @classmethod
    def build(
        cls,
        setups: Sequence[ZoneSetup],
        curve: Sequence[int] | IntArray,
        station: Sequence[int] | IntArray,
    ) -> ZoneTable:
        curve_a = np.ascontiguousarray(curve, dtype=np.int64)
        station_a = np.ascontiguousarray(station, dtype=np.int64)
        if not (len(setups) == curve_a.shape[0] == station_a.shape[0]) or not setups:
            raise WaterBalanceInputError(
                "setups, curve and station must be non-empty and of equal length"
            )
        groups: dict[tuple[int, int, SoilProfile], int] = {}
        soils: dict[int, SoilProfile] = {}
        group = np.empty(len(setups), dtype=np.int64)
        for z, setup in enumerate(setups):
            if setup.subsoil_depletion_fraction != 0.0:
                raise WaterBalanceInputError(
                    f"setups[{z}]: subsoil_depletion_fraction "
                    f"{setup.subsoil_depletion_fraction}: the batch kernel takes new soil at "
                    "field capacity (step.advance carries a drier subsoil)"
                )
            key = (int(curve_a[z]), int(station_a[z]), setup.soil)
            group[z] = groups.setdefault(key, len(groups))
            soils[group[z]] = setup.soil
        n_layers = max(len(soil.layers) for soil in soils.values())
        bottoms = np.zeros((len(groups), n_layers))
        awc = np.zeros((len(groups), n_layers))
        for g, soil in soils.items():
            bottoms[g, :] = soil.depth_m
            for k, layer in enumerate(soil.layers):
                bottoms[g, k] = layer.bottom_m
                awc[g, k] = layer.available_water_mm_per_m
        keys = list(groups)

        def column(values: list[float]) -> FloatArray:
            return np.array(values, dtype=np.float64)

        return cls(
            setups=tuple(setups),
            curve=curve_a,
            station=station_a,
            group=group,
            group_curve=np.array([k[0] for k in keys], dtype=np.int64),
            group_station=np.array([k[1] for k in keys], dtype=np.int64),
            group_layer_bottom_m=bottoms,
            group_layer_awc=awc,
            tew_mm=column([s.tew_mm for s in setups]),
            rew_mm=column([s.soil.rew_mm for s in setups]),
            dual=np.array([s.method == "dual" for s in setups], dtype=np.bool_),
            efficiency=column([s.efficiency for s in setups]),
            fw_irrigation=column([s.fw_irrigation for s in setups]),
            rain_fraction=column([s.effective_rain_fraction for s in setups]),
            runoff_threshold_mm=column([s.runoff_threshold_mm for s in setups]),
        )


@dataclass(frozen=True)
class StateArrays:
    """The states of Z zones as arrays (Dr, De in mm, fw, TAW in mm)."""

    dr_mm: FloatArray
    de_mm: FloatArray
    fw: FloatArray
    taw_mm: FloatArray

    @classmethod
    def from_states(cls, states: Sequence[ZoneState]) -> StateArrays:
        return cls(
            np.array([s.dr_mm for s in states], dtype=np.float64),
            np.array([s.de_mm for s in states], dtype=np.float64),
            np.array([s.fw for s in states], dtype=np.float64),
            np.array([s.taw_mm for s in states], dtype=np.float64),
        )

    def state(self, zone: int) -> ZoneState:
        """One zone's state as a validated ZoneState."""
        return ZoneState(
            dr_mm=float(self.dr_mm[zone]),
            de_mm=float(self.de_mm[zone]),
            fw=float(self.fw[zone]),
            taw_mm=float(self.taw_mm[zone]),
        )

    def __len__(self) -> int:
        return int(self.dr_mm.shape[0])


@dataclass(frozen=True)
class SeasonResult:
    """Per zone and step (Z, N): Dr at the end of the step, ETa, E, DP (mm), Ks; and the final
    state of every zone."""

    dr_mm: FloatArray
    eta_mm: FloatArray
    evaporation_mm: FloatArray
    dp_mm: FloatArray
    ks: FloatArray
    final: StateArrays


def _check(
    zones: ZoneTable,
    curves: CropCurves,
    weather: WeatherSeries,
    irrigation_gross_mm: FloatArray,
    initial: StateArrays,
    irrigation_fw: FloatArray,
) -> None:
    n_zones = len(zones.setups)
    n_steps = weather.et_ref_mm.shape[1]
    if n_steps < 1:
        raise WaterBalanceInputError("weather: no steps")
    if curves.kcb.shape[1] != n_steps:
        raise WaterBalanceInputError(f"crop curves: {curves.kcb.shape[1]} steps ≠ {n_steps}")
    if irrigation_gross_mm.shape != (n_zones, n_steps):
        raise WaterBalanceInputError(
            f"irrigation_gross_mm: shape {irrigation_gross_mm.shape} ≠ {(n_zones, n_steps)}"
        )
    if irrigation_fw.shape not in ((n_zones, n_steps), (n_zones, 1)):
        raise WaterBalanceInputError(f"irrigation_fw: shape {irrigation_fw.shape}")
    if len(initial) != n_zones:
        raise WaterBalanceInputError(f"initial: {len(initial)} states for {n_zones} zones")
    if np.any(initial.dr_mm < 0.0) or np.any(initial.dr_mm > initial.taw_mm + 1e-9):
        raise WaterBalanceInputError("initial: Dr outside [0, TAW]")
    if np.any(initial.fw <= 0.0) or np.any(initial.fw > 1.0) or np.any(initial.de_mm < 0.0):
        raise WaterBalanceInputError("initial: fw outside (0, 1] or De < 0")
    if np.any(zones.curve < 0) or np.any(zones.curve >= curves.kcb.shape[0]):
        raise WaterBalanceInputError("zones.curve: index outside the crop curves")
    if np.any(zones.station < 0) or np.any(zones.station >= weather.et_ref_mm.shape[0]):
        raise WaterBalanceInputError("zones.station: index outside the weather stations")
    deepest = curves.root_depth_m.max(axis=1)[zones.group_curve]
    soil_depth = zones.group_layer_bottom_m[:, -1]
    if np.any(deepest > soil_depth + 1e-9):
        g = int(np.argmax(deepest - soil_depth))
        z = int(np.argmax(zones.group == g))
        raise WaterBalanceInputError(
            f"zones[{z}]: roots reach {deepest[g]} m, soil described to {soil_depth[g]} m"
        )


def _fw_array(zones: ZoneTable, irrigation_fw: object | None) -> FloatArray:
    if irrigation_fw is None:
        return np.ascontiguousarray(zones.fw_irrigation[:, None])
    return _f64("irrigation_fw", irrigation_fw, 2, low=1e-9, high=1.0)  # fw in (0, 1]


def _states(initial: StateArrays | Sequence[ZoneState]) -> StateArrays:
    return initial if isinstance(initial, StateArrays) else StateArrays.from_states(initial)


def _outputs(shape: tuple[int, ...], out: SeasonResult | None) -> list[FloatArray]:
    if out is None:
        return [np.empty(shape) for _ in range(5)]
    arrays = [out.dr_mm, out.eta_mm, out.evaporation_mm, out.dp_mm, out.ks]
    for array in arrays:
        if (
            array.shape != shape
            or array.dtype != np.float64
            or not array.flags.c_contiguous
            or not array.flags.writeable
        ):
            raise WaterBalanceInputError(f"out: arrays must be writeable float64 {shape}")
    return arrays


def run_season(
    zones: ZoneTable,
    curves: CropCurves,
    weather: WeatherSeries,
    irrigation_gross_mm: object,
    initial: StateArrays | Sequence[ZoneState],
    irrigation_fw: object | None = None,
    *,
    out: SeasonResult | None = None,
) -> SeasonResult:
    """Advance all zones over all steps with the numba kernels.

    ``irrigation_gross_mm`` (Z, N); ``irrigation_fw`` (Z, N) per event, or None for each zone's
    system fw. ``out``: a previous result of the same shape whose arrays are overwritten (saves
    allocating and faulting in 5 × Z × N floats when a planner runs many scenarios).
    Same results as :func:`run_season_reference` (tests hold them equal).
    """
    # Values are checked by the kernel in the pass that reads them (saves two passes over
    # Z × N arrays); shapes here.
    irrigation = np.ascontiguousarray(irrigation_gross_mm, dtype=np.float64)
    fw_irr = (
        np.ascontiguousarray(zones.fw_irrigation[:, None])
        if irrigation_fw is None
        else np.ascontiguousarray(irrigation_fw, dtype=np.float64)
    )
    if irrigation.ndim != 2 or fw_irr.ndim != 2:
        raise WaterBalanceInputError("irrigation_gross_mm and irrigation_fw must be 2-D")
    start = _states(initial)
    _check(zones, curves, weather, irrigation, start, fw_irr)
    group_shape = (zones.group_curve.shape[0], irrigation.shape[1])
    kcmax, fc, taw = (np.empty(group_shape) for _ in range(3))
    group_series(
        zones.group_curve,
        zones.group_station,
        zones.group_layer_bottom_m,
        zones.group_layer_awc,
        curves.kcb,
        curves.root_depth_m,
        curves.height_m,
        curves.kcb_min,
        weather.u2_m_s,
        weather.rhmin_pct,
        kcmax,
        fc,
        taw,
    )
    dr, eta, evaporation, dp, ks = _outputs(irrigation.shape, out)
    final_de, final_fw = np.empty(len(start)), np.empty(len(start))
    invalid = advance_zones(
        start.dr_mm,
        start.de_mm,
        start.fw,
        zones.group,
        zones.group_curve,
        zones.group_station,
        zones.tew_mm,
        zones.rew_mm,
        zones.dual,
        zones.efficiency,
        zones.rain_fraction,
        zones.runoff_threshold_mm,
        curves.kcb,
        curves.kc,
        curves.p_table,
        curves.mulch_factor,
        kcmax,
        fc,
        taw,
        weather.et_ref_mm,
        weather.et_ref_day_mm,
        weather.rain_mm,
        irrigation,
        fw_irr,
        dr,
        eta,
        evaporation,
        dp,
        ks,
        final_de,
        final_fw,
    )
    if invalid:
        raise WaterBalanceInputError(
            "irrigation_gross_mm / irrigation_fw: NaN, infinite or negative depths, or fw "
            "outside (0, 1]"
        )
    final = StateArrays(dr[:, -1].copy(), final_de, final_fw, taw[zones.group, -1])
    return SeasonResult(dr, eta, evaporation, dp, ks, final)


def run_season_reference(
    zones: ZoneTable,
    curves: CropCurves,
    weather: WeatherSeries,
    irrigation_gross_mm: object,
    initial: StateArrays | Sequence[ZoneState],
    irrigation_fw: object | None = None,
) -> SeasonResult:
    """The same as :func:`run_season`, one ``step.advance`` call per zone-step (plain Python)."""
    irrigation = _f64("irrigation_gross_mm", irrigation_gross_mm, 2, low=0.0)
    fw_irr = _fw_array(zones, irrigation_fw)
    start = _states(initial)
    _check(zones, curves, weather, irrigation, start, fw_irr)
    outputs = [np.empty(irrigation.shape) for _ in range(5)]
    final = []
    for z, setup in enumerate(zones.setups):
        state = start.state(z)
        curve, station = int(zones.curve[z]), int(zones.station[z])
        for n in range(irrigation.shape[1]):
            fw_event = float(fw_irr[z, n if fw_irr.shape[1] > 1 else 0])
            inputs = weather.step(station, n, float(irrigation[z, n]), fw_event)
            result = advance(state, setup, curves.step(curve, n), inputs)
            state = result.state
            for out, value in zip(
                outputs,
                (state.dr_mm, result.eta_mm, result.evaporation_mm, result.dp_mm, result.ks),
                strict=True,
            ):
                out[z, n] = value
        final.append(state)
    dr, eta, evaporation, dp, ks = outputs
    return SeasonResult(dr, eta, evaporation, dp, ks, StateArrays.from_states(final))
