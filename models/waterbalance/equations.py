"""FAO-56 water-balance equations, one equation group per function.

Plain Python on floats, so the per-zone reference (``step.py``) calls them directly and the numba
kernel (``kernel.py``) compiles the very same functions. Depths in mm, fractions 0-1, Kc
dimensionless. Equation numbers are those of FAO Irrigation and Drainage Paper 56.
"""

from __future__ import annotations

__all__ = [
    "canopy_cover",
    "climate_term",
    "deep_percolation",
    "depletion_fraction",
    "evaporation_coefficient",
    "evaporation_layer",
    "evaporation_reduction",
    "exposed_wetted_fraction",
    "kc_max",
    "rain_partition",
    "readily_available_water",
    "root_zone_depletion",
    "water_stress",
    "wetted_fraction",
]


def climate_term(u2_m_s: float, rhmin_pct: float) -> float:
    """0.04 (u2 − 2) − 0.004 (RHmin − 45) of eq. 72, u2 bounded 1-6 m/s, RHmin 20-80 %."""
    u2 = min(max(u2_m_s, 1.0), 6.0)
    rhmin = min(max(rhmin_pct, 20.0), 80.0)
    return 0.04 * (u2 - 2.0) - 0.004 * (rhmin - 45.0)


def kc_max(kcb: float, climate: float, height_m: float) -> float:
    """Upper limit of Kc after wetting, eq. 72: max(1.2 + climate (h/3)^0.3, Kcb + 0.05)."""
    return max(1.2 + climate * (height_m / 3.0) ** 0.3, kcb + 0.05)


def canopy_cover(kcb: float, kcb_min: float, kcmax: float, height_m: float) -> float:
    """Fraction of soil covered by vegetation fc, eq. 76, bounded to 0-0.99."""
    ratio = max(kcb - kcb_min, 0.0) / (kcmax - kcb_min)
    return min(max(ratio ** (1.0 + 0.5 * height_m), 0.0), 0.99)


def wetted_fraction(
    fw_prev: float, irrigation_mm: float, rain_mm: float, fw_irrigation: float
) -> float:
    """Fraction of the surface wetted fw (Table 20), as pyfao56 applies it.

    An irrigation sets the system's fw; rain of 3 mm or more without irrigation wets the whole
    surface; otherwise the previous wetting persists.
    """
    if irrigation_mm > 0.0:
        return fw_irrigation
    if rain_mm >= 3.0:
        return 1.0
    return fw_prev


def exposed_wetted_fraction(fc: float, fw: float) -> float:
    """Exposed and wetted soil fraction few = min(1 − fc, fw), eq. 75, bounded 0.01-1."""
    return min(max(min(1.0 - fc, fw), 0.01), 1.0)


def evaporation_reduction(de_prev_mm: float, tew_mm: float, rew_mm: float) -> float:
    """Evaporation reduction coefficient Kr = (TEW − De) / (TEW − REW), eq. 74, bounded 0-1."""
    return min(max((tew_mm - de_prev_mm) / (tew_mm - rew_mm), 0.0), 1.0)


def evaporation_coefficient(
    kr: float, kcmax: float, kcb: float, few: float, mulch_factor: float
) -> float:
    """Soil evaporation coefficient Ke = min(Kr (Kcmax − Kcb), few Kcmax), eq. 71.

    Multiplied by the mulch factor (FAO-56 ch. 9: mulch lowers soil evaporation; 1.0 = bare).
    """
    return mulch_factor * min(kr * (kcmax - kcb), few * kcmax)


def rain_partition(
    rain_mm: float, effective_fraction: float, runoff_threshold_mm: float
) -> tuple[float, float]:
    """Split rain into (effective, runoff), mm.

    The method (documented in ``ZoneSetup``): rain above a daily threshold runs off entirely
    (intense storms on crusted or sloping ground); of the rest a fixed fraction infiltrates
    (FAO-25/FAO-56 ch. 8 "effective precipitation" as a fraction). Water that infiltrates
    beyond the root-zone deficit is deep percolation (eq. 88), not runoff.
    """
    below = min(rain_mm, runoff_threshold_mm)
    effective = effective_fraction * below
    return effective, rain_mm - effective


def evaporation_layer(
    de_prev_mm: float,
    rain_eff_mm: float,
    irrigation_net_mm: float,
    fw: float,
    evaporation_mm: float,
    few: float,
    tew_mm: float,
) -> tuple[float, float]:
    """Evaporation-layer depletion De and its drainage DPe, mm (eq. 77, 78, 79).

    DPe = max(P − RO + I/fw − De,i−1, 0) (eq. 79);
    De = De,i−1 − (P − RO) − I/fw + E/few + DPe (eq. 77), bounded 0 ≤ De ≤ TEW (eq. 78).
    Transpiration from the layer is neglected, as FAO-56 allows and pyfao56 does.
    """
    wetting = rain_eff_mm + irrigation_net_mm / fw
    dpe = max(wetting - de_prev_mm, 0.0)
    de = de_prev_mm - wetting + evaporation_mm / few + dpe
    return min(max(de, 0.0), tew_mm), dpe


def depletion_fraction(p_table: float, etc_mm_day: float) -> float:
    """p = p_table + 0.04 (5 − ETc), ETc in mm/d, bounded 0.1-0.8 (Table 22 footnote)."""
    return min(max(p_table + 0.04 * (5.0 - etc_mm_day), 0.1), 0.8)


def readily_available_water(p: float, taw_mm: float) -> float:
    """RAW = p TAW, eq. 83, mm."""
    return p * taw_mm


def water_stress(dr_prev_mm: float, taw_mm: float, raw_mm: float) -> float:
    """Water stress coefficient Ks = (TAW − Dr) / (TAW − RAW), eq. 84, bounded 0-1.

    Ks = 1 while Dr ≤ RAW. With TAW = RAW (p = 1 is impossible here, p ≤ 0.8) no division by 0.
    """
    if dr_prev_mm <= raw_mm:
        return 1.0
    return max((taw_mm - dr_prev_mm) / (taw_mm - raw_mm), 0.0)


def deep_percolation(
    dr_prev_mm: float, rain_eff_mm: float, irrigation_net_mm: float, eta_mm: float
) -> float:
    """Deep percolation out of the root zone, eq. 88: DP = max(P − RO + I − ETc − Dr,i−1, 0)."""
    return max(rain_eff_mm + irrigation_net_mm - eta_mm - dr_prev_mm, 0.0)


def root_zone_depletion(
    dr_prev_mm: float, rain_eff_mm: float, irrigation_net_mm: float, eta_mm: float, dp_mm: float
) -> float:
    """Dr = Dr,i−1 − (P − RO) − I + ETc + DP, eq. 85 (capillary rise neglected), ≥ 0 (eq. 86).

    With DP from eq. 88 the result is ≥ 0 up to rounding; the max removes −1e-16 residues.
    """
    return max(dr_prev_mm - rain_eff_mm - irrigation_net_mm + eta_mm + dp_mm, 0.0)
