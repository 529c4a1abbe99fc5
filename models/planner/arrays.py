"""Validate :class:`PlanInputs` and lay them out as the kernel's arrays."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from models.planner.errors import PlannerInputError
from models.planner.types import PlanInputs, ZonePlanInput

__all__ = ["KernelArrays", "build_arrays"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def _check(condition: bool, element: str, problem: str) -> None:
    if not condition:
        raise PlannerInputError(element, problem)


def _number(
    element: str, value: float, low: float, high: float = math.inf, low_open: bool = False
) -> None:
    ok = math.isfinite(value) and (value > low if low_open else value >= low) and value <= high
    bracket = "(" if low_open else "["
    _check(ok, element, f"{value} not in {bracket}{low:g}, {high:g}]")


def _series(
    element: str, values: Sequence[float], length: int, low: float, high: float = math.inf
) -> None:
    _check(len(values) == length, element, f"{len(values)} values, expected {length}")
    for i, v in enumerate(values):
        _number(f"{element}[{i}]", float(v), low, high)


def _check_site(p: PlanInputs) -> None:
    _check(
        isinstance(p.slot_min, int) and p.slot_min > 0 and 1440 % p.slot_min == 0,
        "slot_min",
        f"{p.slot_min} does not divide a day",
    )
    _check(
        isinstance(p.horizon_days, int) and 1 <= p.horizon_days <= 31,
        "horizon_days",
        f"{p.horizon_days} not in [1, 31]",
    )
    _check(
        0 <= p.start_minute_of_day < 1440,
        "start_minute_of_day",
        f"{p.start_minute_of_day} not in [0, 1440)",
    )
    _check(len(p.zones) > 0, "zones", "no zones")
    ids = [z.zone_id for z in p.zones]
    _check(len(set(ids)) == len(ids), "zones", "duplicate zone_id")
    _number("pump_capacity_m3_h", p.pump_capacity_m3_h, 0.0, low_open=True)
    n = p.n_slots
    _check(len(p.window) == n, "window", f"{len(p.window)} values, expected {n}")
    _series("tariff_per_kwh", p.tariff_per_kwh, n, 0.0)
    _number("rain_last_24h_mm", p.rain_last_24h_mm, 0.0)
    _number("rain_skip_mm", p.rain_skip_mm, 0.0)
    _check(
        isinstance(p.max_defer_h, int) and p.max_defer_h >= 0,
        "max_defer_h",
        f"{p.max_defer_h} must be a whole number of hours ≥ 0",
    )
    if p.reserved_flow_m3_h is not None:
        _series("reserved_flow_m3_h", p.reserved_flow_m3_h, n, 0.0)
    if p.wind_m_s is not None:
        _series("wind_m_s", p.wind_m_s, n, 0.0)
        _number("wind_limit_m_s", p.wind_limit_m_s, 0.0)
    if p.temperature_c is not None:
        _series("temperature_c", p.temperature_c, n, -80.0, 70.0)
        _number("frost_limit_c", p.frost_limit_c, -80.0, 70.0)
    if p.forecast is not None:
        _series("forecast.et0_mm_day", p.forecast.et0_mm_day, p.horizon_days, 0.0, 30.0)
        _series("forecast.rain_mm_day", p.forecast.rain_mm_day, p.horizon_days, 0.0, 1000.0)
    else:
        _check(
            len(p.recent_et0_mm_day) > 0, "recent_et0_mm_day", "needed when there is no forecast"
        )
        _series("recent_et0_mm_day", p.recent_et0_mm_day, len(p.recent_et0_mm_day), 0.0, 30.0)


def _check_zone(i: int, z: ZonePlanInput, p: PlanInputs) -> None:
    at = f"zones[{i}]"
    days = p.horizon_days
    _check(bool(z.zone_id), f"{at}.zone_id", "empty")
    _number(f"{at}.taw_mm", z.taw_mm, 0.0, low_open=True)
    _number(f"{at}.dr_mm", z.dr_mm, 0.0, z.taw_mm)
    _number(f"{at}.refill_target_fraction", z.refill_target_fraction, 0.0, 1.0)
    mad = z.mad_per_day(days)
    _series(f"{at}.mad_fraction", mad, days, 0.0, 1.0)
    for d, m in enumerate(mad):
        _check(
            m > z.refill_target_fraction,
            f"{at}.mad_fraction[{d}]",
            f"{m} must exceed refill_target_fraction {z.refill_target_fraction}",
        )
    _series(f"{at}.kc", z.kc_per_day(days), days, 0.0, 2.0)
    _number(f"{at}.area_m2", z.area_m2, 0.0, low_open=True)
    _number(f"{at}.flow_m3_h", z.flow_m3_h, 0.0, low_open=True)
    _check(
        z.flow_m3_h <= p.pump_capacity_m3_h,
        f"{at}.flow_m3_h",
        f"{z.flow_m3_h} exceeds pump_capacity_m3_h {p.pump_capacity_m3_h}",
    )
    _number(f"{at}.efficiency", z.efficiency, 0.0, 1.0, low_open=True)
    _number(f"{at}.effective_rain_fraction", z.effective_rain_fraction, 0.0, 1.0)
    _check(
        isinstance(z.min_run_min, int) and z.min_run_min >= 1,
        f"{at}.min_run_min",
        f"{z.min_run_min} must be a whole number of minutes ≥ 1",
    )
    _check(
        isinstance(z.max_run_min, int) and z.max_run_min >= z.min_run_min,
        f"{at}.max_run_min",
        f"{z.max_run_min} must be whole minutes ≥ min_run_min",
    )
    _check(
        isinstance(z.cycle_max_min, int) and z.cycle_max_min >= 1,
        f"{at}.cycle_max_min",
        f"{z.cycle_max_min} must be a whole number of minutes ≥ 1",
    )
    _check(
        isinstance(z.soak_min, int) and z.soak_min >= 0,
        f"{at}.soak_min",
        f"{z.soak_min} must be a whole number of minutes ≥ 0",
    )
    _check(
        z.infiltration_mm_h > 0.0 and not math.isnan(z.infiltration_mm_h),
        f"{at}.infiltration_mm_h",
        f"{z.infiltration_mm_h} must be > 0",
    )
    _check(
        z.system in ("drip", "micro", "sprinkler", "surface"),
        f"{at}.system",
        f"{z.system!r} not drip/micro/sprinkler/surface",
    )
    if z.window is not None:
        _check(
            len(z.window) == p.n_slots,
            f"{at}.window",
            f"{len(z.window)} values, expected {p.n_slots}",
        )


@dataclass(frozen=True)
class KernelArrays:
    """The kernel's inputs (see ``kernel.plan_zones``) plus what decisions report."""

    dr0_mm: FloatArray
    taw_mm: FloatArray
    trigger_mm: FloatArray
    target_mm: FloatArray
    etc_mm: FloatArray
    rain_mm: FloatArray
    efficiency: FloatArray
    area_m2: FloatArray
    flow_m3_h: FloatArray
    min_run_min: IntArray
    max_run_min: IntArray
    cycle_max_min: IntArray
    soak_min: IntArray
    enabled: BoolArray
    allowed: BoolArray
    tariff: FloatArray
    capacity_m3_h: float
    slots_per_day: int
    slot_min: int
    max_defer_slots: int
    reserved_m3_h: FloatArray
    # reported, not used by the kernel
    et0_mm_day: FloatArray
    et0_source: Literal["forecast", "recent_mean"]
    etc_mm_day: FloatArray
    wind_blocked: IntArray
    frost_blocked: IntArray

    def kernel_args(self) -> tuple[Any, ...]:
        return (
            self.dr0_mm,
            self.taw_mm,
            self.trigger_mm,
            self.target_mm,
            self.etc_mm,
            self.rain_mm,
            self.efficiency,
            self.area_m2,
            self.flow_m3_h,
            self.min_run_min,
            self.max_run_min,
            self.cycle_max_min,
            self.soak_min,
            self.enabled,
            self.allowed,
            self.tariff,
            self.capacity_m3_h,
            self.slots_per_day,
            self.slot_min,
            self.max_defer_slots,
            self.reserved_m3_h,
        )


def _f64(values: object) -> FloatArray:
    return np.ascontiguousarray(values, dtype=np.float64)


def _i64(values: object) -> IntArray:
    return np.ascontiguousarray(values, dtype=np.int64)


def build_arrays(p: PlanInputs) -> KernelArrays:
    """Validate ``p`` (raising :class:`PlannerInputError` naming the bad input) and build the
    kernel's arrays. ETc per day = Kc · ET0 (eq. 56, no stress: Ks = 1, the conservative
    projection); ETc and effective rain are spread evenly over a day's slots."""
    _check_site(p)
    for i, zone in enumerate(p.zones):
        _check_zone(i, zone, p)
    days, spd, n = p.horizon_days, p.slots_per_day, p.n_slots
    zones = p.zones
    et0_source: Literal["forecast", "recent_mean"]
    if p.forecast is not None:
        et0_day = _f64(p.forecast.et0_mm_day)
        rain_day = _f64(p.forecast.rain_mm_day)
        et0_source = "forecast"
    else:
        et0_day = np.full(days, float(np.mean(p.recent_et0_mm_day)))
        rain_day = np.zeros(days)
        et0_source = "recent_mean"
    kc = _f64([z.kc_per_day(days) for z in zones])
    etc_day = kc * et0_day  # eq. 56, mm/d
    rain_eff_day = _f64([z.effective_rain_fraction for z in zones])[:, None] * rain_day
    taw = _f64([z.taw_mm for z in zones])
    trigger = _f64([z.mad_per_day(days) for z in zones]) * taw[:, None]  # MAD · TAW (eq. 83)

    site = np.asarray(p.window, dtype=np.bool_)
    allowed = np.repeat(site[None, :], len(zones), axis=0)
    for i, z in enumerate(zones):
        if z.window is not None:
            allowed[i] &= np.asarray(z.window, dtype=np.bool_)
    frost = (
        np.asarray(p.temperature_c) < p.frost_limit_c
        if p.temperature_c is not None
        else np.zeros(n, dtype=np.bool_)
    )
    windy = (
        np.asarray(p.wind_m_s) > p.wind_limit_m_s
        if p.wind_m_s is not None
        else np.zeros(n, dtype=np.bool_)
    )
    sprinkler = np.array([z.system == "sprinkler" for z in zones])
    frost_blocked = (allowed & frost).sum(axis=1)
    allowed &= ~frost
    wind_mask = sprinkler[:, None] & windy[None, :]
    wind_blocked = (allowed & wind_mask).sum(axis=1)
    allowed &= ~wind_mask

    skip_site = p.rain_last_24h_mm >= p.rain_skip_mm
    return KernelArrays(
        dr0_mm=_f64([z.dr_mm for z in zones]),
        taw_mm=taw,
        trigger_mm=trigger,
        target_mm=_f64([z.refill_target_fraction for z in zones]) * taw,
        etc_mm=np.ascontiguousarray(np.repeat(etc_day / spd, spd, axis=1)),
        rain_mm=np.ascontiguousarray(np.repeat(rain_eff_day / spd, spd, axis=1)),
        efficiency=_f64([z.efficiency for z in zones]),
        area_m2=_f64([z.area_m2 for z in zones]),
        flow_m3_h=_f64([z.flow_m3_h for z in zones]),
        min_run_min=_i64([z.min_run_min for z in zones]),
        max_run_min=_i64([z.max_run_min for z in zones]),
        cycle_max_min=_i64(
            [z.cycle_max_min if z.application_mm_h > z.infiltration_mm_h else 0 for z in zones]
        ),
        soak_min=_i64([z.soak_min for z in zones]),
        enabled=np.array([not (skip_site or z.probes_wet) for z in zones], dtype=np.bool_),
        allowed=np.ascontiguousarray(allowed),
        tariff=_f64(p.tariff_per_kwh),
        capacity_m3_h=float(p.pump_capacity_m3_h),
        slots_per_day=spd,
        slot_min=p.slot_min,
        max_defer_slots=p.max_defer_h * 60 // p.slot_min,
        reserved_m3_h=_f64(p.reserved_flow_m3_h)
        if p.reserved_flow_m3_h is not None
        else np.zeros(n),
        et0_mm_day=et0_day,
        et0_source=et0_source,
        etc_mm_day=etc_day,
        wind_blocked=_i64(wind_blocked),
        frost_blocked=_i64(frost_blocked),
    )
