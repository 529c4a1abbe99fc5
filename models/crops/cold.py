"""Cold on maize transpiration: a cool day's Kcb below the calendar's (AquaCrop, ch. 3).

FAO-56 Kc is for a crop under standard conditions; it has no term for a cool day. Maize
transpires less on a day too cool to grow: AquaCrop (Raes, Steduto, Hsiao & Fereres,
*AquaCrop reference manual*, FAO, ch. 3 "cold stress on crop transpiration"; Steduto et al.
2009, Agron. J. 101: 426-437) multiplies the crop's transpiration by a cold-stress coefficient
Ks,Tr of the day's growing degree days,

    GDD = max((min(max(Tmax, Tb), Tu) + min(Tmin, Tu)) / 2, Tb) − Tb          (method 3)
    Ks,Tr = 1                                   for GDD ≥ GDD up
    Ks,Tr = Ks,lo Ks,up / (Ks,lo + (Ks,up − Ks,lo) e^(−f x)) − Ks,lo (1 − x)
            with x = (GDD − GDD lo) / (GDD up − GDD lo),  f = −ln[(Ks,lo Ks,up − 0.98 Ks,lo)
            / (0.98 (Ks,up − Ks,lo))],  Ks,up 1, Ks,lo 0.02                   (logistic)
    Ks,Tr = 0                                   for GDD ≤ GDD lo

with maize's Tb 8 °C, Tu 30 °C, GDD up 12 °C·d and GDD lo 0 (AquaCrop's maize file). In
Zhangye a mid-season day under ~20 °C mean and most of September fall below GDD up.

In the single-Kc balance (FAO-56 ch. 6) only the crop's transpiring share of Kc feels it: the
basal Kcb above Kc min (bare soil's, FAO-56 eq. 97's Kc min; the soil's evaporation is not a
crop's and stays):

    Kc cold = Kc − (Kcb − Kc min) (1 − Ks,Tr)          Kcb cold = Kc min + (Kcb − Kc min) Ks,Tr

All coefficients are dimensionless; temperatures in °C, degree days in °C·d.
"""

from __future__ import annotations

import math

from models.errors import ModelInputError

__all__ = [
    "COLD_GDD_LO",
    "COLD_GDD_UP",
    "COLD_TBASE_C",
    "COLD_TUPPER_C",
    "cold_gdd",
    "cold_kc",
    "cold_stress_coefficient",
]

COLD_TBASE_C = 8.0  # AquaCrop maize: base temperature, °C
COLD_TUPPER_C = 30.0  # AquaCrop maize: upper temperature, °C
COLD_GDD_UP = 12.0  # AquaCrop maize: no cold stress on transpiration from 12 °C·d a day
COLD_GDD_LO = 0.0  # AquaCrop maize: no transpiration at 0 °C·d
_KS_UP, _KS_LO = 1.0, 0.02
_SHAPE = -math.log((_KS_LO * _KS_UP - 0.98 * _KS_LO) / (0.98 * (_KS_UP - _KS_LO)))


def cold_gdd(
    tmax_c: float, tmin_c: float, tbase_c: float = COLD_TBASE_C, tupper_c: float = COLD_TUPPER_C
) -> float:
    """The day's growing degree days for the cold stress, °C·d (AquaCrop method 3, module
    docstring); ``ModelInputError`` if Tmax is below Tmin or either is not finite."""
    if not (math.isfinite(tmax_c) and math.isfinite(tmin_c)) or tmax_c < tmin_c:
        raise ModelInputError(f"tmax_c {tmax_c!r}, tmin_c {tmin_c!r}: not a day's Tmax ≥ Tmin")
    hi = min(max(tmax_c, tbase_c), tupper_c)
    lo = min(tmin_c, tupper_c)
    return max((hi + lo) / 2.0, tbase_c) - tbase_c


def cold_stress_coefficient(
    gdd_degc_day: float, gdd_up: float = COLD_GDD_UP, gdd_lo: float = COLD_GDD_LO
) -> float:
    """Ks,Tr, 0..1, of a day with ``gdd_degc_day`` °C·d (the logistic of the module docstring;
    0.49 at half of GDD up)."""
    if gdd_degc_day >= gdd_up:
        return 1.0
    if gdd_degc_day <= gdd_lo:
        return 0.0
    x = (gdd_degc_day - gdd_lo) / (gdd_up - gdd_lo)
    ks = _KS_LO * _KS_UP / (_KS_LO + (_KS_UP - _KS_LO) * math.exp(-_SHAPE * x))
    return min(max(ks - _KS_LO * (1.0 - x), 0.0), 1.0)


def cold_kc(kc: float, kcb: float, kc_min: float, ks_cold: float) -> tuple[float, float]:
    """(Kc, Kcb) of a cool day: the transpiring share Kcb − Kc min times Ks,Tr (module
    docstring), never below Kc min."""
    share = max(kcb - kc_min, 0.0) * (1.0 - min(max(ks_cold, 0.0), 1.0))
    return max(kc - share, kc_min), max(kcb - share, min(kc_min, kcb))
