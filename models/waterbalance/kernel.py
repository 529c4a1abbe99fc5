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

__all__ = ["advance_zones", "count_outside", "group_series"]

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


@njit(cache=True, parallel=True)
def count_outside(values: np.ndarray, low: float, high: float) -> int:
    """How many entries of a 2-D array are not within [low, high] (NaN counts as outside);
    one parallel pass, no temporaries, for checking large inputs."""
    count = 0
    for i in prange(values.shape[0]):
        for j in range(values.shape[1]):
            if not low <= values[i, j] <= high:
                count += 1
    return count


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
    group_curve: np.ndarray,
    group_station: np.ndarray,
    layer_bottom_m: np.ndarray,
    layer_awc: np.ndarray,
    kcb: np.ndarray,
    root_depth_m: np.ndarray,
    height_m: np.ndarray,
    kcb_min: np.ndarray,
    u2: np.ndarray,
    rhmin: np.ndarray,
    out_kcmax: np.ndarray,
    out_fc: np.ndarray,
    out_taw: np.ndarray,
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


@_jit
def _zone_step(
    dr: float,
    de: float,
    fw: float,
    eto: float,
    eto_day: float,
    rain_mm: float,
    irr_gross: float,
    fw_event: float,
    rain_fraction: float,
    runoff_threshold_mm: float,
    efficiency: float,
    kcb: float,
    kc: float,
    p_table: float,
    mulch: float,
    kcmax: float,
    fc: float,
    taw: float,
    tew: float,
    rew: float,
    is_dual: bool,
) -> tuple[float, float, float, float, float, float, float]:
    """One zone, one step, as ``step.advance``: returns (Dr, De, fw, ETa, E, DP, Ks)."""
    rain_eff, _runoff = _rain_partition(rain_mm, rain_fraction, runoff_threshold_mm)
    irr_net = irr_gross * efficiency  # net = gross × efficiency
    ke = 0.0
    few = 1.0
    if is_dual:
        fw = _wetted_fraction(fw, irr_gross, rain_mm, fw_event)  # Table 20
        few = _exposed_wetted_fraction(fc, fw)  # eq. 75
        kr = _evaporation_reduction(de, tew, rew)  # eq. 74
        ke = _evaporation_coefficient(kr, kcmax, kcb, few, mulch)  # eq. 71
        kc_n = kcb + ke  # eq. 69
    else:
        kc_n = kc * mulch  # single Kc with mulch (FAO-56 ch. 9)
    evaporation = ke * eto  # eq. 69, mm
    dr = min(dr, taw)  # roots grew: new soil enters at field capacity
    p = _depletion_fraction(p_table, kc_n * eto_day)  # Table 22
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
    dr_new = max(dr_new, 0.0)  # eq. 86
    if is_dual:
        de, _dpe = _evaporation_layer(de, rain_eff, irr_net, fw, evaporation, few, tew)  # 77-79
    return dr_new, de, fw, eta, evaporation, dp, ks


@_jit
def _invalid(irr_gross: float, fw_event: float) -> int:
    """1 if an irrigation input is NaN, infinite, negative, or its fw outside (0, 1]."""
    return 0 if 0.0 <= irr_gross <= 1e300 and 0.0 < fw_event <= 1.0 else 1


ZONE_BLOCK = 4  # zones advanced side by side: their dependency chains overlap in the CPU


@njit(cache=True, parallel=True, error_model="numpy")
def advance_zones(
    dr0: np.ndarray,
    de0: np.ndarray,
    fw0: np.ndarray,
    zone_group: np.ndarray,
    group_curve: np.ndarray,
    group_station: np.ndarray,
    tew_mm: np.ndarray,
    rew_mm: np.ndarray,
    dual: np.ndarray,
    efficiency: np.ndarray,
    rain_fraction: np.ndarray,
    runoff_threshold_mm: np.ndarray,
    kcb: np.ndarray,
    kc: np.ndarray,
    p_table: np.ndarray,
    mulch: np.ndarray,
    kcmax: np.ndarray,
    fc: np.ndarray,
    taw: np.ndarray,
    et_ref: np.ndarray,
    et_ref_day: np.ndarray,
    rain: np.ndarray,
    irrigation_gross: np.ndarray,
    irrigation_fw: np.ndarray,
    out_dr: np.ndarray,
    out_eta: np.ndarray,
    out_e: np.ndarray,
    out_dp: np.ndarray,
    out_ks: np.ndarray,
    final_de: np.ndarray,
    final_fw: np.ndarray,
) -> int:
    """Advance Z zones over N steps; writes Dr, ETa, E, DP (mm) and Ks per zone-step, and the
    final De and fw (final Dr is the last column of ``out_dr``). Returns how many irrigation
    inputs were invalid (checked here, in the pass that reads them anyway; the caller must
    refuse the results when this is not 0).

    Zone arrays (Z,): initial Dr, De (mm), fw; group index; TEW, REW (mm); dual flag;
    application efficiency; effective rain fraction; runoff threshold (mm).
    Group arrays: curve and station index (G,), Kcmax, fc, TAW (G, N) from ``group_series``.
    Crop curves: Kcb, Kc (C, N); p at 5 mm/d, mulch factor (C,).
    Weather (S, N): ETref, ETref of the day (for p), rain, mm.
    Irrigation: gross depth (Z, N), mm; fw of the event (Z, N), or (Z, 1) for the system's.

    Each step of a zone depends on its previous step, so one zone alone leaves the CPU waiting
    on that chain; blocks of ZONE_BLOCK zones advance together (the last block repeats its last
    zone to fill up: same inputs, same values written) and blocks run in parallel.
    """
    n_zones = dr0.shape[0]
    n_steps = et_ref.shape[1]
    fw_step = 1 if irrigation_fw.shape[1] > 1 else 0
    n_blocks = (n_zones + ZONE_BLOCK - 1) // ZONE_BLOCK
    invalid_per_block = np.zeros(n_blocks, dtype=np.int64)
    for b in prange(n_blocks):
        invalid = 0
        zones = np.empty(ZONE_BLOCK, dtype=np.int64)
        for k in range(ZONE_BLOCK):
            zones[k] = min(b * ZONE_BLOCK + k, n_zones - 1)
        za, zb, zc, zd = zones[0], zones[1], zones[2], zones[3]
        ga, gb, gc, gd = zone_group[za], zone_group[zb], zone_group[zc], zone_group[zd]
        ca, cb, cc, cd = group_curve[ga], group_curve[gb], group_curve[gc], group_curve[gd]
        sa, sb, sc, sd = (
            group_station[ga],
            group_station[gb],
            group_station[gc],
            group_station[gd],
        )
        dra, drb, drc, drd = dr0[za], dr0[zb], dr0[zc], dr0[zd]
        dea, deb, dec, ded = de0[za], de0[zb], de0[zc], de0[zd]
        fwa, fwb, fwc, fwd = fw0[za], fw0[zb], fw0[zc], fw0[zd]
        for n in range(n_steps):
            nf = n * fw_step
            invalid += _invalid(irrigation_gross[za, n], irrigation_fw[za, nf])
            dra, dea, fwa, eta, e, dp, ks = _zone_step(
                dra,
                dea,
                fwa,
                et_ref[sa, n],
                et_ref_day[sa, n],
                rain[sa, n],
                irrigation_gross[za, n],
                irrigation_fw[za, nf],
                rain_fraction[za],
                runoff_threshold_mm[za],
                efficiency[za],
                kcb[ca, n],
                kc[ca, n],
                p_table[ca],
                mulch[ca],
                kcmax[ga, n],
                fc[ga, n],
                taw[ga, n],
                tew_mm[za],
                rew_mm[za],
                dual[za],
            )
            out_dr[za, n], out_eta[za, n], out_e[za, n], out_dp[za, n], out_ks[za, n] = (
                dra,
                eta,
                e,
                dp,
                ks,
            )
            invalid += _invalid(irrigation_gross[zb, n], irrigation_fw[zb, nf])
            drb, deb, fwb, eta, e, dp, ks = _zone_step(
                drb,
                deb,
                fwb,
                et_ref[sb, n],
                et_ref_day[sb, n],
                rain[sb, n],
                irrigation_gross[zb, n],
                irrigation_fw[zb, nf],
                rain_fraction[zb],
                runoff_threshold_mm[zb],
                efficiency[zb],
                kcb[cb, n],
                kc[cb, n],
                p_table[cb],
                mulch[cb],
                kcmax[gb, n],
                fc[gb, n],
                taw[gb, n],
                tew_mm[zb],
                rew_mm[zb],
                dual[zb],
            )
            out_dr[zb, n], out_eta[zb, n], out_e[zb, n], out_dp[zb, n], out_ks[zb, n] = (
                drb,
                eta,
                e,
                dp,
                ks,
            )
            invalid += _invalid(irrigation_gross[zc, n], irrigation_fw[zc, nf])
            drc, dec, fwc, eta, e, dp, ks = _zone_step(
                drc,
                dec,
                fwc,
                et_ref[sc, n],
                et_ref_day[sc, n],
                rain[sc, n],
                irrigation_gross[zc, n],
                irrigation_fw[zc, nf],
                rain_fraction[zc],
                runoff_threshold_mm[zc],
                efficiency[zc],
                kcb[cc, n],
                kc[cc, n],
                p_table[cc],
                mulch[cc],
                kcmax[gc, n],
                fc[gc, n],
                taw[gc, n],
                tew_mm[zc],
                rew_mm[zc],
                dual[zc],
            )
            out_dr[zc, n], out_eta[zc, n], out_e[zc, n], out_dp[zc, n], out_ks[zc, n] = (
                drc,
                eta,
                e,
                dp,
                ks,
            )
            invalid += _invalid(irrigation_gross[zd, n], irrigation_fw[zd, nf])
            drd, ded, fwd, eta, e, dp, ks = _zone_step(
                drd,
                ded,
                fwd,
                et_ref[sd, n],
                et_ref_day[sd, n],
                rain[sd, n],
                irrigation_gross[zd, n],
                irrigation_fw[zd, nf],
                rain_fraction[zd],
                runoff_threshold_mm[zd],
                efficiency[zd],
                kcb[cd, n],
                kc[cd, n],
                p_table[cd],
                mulch[cd],
                kcmax[gd, n],
                fc[gd, n],
                taw[gd, n],
                tew_mm[zd],
                rew_mm[zd],
                dual[zd],
            )
            out_dr[zd, n], out_eta[zd, n], out_e[zd, n], out_dp[zd, n], out_ks[zd, n] = (
                drd,
                eta,
                e,
                dp,
                ks,
            )
        final_de[za], final_fw[za] = dea, fwa
        final_de[zb], final_fw[zb] = deb, fwb
        final_de[zc], final_fw[zc] = dec, fwc
        final_de[zd], final_fw[zd] = ded, fwd
        invalid_per_block[b] = invalid
    return int(invalid_per_block.sum())
