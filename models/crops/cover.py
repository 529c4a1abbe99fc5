"""Basal crop coefficient from ground cover and plant height (FAO-56 ch. 9, eq. 97-99).

Where a camera measures the fraction of the ground the canopy covers, Kcb need not come from
the calendar: FAO-56 estimates it from that fraction and the plant height,

    Kcb = Kc min + Kd (Kcb full − Kc min)                                   (eq. 97)
    Kd  = min(1, ML · fc eff, fc eff ^ (1 / (1 + h)))                       (eq. 98)
    Kcb full = min(1.0 + 0.1 h, 1.20)
               + [0.04 (u2 − 2) − 0.004 (RHmin − 45)] (h/3)^0.3             (eq. 99)

fc eff is the effective fraction of the ground covered or shaded by the canopy near solar
noon; a camera looking straight down measures fc, which is fc eff when the sun is high (the
caller may widen it for low sun). ML (1.5-2.0) is the multiplier on fc eff describing how much
more than its own area a thin canopy shades and transpires. Kc min is the Kc of bare dry soil
(0.15-0.20). All coefficients are dimensionless; h is in metres, u2 in m/s, RHmin in percent.
"""

from __future__ import annotations

import math

from models.crops.coefficients import climate_adjustment
from models.errors import ModelInputError

__all__ = ["density_coefficient", "kcb_from_cover", "kcb_full"]

KC_MIN_BARE = 0.15  # FAO-56 ch. 9: Kc min of bare soil with no ground cover, 0.15-0.20


def _check(name: str, value: float, low: float, high: float) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise ModelInputError(f"{name} = {value!r} is outside {low}..{high}")


def density_coefficient(fc_eff: float, height_m: float, ml: float = 2.0) -> float:
    """Kd, the density coefficient (FAO-56 eq. 98), dimensionless 0..1.

    ``fc_eff`` effective ground cover (0..1), ``height_m`` mean plant height (m), ``ml`` the
    multiplier on fc eff (FAO-56: 1.5-2.0).
    """
    _check("fc_eff", fc_eff, 0.0, 1.0)
    _check("height_m", height_m, 0.0, 30.0)
    _check("ml", ml, 1.0, 2.0)
    return min(1.0, ml * fc_eff, fc_eff ** (1.0 / (1.0 + height_m)))  # eq. 98


def kcb_full(height_m: float, u2_m_s: float = 2.0, rhmin_pct: float = 45.0) -> float:
    """Kcb full, Kcb at nearly full cover for the crop's height and climate (FAO-56 eq. 99).

    min(1.0 + 0.1 h, 1.20) for h in metres, plus the climate term of eq. 70 (u2 in m/s at
    2 m, RHmin in percent; both bounded to the range the term is published for).
    """
    _check("height_m", height_m, 0.0, 30.0)
    return min(1.0 + 0.1 * height_m, 1.20) + climate_adjustment(u2_m_s, rhmin_pct, height_m)


def kcb_from_cover(
    fc_eff: float,
    height_m: float,
    *,
    kcb_full_value: float | None = None,
    kc_min: float = KC_MIN_BARE,
    ml: float = 2.0,
    u2_m_s: float = 2.0,
    rhmin_pct: float = 45.0,
) -> float:
    """Kcb from effective ground cover and plant height (FAO-56 eq. 97), dimensionless.

    ``kcb_full_value`` overrides eq. 99 (e.g. a crop's own Kcb mid); otherwise Kcb full comes
    from the height and the climate (``u2_m_s``, ``rhmin_pct``). Raises
    :class:`~models.errors.ModelInputError` naming the input outside its range.
    """
    _check("kc_min", kc_min, 0.0, 0.5)
    full = kcb_full(height_m, u2_m_s, rhmin_pct) if kcb_full_value is None else kcb_full_value
    _check("kcb_full", full, kc_min, 1.6)
    kd = density_coefficient(fc_eff, height_m, ml)
    return kc_min + kd * (full - kc_min)  # eq. 97
