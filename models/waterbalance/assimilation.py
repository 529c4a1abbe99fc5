"""Probe assimilation: soil-moisture readings correct the modelled root-zone depletion.

Readings (volumetric %, at known depths; several probes per zone) become an observed depletion
Dr_obs = Σ 1000 (θfc − θ) Δz over the root zone: each depth is represented by the reading(s)
nearest to it (the profile is cut half-way between probe depths; the top probe holds to the
surface, the deepest to the bottom of the root zone), probes at the same depth are averaged,
and θfc comes from the soil layer at that depth. The state moves towards it with a weight w:
Dr_new = Dr + w (Dr_obs − Dr).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from models.soils import SoilProfile
from models.waterbalance.errors import WaterBalanceInputError
from models.waterbalance.step import ZoneState

__all__ = ["ProbeCorrection", "ProbeReading", "assimilate", "observed_depletion_mm"]


@dataclass(frozen=True)
class ProbeReading:
    """One good soil-moisture reading: volumetric water content (%) at ``depth_m`` below the
    surface (only readings of quality ok should get here)."""

    depth_m: float
    theta_pct: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.depth_m) and self.depth_m >= 0.0):
            raise WaterBalanceInputError(f"probe depth_m: {self.depth_m} must be ≥ 0")
        if not (math.isfinite(self.theta_pct) and 0.0 <= self.theta_pct <= 100.0):
            raise WaterBalanceInputError(f"probe theta_pct: {self.theta_pct} not in [0, 100]")


@dataclass(frozen=True)
class ProbeCorrection:
    """What an assimilation did, for the store: depletions in mm before and after, the
    observation (clamped to 0..TAW), the weight and the correction applied (after − before)."""

    before_mm: float
    after_mm: float
    observed_mm: float
    weight: float
    correction_mm: float
    root_depth_m: float
    taw_mm: float


def _representative_intervals(depths: list[float], root_depth_m: float) -> list[float]:
    """Boundaries between probe depths (mid-points), from the surface to the root depth."""
    cuts = [0.0]
    for upper, lower in itertools.pairwise(depths):
        cuts.append(min((upper + lower) / 2.0, root_depth_m))
    cuts.append(root_depth_m)
    return cuts


def observed_depletion_mm(
    soil: SoilProfile, root_depth_m: float, readings: Sequence[ProbeReading]
) -> float:
    """Dr_obs = Σ 1000 (θfc − θ) Δz over the root zone, mm (not clamped; may be < 0 above
    field capacity or > TAW below the wilting point)."""
    if not readings:
        raise WaterBalanceInputError("probe assimilation: no readings")
    if not 0.0 < root_depth_m <= soil.depth_m + 1e-9:
        raise WaterBalanceInputError(
            f"probe assimilation: root depth {root_depth_m} m outside soil (0, {soil.depth_m}]"
        )
    by_depth: dict[float, list[float]] = {}
    for reading in readings:
        by_depth.setdefault(reading.depth_m, []).append(reading.theta_pct / 100.0)
    depths = sorted(by_depth)
    thetas = [sum(by_depth[d]) / len(by_depth[d]) for d in depths]
    cuts = _representative_intervals(depths, root_depth_m)
    depletion = 0.0
    for theta, (top, bottom) in zip(thetas, itertools.pairwise(cuts), strict=True):
        for layer in soil.layers:
            dz = layer.overlap_m(top, bottom)
            depletion += 1000.0 * (layer.theta_fc - theta) * dz
    return depletion


def assimilate(
    state: ZoneState,
    soil: SoilProfile,
    root_depth_m: float,
    readings: Sequence[ProbeReading],
    weight: float,
) -> tuple[ZoneState, ProbeCorrection]:
    """Correct the state's Dr towards the probes: Dr_new = Dr + w (Dr_obs − Dr), 0 ≤ w ≤ 1.

    The observation is clamped to 0 ≤ Dr_obs ≤ TAW (eq. 86: the model holds no water above field
    capacity, none below the wilting point). The evaporation layer is left as it is.
    """
    if not 0.0 <= weight <= 1.0:
        raise WaterBalanceInputError(f"probe assimilation: weight {weight} not in [0, 1]")
    taw = soil.taw_mm(root_depth_m)
    before = min(state.dr_mm, taw)
    observed = min(max(observed_depletion_mm(soil, root_depth_m, readings), 0.0), taw)
    after = before + weight * (observed - before)
    new_state = dataclasses.replace(state, dr_mm=after, taw_mm=taw)
    correction = ProbeCorrection(
        before_mm=before,
        after_mm=after,
        observed_mm=observed,
        weight=weight,
        correction_mm=after - before,
        root_depth_m=root_depth_m,
        taw_mm=taw,
    )
    return new_state, correction
