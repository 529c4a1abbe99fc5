"""AquaCrop's root-zone water, the same numbers in a fraction of the time.

``aquacrop.solution.root_zone_water.root_zone_water`` (AquaCrop reference manual, ch. 3:
root-zone water, pp. 5–8) is called six times a simulated day and sums the compartments
covered by the roots with NumPy scalars: indexing and ``round`` on ``numpy.float64`` cost
most of a referee season's AquaCrop time. :func:`root_zone_water` does the same arithmetic,
in the same order, on Python floats, and rounds as NumPy does (``round(x * 100) / 100``,
half to even: what ``round(numpy.float64(x), 2)`` computes; Python's own ``round(x, 2)`` is
the exact decimal rounding and may differ). Its results equal the original's bit for bit
(``tests/simulation/test_rootzone.py`` holds them equal on random profiles and states).

:func:`install` puts it in place of the original in the aquacrop modules that call it,
after checking each still holds the original (the names that do not are returned; the
wrapper, :mod:`controller.simulation.referee.aquacrop`, refuses to run then).
Simulation only: the referee's truth, never imported on a box.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
from aquacrop.solution import root_zone_water as _original_module

__all__ = ["ORIGINAL", "install", "root_zone_water"]

ORIGINAL = _original_module.root_zone_water
#: The aquacrop modules that import the function by name, and so hold their own reference.
CALLERS = (
    "aquacrop.solution.canopy_cover",
    "aquacrop.solution.harvest_index",
    "aquacrop.solution.irrigation",
    "aquacrop.solution.transpiration",
    "aquacrop.timestep.run_single_timestep",
)


def _round2_numpy(x: float) -> float:
    """``round(numpy.float64(x), 2)``: x · 100 rounded half to even, over 100."""
    return round(x * 100.0) / 100.0


def _round2_like(x: Any) -> float:
    """``round(x, 2)`` as the original gets it: NumPy's rounding for a NumPy scalar,
    Python's exact one for a Python float."""
    if isinstance(x, np.floating):
        return _round2_numpy(float(x))
    return float(round(x, 2))


def root_zone_water(
    prof: Any,
    InitCond_Zroot: float,
    InitCond_th: Any,
    Soil_zTop: float,
    Crop_Zmin: float,
    Crop_Aer: float,
) -> tuple[float, float, float, float, float, float, float, float, float, float, float]:
    """The original's (module docstring): actual root-zone water (mm), top-soil and
    root-zone depletion (mm), their TAW (mm), and the root zone's θ actual, at saturation,
    field capacity, wilting point, air dry and the aeration threshold (m³/m³)."""
    dzsum = prof.dzsum.tolist()
    dz = prof.dz.tolist()
    th = InitCond_th.tolist() if isinstance(InitCond_th, np.ndarray) else list(InitCond_th)
    th_s = prof.th_s.tolist()
    th_fc = prof.th_fc.tolist()
    th_wp = prof.th_wp.tolist()
    th_dry = prof.th_dry.tolist()
    # np.maximum gives a NumPy scalar: NumPy's rounding
    rootdepth = _round2_numpy(float(np.maximum(InitCond_Zroot, Crop_Zmin)))
    if rootdepth <= 0.0:  # no root zone: NumPy's 0/0 (nan, with its warning), as the original
        return ORIGINAL(prof, InitCond_Zroot, InitCond_th, Soil_zTop, Crop_Zmin, Crop_Aer)
    comp_sto = next((i for i, z in enumerate(dzsum) if z >= rootdepth), None)
    if comp_sto is None:
        raise IndexError("index 0 is out of bounds for axis 0 with size 0")
    wr_act = wr_s = wr_fc = wr_wp = wr_dry = wr_aer = 0.0
    aer = Crop_Aer / 100
    for ii in range(comp_sto + 1):
        factor = 1 - ((dzsum[ii] - rootdepth) / dz[ii]) if dzsum[ii] > rootdepth else 1
        wr_act = wr_act + _round2_numpy(factor * 1000 * th[ii] * dz[ii])
        wr_s = wr_s + _round2_numpy(factor * 1000 * th_s[ii] * dz[ii])
        wr_fc = wr_fc + _round2_numpy(factor * 1000 * th_fc[ii] * dz[ii])
        wr_wp = wr_wp + _round2_numpy(factor * 1000 * th_wp[ii] * dz[ii])
        wr_dry = wr_dry + _round2_numpy(factor * 1000 * th_dry[ii] * dz[ii])
        wr_aer = wr_aer + _round2_numpy(factor * 1000 * (th_s[ii] - aer) * dz[ii])
    if wr_act < 0:
        wr_act = 0.0
    taw_rz = max(wr_fc - wr_wp, 0.0)
    dr_rz = min(wr_fc - wr_act, taw_rz)
    volume = rootdepth * 1000
    th_act, th_sat, th_fcap, th_wilt, th_air, th_aer = (
        w / volume for w in (wr_act, wr_s, wr_fc, wr_wp, wr_dry, wr_aer)
    )
    if rootdepth > Soil_zTop:
        ztopdepth = _round2_like(Soil_zTop)
        n_top = sum(1 for z in dzsum if z <= ztopdepth)
        if n_top <= 0:
            raise AssertionError("no compartment in the top soil")
        act_zt = fc_zt = wp_zt = 0.0
        for ii in range(n_top):
            factor = 1 - ((dzsum[ii] - ztopdepth) / dz[ii]) if dzsum[ii] > ztopdepth else 1
            act_zt = act_zt + (factor * 1000 * th[ii] * dz[ii])
            fc_zt = fc_zt + (factor * 1000 * th_fc[ii] * dz[ii])
            wp_zt = wp_zt + (factor * 1000 * th_wp[ii] * dz[ii])
        if act_zt < 0:
            act_zt = 0.0
        taw_zt = max(fc_zt - wp_zt, 0)
        dr_zt = min(fc_zt - act_zt, taw_zt)
    else:
        dr_zt, taw_zt = dr_rz, taw_rz
    return (
        wr_act, dr_zt, dr_rz, taw_zt, taw_rz, th_act, th_sat, th_fcap, th_wilt, th_air, th_aer,
    )  # fmt: skip


def install() -> list[str]:
    """Put :func:`root_zone_water` in place of the original in :data:`CALLERS` (idempotent);
    the callers that hold neither (the package changed: none replaced then)."""
    modules = [importlib.import_module(name) for name in CALLERS]
    changed = [
        m.__name__
        for m in modules
        if getattr(m, "root_zone_water", None) not in (ORIGINAL, root_zone_water)
    ]
    if not changed:
        for m in modules:
            m.root_zone_water = root_zone_water  # type: ignore[attr-defined]
    return changed
