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
from models.waterbalance.errors import WaterBalanceInputError
from models.waterbalance.kernel import advance_zones
from models.waterbalance.step import CropStep, StepInputs, ZoneSetup, ZoneState, advance

__all__ = ["CropCurves", "SeasonResult", "WeatherSeries", "ZoneTable", "run_season",
           "run_season_reference"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _f64(name: str, value: object, ndim: int) -> FloatArray:
    array = np.ascontiguousarray(value, dtype=np.float64)
    if array.ndim != ndim:
        raise WaterBalanceInputError(f"{name}: expected {ndim} dimensions, got {array.ndim}")
    if not np.all(np.isfinite(array)):
        raise WaterBalanceInputError(f"{name}: contains NaN or infinity")
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
    def from_crops(cls, crops: Sequence[Crop], first_dap: Sequence[float], n_steps: int,
                   step_hours: int = 24) -> CropCurves:
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
            kcb=float(self.kcb[curve, n]), kc=float(self.kc[curve, n]),
            root_depth_m=float(self.root_depth_m[curve, n]),
            height_m=float(self.height_m[curve, n]), kcb_min=float(self.kcb_min[curve]),
            p_table=float(self.p_table[curve]), mulch_factor=float(self.mulch_factor[curve]),
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
    def build(cls, et_ref_mm: object, rain_mm: object, u2_m_s: object, rhmin_pct: object,
              step_hours: int = 24) -> WeatherSeries:
        arrays = [_f64(name, value, 2) for name, value in (
            ("et_ref_mm", et_ref_mm), ("rain_mm", rain_mm), ("u2_m_s", u2_m_s),
            ("rhmin_pct", rhmin_pct))]
        shape = arrays[0].shape
        for array, name in zip(arrays, ("et_ref_mm", "rain_mm", "u2_m_s", "rhmin_pct"),
                               strict=True):
            if array.shape != shape:
                raise WaterBalanceInputError(f"{name}: shape {array.shape} ≠ {shape}")
            if np.any(array < 0.0):
                raise WaterBalanceInputError(f"{name}: negative values")
        et_ref = arrays[0]
        spd = _steps_per_day(step_hours)
        if spd == 1:
            day = et_ref
        else:
            if shape[1] % spd:
                raise WaterBalanceInputError(
                    f"et_ref_mm: {shape[1]} steps of {step_hours} h are not whole days")
            totals = et_ref.reshape(shape[0], -1, spd).sum(axis=2)
            day = np.ascontiguousarray(np.repeat(totals, spd, axis=1))
        return cls(et_ref, arrays[1], arrays[2], arrays[3], day)

    def step(self, station: int, n: int, irrigation_gross_mm: float,
             irrigation_fw: float | None) -> StepInputs:
        return StepInputs(
            et_ref_mm=float(self.et_ref_mm[station, n]), rain_mm=float(self.rain_mm[station, n]),
            irrigation_gross_mm=irrigation_gross_mm, u2_m_s=float(self.u2_m_s[station, n]),
            rhmin_pct=float(self.rhmin_pct[station, n]),
            et_ref_day_mm=float(self.et_ref_day_mm[station, n]), irrigation_fw=irrigation_fw,
        )


@dataclass(frozen=True)
class ZoneTable:
    """Z zones: their setups, which crop curve and weather station each uses, and the setups
    flattened into arrays for the kernel (soil layers padded with zero-thickness layers)."""

    setups: tuple[ZoneSetup, ...]
    curve: IntArray
    station: IntArray

    @classmethod
    def build(cls, setups: Sequence[ZoneSetup], curve: Sequence[int] | IntArray,
              station: Sequence[int] | IntArray) -> ZoneTable:
        curve_a = np.ascontiguousarray(curve, dtype=np.int64)
        station_a = np.ascontiguousarray(station, dtype=np.int64)
        if not (len(setups) == curve_a.shape[0] == station_a.shape[0]) or not setups:
            raise WaterBalanceInputError(
                "setups, curve and station must be non-empty and of equal length")
        return cls(tuple(setups), curve_a, station_a)

    def kernel_arrays(self) -> tuple[np.ndarray, ...]:
        """(layer bottoms, layer 1000(θfc−θwp), TEW, REW, dual, efficiency, fw, rain fraction,
        runoff threshold), one row per zone."""
        n_layers = max(len(s.soil.layers) for s in self.setups)
        bottoms = np.zeros((len(self.setups), n_layers))
        awc = np.zeros((len(self.setups), n_layers))
        for z, setup in enumerate(self.setups):
            layers = setup.soil.layers
            bottoms[z, :] = layers[-1].bottom_m
            for k, layer in enumerate(layers):
                bottoms[z, k] = layer.bottom_m
                awc[z, k] = layer.available_water_mm_per_m
        column = np.array
        return (
            bottoms, awc,
            column([s.tew_mm for s in self.setups]), column([s.soil.rew_mm for s in self.setups]),
            column([s.method == "dual" for s in self.setups], dtype=np.bool_),
            column([s.efficiency for s in self.setups]),
            column([s.fw_irrigation for s in self.setups]),
            column([s.effective_rain_fraction for s in self.setups]),
            column([s.runoff_threshold_mm for s in self.setups]),
        )


@dataclass(frozen=True)
class SeasonResult:
    """Per zone and step (Z, N): Dr at the end of the step, ETa, E, DP (mm), Ks; and the final
    state of every zone."""

    dr_mm: FloatArray
    eta_mm: FloatArray
    evaporation_mm: FloatArray
    dp_mm: FloatArray
    ks: FloatArray
    final: tuple[ZoneState, ...]


def _check(zones: ZoneTable, curves: CropCurves, weather: WeatherSeries,
           irrigation_gross_mm: FloatArray, initial: Sequence[ZoneState],
           irrigation_fw: FloatArray) -> None:
    n_zones = len(zones.setups)
    n_steps = weather.et_ref_mm.shape[1]
    if n_steps < 1:
        raise WaterBalanceInputError("weather: no steps")
    if curves.kcb.shape[1] != n_steps:
        raise WaterBalanceInputError(f"crop curves: {curves.kcb.shape[1]} steps ≠ {n_steps}")
    if irrigation_gross_mm.shape != (n_zones, n_steps):
        raise WaterBalanceInputError(
            f"irrigation_gross_mm: shape {irrigation_gross_mm.shape} ≠ {(n_zones, n_steps)}")
    if np.any(irrigation_gross_mm < 0.0):
        raise WaterBalanceInputError("irrigation_gross_mm: negative values")
    if irrigation_fw.shape not in ((n_zones, n_steps), (n_zones, 1)):
        raise WaterBalanceInputError(f"irrigation_fw: shape {irrigation_fw.shape}")
    if np.any(irrigation_fw <= 0.0) or np.any(irrigation_fw > 1.0):
        raise WaterBalanceInputError("irrigation_fw: values outside (0, 1]")
    if len(initial) != n_zones:
        raise WaterBalanceInputError(f"initial: {len(initial)} states for {n_zones} zones")
    if np.any(zones.curve < 0) or np.any(zones.curve >= curves.kcb.shape[0]):
        raise WaterBalanceInputError("zones.curve: index outside the crop curves")
    if np.any(zones.station < 0) or np.any(zones.station >= weather.et_ref_mm.shape[0]):
        raise WaterBalanceInputError("zones.station: index outside the weather stations")
    deepest = curves.root_depth_m.max(axis=1)
    for z, setup in enumerate(zones.setups):
        if deepest[zones.curve[z]] > setup.soil.depth_m + 1e-9:
            raise WaterBalanceInputError(
                f"zones[{z}]: roots reach {deepest[zones.curve[z]]} m, soil described to "
                f"{setup.soil.depth_m} m")


def _fw_array(zones: ZoneTable, irrigation_fw: object | None) -> FloatArray:
    if irrigation_fw is None:
        return np.array([[s.fw_irrigation] for s in zones.setups], dtype=np.float64)
    return _f64("irrigation_fw", irrigation_fw, 2)


def run_season(zones: ZoneTable, curves: CropCurves, weather: WeatherSeries,
               irrigation_gross_mm: object, initial: Sequence[ZoneState],
               irrigation_fw: object | None = None) -> SeasonResult:
    """Advance all zones over all steps with the numba kernel.

    ``irrigation_gross_mm`` (Z, N); ``irrigation_fw`` (Z, N) per event, or None for each zone's
    system fw. Same results as :func:`run_season_reference` (tests hold them equal).
    """
    irrigation = _f64("irrigation_gross_mm", irrigation_gross_mm, 2)
    fw_irr = _fw_array(zones, irrigation_fw)
    _check(zones, curves, weather, irrigation, initial, fw_irr)
    shape = irrigation.shape
    outputs = [np.empty(shape) for _ in range(5)]
    finals = [np.empty(shape[0]) for _ in range(3)]
    advance_zones(  # type: ignore[call-arg]
        np.array([s.dr_mm for s in initial]), np.array([s.de_mm for s in initial]),
        np.array([s.fw for s in initial]), np.array([s.taw_mm for s in initial]),
        zones.curve, zones.station, *zones.kernel_arrays(),
        curves.kcb, curves.kc, curves.root_depth_m, curves.height_m, curves.kcb_min,
        curves.p_table, curves.mulch_factor,
        weather.et_ref_mm, weather.et_ref_day_mm, weather.rain_mm, weather.u2_m_s,
        weather.rhmin_pct, irrigation, fw_irr, *outputs, *finals,
    )
    dr, eta, evaporation, dp, ks = outputs
    final = tuple(
        ZoneState(dr_mm=float(dr[z, -1]), de_mm=float(finals[0][z]), fw=float(finals[1][z]),
                  taw_mm=float(finals[2][z]))
        for z in range(shape[0])
    )
    return SeasonResult(dr, eta, evaporation, dp, ks, final)


def run_season_reference(zones: ZoneTable, curves: CropCurves, weather: WeatherSeries,
                         irrigation_gross_mm: object, initial: Sequence[ZoneState],
                         irrigation_fw: object | None = None) -> SeasonResult:
    """The same as :func:`run_season`, one ``step.advance`` call per zone-step (plain Python)."""
    irrigation = _f64("irrigation_gross_mm", irrigation_gross_mm, 2)
    fw_irr = _fw_array(zones, irrigation_fw)
    _check(zones, curves, weather, irrigation, initial, fw_irr)
    outputs = [np.empty(irrigation.shape) for _ in range(5)]
    final = []
    for z, setup in enumerate(zones.setups):
        state = initial[z]
        curve, station = int(zones.curve[z]), int(zones.station[z])
        for n in range(irrigation.shape[1]):
            fw_event = float(fw_irr[z, n if fw_irr.shape[1] > 1 else 0])
            inputs = weather.step(station, n, float(irrigation[z, n]), fw_event)
            result = advance(state, setup, curves.step(curve, n), inputs)
            state = result.state
            for out, value in zip(outputs, (state.dr_mm, result.eta_mm, result.evaporation_mm,
                                            result.dp_mm, result.ks), strict=True):
                out[z, n] = value
        final.append(state)
    dr, eta, evaporation, dp, ks = outputs
    return SeasonResult(dr, eta, evaporation, dp, ks, tuple(final))
