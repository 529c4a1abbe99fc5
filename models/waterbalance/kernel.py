"""Numba kernels: many zones over many steps at once (the reference is ``season.py``'s loop
over ``step.advance``; tests hold the two equal).

The equations are those of ``equations.py``, compiled by numba; this module only arranges
them over arrays. Shapes: Z zones, G zone groups, C crop curves, S weather stations,
N steps, L soil layers.

What depends only on the crop, the weather and the soil (Kcmax, fc, TAW) is the same for every
zone sharing a crop curve, a station and a soil: :func:`group_series` computes it once per
such group (the powers of eq. 72 and 76 are the expensive part), and :func:`advance_zones`
runs the per-zone state (De, Dr, fw) in parallel over zones.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from models.waterbalance import equations as _eq

__all__ = ["advance_zones", "group_series"]

_jit = njit(cache=True, inline="always", error_model="numpy")
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
def _taw(layer_bottom_m: np.ndarray, layer_awc: np.ndarray, g: int, root_depth_m: float) -> float:
    """TAW = Σ 1000 (θfc − θwp) Δz over the layers the roots reach, eq. 82, mm.

    ``layer_awc`` holds 1000 (θfc − θwp) in mm/m; padding layers have zero thickness.
    """
    taw = 0.0
    top = 0.0
    for k in range(layer_bottom_m.shape[1]):
        if root_depth_m <= top:
            break
        bottom = layer_bottom_m[g, k]
        taw += layer_awc[g, k] * (min(bottom, root_depth_m) - top)
        top = bottom
    return taw


@njit(cache=True, parallel=True, error_model="numpy")
def group_series(
    group_curve: np.ndarray, group_station: np.ndarray,
    layer_bottom_m: np.ndarray, layer_awc: np.ndarray,
    kcb: np.ndarray, root_depth_m: np.ndarray, height_m: np.ndarray, kcb_min: np.ndarray,
    u2: np.ndarray, rhmin: np.ndarray,
    out_kcmax: np.ndarray, out_fc: np.ndarray, out_taw: np.ndarray,
) -> None:
    """Per group and step (G, N): Kcmax (eq. 72), canopy cover fc (eq. 76), TAW (eq. 82, mm).

    Group arrays (G,): crop-curve and station index, soil layers (G, L). Crop curves (C, N):
    Kcb, Zr (m), h (m); (C,) Kcb min. Weather (S, N): u2 (m/s), RHmin (%).
    """
    for g in prange(group_curve.shape[0]):
        c = group_curve[g]
        s = group_station[g]
        for n in range(kcb.shape[1]):
            h = height_m[c, n]
            kcmax = _kc_max(kcb[c, n], _climate_term(u2[s, n], rhmin[s, n]), h)  # eq. 72
            out_kcmax[g, n] = kcmax
            out_fc[g, n] = _canopy_cover(kcb[c, n], kcb_min[c], kcmax, h)  # eq. 76
            out_taw[g, n] = _taw(layer_bottom_m, layer_awc, g, root_depth_m[c, n])  # eq. 82


@njit(cache=True, parallel=True, error_model="numpy")
def advance_zones(
    dr0: np.ndarray, de0: np.ndarray, fw0: np.ndarray,
    zone_group: np.ndarray, group_curve: np.ndarray, group_station: np.ndarray,
    tew_mm: np.ndarray, rew_mm: np.ndarray, dual: np.ndarray, efficiency: np.ndarray,
    rain_fraction: np.ndarray, runoff_threshold_mm: np.ndarray,
    kcb: np.ndarray, kc: np.ndarray, p_table: np.ndarray, mulch: np.ndarray,
    kcmax: np.ndarray, fc: np.ndarray, taw: np.ndarray,
    et_ref: np.ndarray, et_ref_day: np.ndarray, rain: np.ndarray,
    irrigation_gross: np.ndarray, irrigation_fw: np.ndarray,
    out_dr: np.ndarray, out_eta: np.ndarray, out_e: np.ndarray, out_dp: np.ndarray,
    out_ks: np.ndarray, final_de: np.ndarray, final_fw: np.ndarray,
) -> None:
    """Advance Z zones over N steps; writes Dr, ETa, E, DP (mm) and Ks per zone-step, and the
    final De and fw (final Dr is the last column of ``out_dr``).

    Zone arrays (Z,): initial Dr, De (mm), fw; group index; TEW, REW (mm); dual flag;
    application efficiency; effective rain fraction; runoff threshold (mm).
    Group arrays: curve and station index (G,), Kcmax, fc, TAW (G, N) from ``group_series``.
    Crop curves: Kcb, Kc (C, N); p at 5 mm/d, mulch factor (C,).
    Weather (S, N): ETref, ETref of the day (for p), rain, mm.
    Irrigation: gross depth (Z, N), mm; fw of the event (Z, N), or (Z, 1) for the system's.
    """
    n_steps = et_ref.shape[1]
    fw_per_step = irrigation_fw.shape[1] > 1
    for z in prange(dr0.shape[0]):
        g = zone_group[z]
        c = group_curve[g]
        s = group_station[g]
        dr = dr0[z]
        de = de0[z]
        fw = fw0[z]
        tew = tew_mm[z]
        rew = rew_mm[z]
        is_dual = dual[z]
        for n in range(n_steps):
            eto = et_ref[s, n]
            rain_mm = rain[s, n]
            irr_gross = irrigation_gross[z, n]
            rain_eff, _runoff = _rain_partition(rain_mm, rain_fraction[z], runoff_threshold_mm[z])
            irr_net = irr_gross * efficiency[z]  # net = gross × efficiency
            ke = 0.0
            few = 1.0
            if is_dual:
                fw_event = irrigation_fw[z, n] if fw_per_step else irrigation_fw[z, 0]
                fw = _wetted_fraction(fw, irr_gross, rain_mm, fw_event)  # Table 20
                few = _exposed_wetted_fraction(fc[g, n], fw)  # eq. 75
                kr = _evaporation_reduction(de, tew, rew)  # eq. 74
                ke = _evaporation_coefficient(kr, kcmax[g, n], kcb[c, n], few, mulch[c])  # eq. 71
                kc_n = kcb[c, n] + ke  # eq. 69
            else:
                kc_n = kc[c, n] * mulch[c]  # single Kc with mulch (FAO-56 ch. 9)
            evaporation = ke * eto  # eq. 69, mm
            taw_n = taw[g, n]  # eq. 82, mm
            if dr > taw_n:
                dr = taw_n
            p = _depletion_fraction(p_table[c], kc_n * et_ref_day[s, n])  # Table 22
            raw = _readily_available_water(p, taw_n)  # eq. 83
            ks = _water_stress(dr, taw_n, raw)  # eq. 84
            transpiration = ks * (kc_n - ke) * eto  # eq. 80
            eta = transpiration + evaporation  # eq. 80
            dp = _deep_percolation(dr, rain_eff, irr_net, eta)  # eq. 88
            dr_new = dr - rain_eff - irr_net + eta + dp  # eq. 85
            if dr_new > taw_n:
                short = dr_new - taw_n  # the soil cannot give more than it holds
                cut_e = min(evaporation, short)
                evaporation -= cut_e
                transpiration = max(transpiration - (short - cut_e), 0.0)
                eta = transpiration + evaporation
                dr_new = taw_n
            dr = max(dr_new, 0.0)  # eq. 86
            if is_dual:
                de, _dpe = _evaporation_layer(de, rain_eff, irr_net, fw, evaporation, few,
                                              tew)  # eq. 77-79
            out_dr[z, n] = dr
            out_eta[z, n] = eta
            out_e[z, n] = evaporation
            out_dp[z, n] = dp
            out_ks[z, n] = ks
        final_de[z] = de
        final_fw[z] = fw
