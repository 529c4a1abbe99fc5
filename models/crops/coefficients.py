"""Crop coefficients through the season (FAO-56 chapters 6, 7, 8 and 9).

Days after planting (``dap``) count from 0 on the planting day; fractional days are allowed
for sub-daily steps. Before planting the initial values hold, after harvest the end values.
"""

from __future__ import annotations

import dataclasses
from typing import Literal, overload

import numpy as np
from numpy.typing import NDArray

from models.crops.library import Crop

__all__ = [
    "adjust_for_climate",
    "climate_adjustment",
    "depletion_fraction",
    "height_m",
    "kc_on_day",
    "root_depth_m",
]

FloatArray = NDArray[np.float64]


def _stage_ends(crop: Crop) -> tuple[float, float, float, float]:
    ini, dev, mid, late = crop.stage_days
    return (float(ini), float(ini + dev), float(ini + dev + mid), float(ini + dev + mid + late))


@overload
def kc_on_day(crop: Crop, dap: float, *, basal: bool = ..., mulched: bool = ...) -> float: ...
@overload
def kc_on_day(
    crop: Crop, dap: FloatArray, *, basal: bool = ..., mulched: bool = ...
) -> FloatArray: ...
def kc_on_day(
    crop: Crop, dap: float | FloatArray, *, basal: bool = False, mulched: bool = False
) -> float | FloatArray:
    """Kc (or Kcb with ``basal``) on a day after planting, FAO-56 Fig. 25 and eq. 66.

    Constant through the initial stage, linear during development to the mid value, constant
    through mid-season, linear during the late stage to the end value (eq. 66 is exactly this
    linear interpolation). ``mulched`` multiplies the single Kc by the crop's mulch factor
    (FAO-56 ch. 9: plastic mulch lowers Kc by 10-30 %); the dual method applies the factor to
    Ke instead, so it never changes Kcb.
    """
    s1, s2, s3, s4 = _stage_ends(crop)
    if basal:
        values = (crop.kcb_ini, crop.kcb_ini, crop.kcb_mid, crop.kcb_mid, crop.kcb_end)
    else:
        values = (crop.kc_ini, crop.kc_ini, crop.kc_mid, crop.kc_mid, crop.kc_end)
    kc = np.interp(dap, (0.0, s1, s2, s3, s4), values)  # eq. 66, dimensionless
    if mulched and not basal:
        kc = kc * crop.mulch_factor
    return float(kc) if np.ndim(kc) == 0 else np.asarray(kc, dtype=np.float64)


def _development_fraction(crop: Crop, dap: float | FloatArray) -> float | FloatArray:
    """0 through the initial stage, rising linearly to 1 at the start of mid-season."""
    s1, s2, _, _ = _stage_ends(crop)
    fraction = np.interp(dap, (s1, s2), (0.0, 1.0))
    return float(fraction) if np.ndim(fraction) == 0 else np.asarray(fraction)


@overload
def root_depth_m(crop: Crop, dap: float) -> float: ...
@overload
def root_depth_m(crop: Crop, dap: FloatArray) -> FloatArray: ...
def root_depth_m(crop: Crop, dap: float | FloatArray) -> float | FloatArray:
    """Effective root depth Zr, m: minimum through the initial stage, growing with the canopy
    (in step with Kcb, as pyfao56 does) to the maximum at the start of mid-season (FAO-56 ch. 8,
    Table 22; roots are taken at full depth once the crop is at full cover)."""
    span = crop.root_depth_max_m - crop.root_depth_min_m
    return crop.root_depth_min_m + span * _development_fraction(crop, dap)


@overload
def height_m(crop: Crop, dap: float) -> float: ...
@overload
def height_m(crop: Crop, dap: FloatArray) -> FloatArray: ...
def height_m(crop: Crop, dap: float | FloatArray) -> float | FloatArray:
    """Crop height h, m, growing with Kcb during development to hmax (FAO-56 Table 12)."""
    span = crop.height_max_m - crop.height_initial_m
    return crop.height_initial_m + span * _development_fraction(crop, dap)


def depletion_fraction(p_table: float, etc_mm_day: float) -> float:
    """Depletion fraction p adjusted for ETc, FAO-56 Table 22 footnote.

    p = p_table + 0.04 (5 − ETc), ETc in mm/d, bounded to 0.1 ≤ p ≤ 0.8.
    """
    return min(max(p_table + 0.04 * (5.0 - etc_mm_day), 0.1), 0.8)


def climate_adjustment(u2_m_s: float, rhmin_pct: float, height: float) -> float:
    """The climate term added to Kc mid / Kc end (FAO-56 eq. 62 and 65; Kcb: eq. 70).

    [0.04 (u2 − 2) − 0.004 (RHmin − 45)] (h/3)^0.3 with u2 (m/s at 2 m) bounded to 1-6 and
    RHmin (%) to 20-80, the range the equation is published for.
    """
    u2 = min(max(u2_m_s, 1.0), 6.0)
    rhmin = min(max(rhmin_pct, 20.0), 80.0)
    return (0.04 * (u2 - 2.0) - 0.004 * (rhmin - 45.0)) * (height / 3.0) ** 0.3


def adjust_for_climate(
    crop: Crop,
    u2_mid_m_s: float,
    rhmin_mid_pct: float,
    u2_end_m_s: float | None = None,
    rhmin_end_pct: float | None = None,
    *,
    stages: Literal["mid", "end", "both"] = "both",
) -> Crop:
    """A copy of ``crop`` with Kc/Kcb mid and end adjusted to the local climate.

    Kc mid: eq. 62; Kc end: eq. 65, only when Kc end ≥ 0.45 (below that the crop is senesced
    or dried and no adjustment applies); Kcb mid and end: eq. 70, same rule. The mean u2 and
    RHmin of the mid-season apply to the end stage unless given separately. h = hmax.
    """
    h = crop.height_max_m
    mid = climate_adjustment(u2_mid_m_s, rhmin_mid_pct, h)
    end = climate_adjustment(
        u2_mid_m_s if u2_end_m_s is None else u2_end_m_s,
        rhmin_mid_pct if rhmin_end_pct is None else rhmin_end_pct,
        h,
    )
    adjust_mid = stages in ("mid", "both")
    adjust_end = stages in ("end", "both")
    return dataclasses.replace(
        crop,
        kc_mid=crop.kc_mid + mid if adjust_mid else crop.kc_mid,  # eq. 62
        kcb_mid=crop.kcb_mid + mid if adjust_mid else crop.kcb_mid,  # eq. 70
        kc_end=crop.kc_end + end if adjust_end and crop.kc_end >= 0.45 else crop.kc_end,  # eq. 65
        kcb_end=(  # eq. 70
            crop.kcb_end + end if adjust_end and crop.kcb_end >= 0.45 else crop.kcb_end
        ),
    )
