"""Numba kernel: many zones over many steps at once (the reference is ``season.py``'s loop
over ``step.advance``). Zones run in parallel (prange); each zone walks its steps in order.

The equations are those of ``equations.py``, compiled by numba; this module only arranges
them over arrays. Array shapes: Z zones, C crop curves, S weather stations, N steps, L layers.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from models.waterbalance import equations as _eq

__all__ = ["advance_zones"]

_jit = njit(cache=True, inline="always")
_climate_term = _jit(_eq.climate_term)
_kc_max = _jit(_eq.kc_max)
_canopy_cover = _jit(_eq.canopy_cover)
_wetted_fraction = _jit(_eq.wetted_fraction)
_exposed_wetted_fraction = _jit(_eq.exposed_wetted_fraction)
_evaporation_reduction = _jit(_eq.evaporation_reduction)
_evaporation_coefficient = _jit(_eq.evaporation_coefficient)
_rain_partition = _jit(_eq.rain_partition)
_evaporation_layer = _jit(_eq.evaporation_layer)
_depletion_fraction = _jit(_eq.depletion_fraction)
_readily_available_water = _jit(_eq.readily_available_water)
_water_stress = _jit(_eq.water_stress)
_deep_percolation = _jit(_eq.deep_percolation)


@_jit
def _taw(layer_bottom_m: np.ndarray, layer_awc: np.ndarray, z: int, root_depth_m: float) -> float:
    """TAW = Σ 1000 (θfc − θwp) Δz over the layers the roots reach, eq. 82, mm.

    ``layer_awc`` already holds 1000 (θfc − θwp) in mm/m; unused layers have zero thickness.
    """
    taw = 0.0
    top = 0.0
    for k in range(layer_bottom_m.shape[1]):
        bottom = layer_bottom_m[z, k]
        if root_depth_m <= top:
            break
        taw += layer_awc[z, k] * (min(bottom, root_depth_m) - top)
        top = bottom
    return taw


@njit(cache=True, parallel=True)
def advance_zones(
    dr0: np.ndarray, de0: np.ndarray, fw0: np.ndarray, taw0: np.ndarray,
    zone_curve: np.ndarray, zone_station: np.ndarray,
    layer_bottom_m: np.ndarray, layer_awc: np.ndarray,
    tew_mm: np.ndarray, rew_mm: np.ndarray, dual: np.ndarray, efficiency: np.ndarray,
    fw_irrigation: np.ndarray, rain_fraction: np.ndarray, runoff_threshold_mm: np.ndarray,
    kcb: np.ndarray, kc: np.ndarray, root_depth_m: np.ndarray, height_m: np.ndarray,
    kcb_min: np.ndarray, p_table: np.ndarray, mulch: np.ndarray,
    et_ref: np.ndarray, et_ref_day: np.ndarray, rain: np.ndarray, u2: np.ndarray,
    rhmin: np.ndarray,
    irrigation_gross: np.ndarray, irrigation_fw: np.ndarray,
    out_dr: np.ndarray, out_eta: np.ndarray, out_e: np.ndarray, out_dp: np.ndarray,
    out_ks: np.ndarray, final_de: np.ndarray, final_fw: np.ndarray, final_taw: np.ndarray,
) -> None:
    """Advance Z zones over N steps; writes Dr, ETa, E, DP, Ks per zone-step and final state.

    Zone arrays (Z,): initial dr0/de0/fw0/taw0, crop-curve and station index, soil layers
    (Z, L), TEW/REW (mm), dual flag, efficiency, system fw, rain fraction, runoff threshold.
    Crop curves (C, N): Kcb, Kc, Zr (m), h (m); per curve (C,): Kcb min, p, mulch factor.
    Weather (S, N): ETref, ETref of the day (for p), rain (mm), u2 (m/s), RHmin (%).
    Irrigation (Z, N): gross depth (mm); irrigation_fw (Z, N) or (Z, 1): fw per event.
    """
    n_zones = dr0.shape[0]
    n_steps = et_ref.shape[1]
    fw_per_step = irrigation_fw.shape[1] > 1
    for z in prange(n_zones):
        c = zone_curve[z]
        s = zone_station[z]
        dr = dr0[z]
        de = de0[z]
        fw = fw0[z]
        taw_prev = taw0[z]
        tew = tew_mm[z]
        rew = rew_mm[z]
        is_dual = dual[z]
        for n in range(n_steps):
            eto = et_ref[s, n]
            rain_mm = rain[s, n]
            irr_gross = irrigation_gross[z, n]
            rain_eff, _runoff = _rain_partition(rain_mm, rain_fraction[z], runoff_threshold_mm[z])
            irr_net = irr_gross * efficiency[z]  # net = gross × efficiency
            kcb_n = kcb[c, n]
            ke = 0.0
            few = 1.0
            if is_dual:
                h = height_m[c, n]
                kcmax = _kc_max(kcb_n, _climate_term(u2[s, n], rhmin[s, n]), h)  # eq. 72
                fc = _canopy_cover(kcb_n, kcb_min[c], kcmax, h)  # eq. 76
                fw_event = irrigation_fw[z, n] if fw_per_step else irrigation_fw[z, 0]
                fw = _wetted_fraction(fw, irr_gross, rain_mm, fw_event)  # Table 20
                few = _exposed_wetted_fraction(fc, fw)  # eq. 75
                kr = _evaporation_reduction(de, tew, rew)  # eq. 74
                ke = _evaporation_coefficient(kr, kcmax, kcb_n, few, mulch[c])  # eq. 71
                kc_n = kcb_n + ke  # eq. 69
            else:
                kc_n = kc[c, n] * mulch[c]  # single Kc with mulch (FAO-56 ch. 9)
            evaporation = ke * eto  # eq. 69, mm
            taw = _taw(layer_bottom_m, layer_awc, z, root_depth_m[c, n])  # eq. 82, mm
            if dr > taw:
                dr = taw
            p = _depletion_fraction(p_table[c], kc_n * et_ref_day[s, n])  # Table 22
            raw = _readily_available_water(p, taw)  # eq. 83
            ks = _water_stress(dr, taw, raw)  # eq. 84
            transpiration = ks * (kc_n - ke) * eto  # eq. 80
            eta = transpiration + evaporation  # eq. 80
            dp = _deep_percolation(dr, rain_eff, irr_net, eta)  # eq. 88
            dr_new = dr - rain_eff - irr_net + eta + dp  # eq. 85
            if dr_new > taw:
                short = dr_new - taw  # the soil cannot give more than it holds
                cut_e = min(evaporation, short)
                evaporation -= cut_e
                transpiration = max(transpiration - (short - cut_e), 0.0)
                eta = transpiration + evaporation
                dr_new = taw
            dr = max(dr_new, 0.0)  # eq. 86
            if is_dual:
                de, _dpe = _evaporation_layer(de, rain_eff, irr_net, fw, evaporation, few,
                                              tew)  # eq. 77-79
            taw_prev = taw
            out_dr[z, n] = dr
            out_eta[z, n] = eta
            out_e[z, n] = evaporation
            out_dp[z, n] = dp
            out_ks[z, n] = ks
        final_de[z] = de
        final_fw[z] = fw
        final_taw[z] = taw_prev
