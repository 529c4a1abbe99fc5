"""Layered soil profiles: total and readily available water in the root zone.

TAW (FAO-56 eq. 82) integrates 1000 (θfc − θwp) Δz over the part of each layer the roots reach;
RAW = p · TAW (eq. 83); TEW (eq. 73) integrates 1000 (θfc − 0.5 θwp) Δz over the evaporation
layer Ze.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.soils.textures import SoilDataError, Texture

__all__ = ["Layer", "SoilProfile"]


@dataclass(frozen=True)
class Layer:
    """A soil layer from ``top_m`` to ``bottom_m`` (m below the surface); contents in m³/m³."""

    top_m: float
    bottom_m: float
    theta_fc: float
    theta_wp: float
    theta_sat: float | None = None

    def __post_init__(self) -> None:
        if not (
            math.isfinite(self.top_m)
            and math.isfinite(self.bottom_m)
            and 0.0 <= self.top_m < self.bottom_m
        ):
            raise SoilDataError(f"layer {self.top_m}-{self.bottom_m} m: need 0 ≤ top < bottom")
        sat = 1.0 if self.theta_sat is None else self.theta_sat
        if not 0.0 <= self.theta_wp < self.theta_fc < sat <= 1.0 or (
            self.theta_sat is not None and self.theta_fc >= self.theta_sat
        ):
            raise SoilDataError(
                f"layer {self.top_m}-{self.bottom_m} m: need 0 ≤ theta_wp < theta_fc < "
                f"theta_sat ≤ 1, got {self.theta_wp}, {self.theta_fc}, {self.theta_sat}"
            )

    @property
    def available_water_mm_per_m(self) -> float:
        """1000 (θfc − θwp), mm of available water per m of soil (eq. 82 integrand)."""
        return 1000.0 * (self.theta_fc - self.theta_wp)

    def overlap_m(self, top_m: float, bottom_m: float) -> float:
        """Thickness of this layer inside [top_m, bottom_m], m."""
        return max(0.0, min(self.bottom_m, bottom_m) - max(self.top_m, top_m))


@dataclass(frozen=True)
class SoilProfile:
    """Contiguous layers from the surface down, with the evaporation-layer parameters.

    ``ze_m``: depth of the surface layer that dries by evaporation (FAO-56: 0.10-0.15 m);
    ``rew_mm``: readily evaporable water (Table 19).
    """

    layers: tuple[Layer, ...]
    ze_m: float = 0.10
    rew_mm: float = 9.0

    def __post_init__(self) -> None:
        if not self.layers:
            raise SoilDataError("soil profile: no layers")
        if self.layers[0].top_m != 0.0:
            raise SoilDataError("soil profile: layers[0] must start at the surface (top_m = 0)")
        for i, (upper, lower) in enumerate(zip(self.layers, self.layers[1:], strict=False)):
            if not math.isclose(upper.bottom_m, lower.top_m, abs_tol=1e-9):
                raise SoilDataError(
                    f"soil profile: layers[{i + 1}].top_m {lower.top_m} ≠ layers[{i}].bottom_m "
                    f"{upper.bottom_m} (layers must be contiguous)"
                )
        if not 0.05 <= self.ze_m <= 0.25 or self.ze_m > self.depth_m:
            raise SoilDataError(f"soil profile: ze_m {self.ze_m} outside [0.05, 0.25] m")
        if not 0.0 < self.rew_mm < self.tew_mm():
            raise SoilDataError(
                f"soil profile: rew_mm {self.rew_mm} must be > 0 and < TEW {self.tew_mm():.2f}"
            )

    @classmethod
    def uniform(
        cls, texture: Texture, depth_m: float, *, ze_m: float = 0.10, rew_mm: float | None = None
    ) -> SoilProfile:
        """One layer of a Table 19 texture (middle values) down to ``depth_m``."""
        layer = Layer(0.0, depth_m, texture.theta_fc, texture.theta_wp, texture.theta_sat)
        return cls((layer,), ze_m, texture.rew_mm if rew_mm is None else rew_mm)

    @property
    def depth_m(self) -> float:
        """Depth of the bottom of the described profile, m."""
        return self.layers[-1].bottom_m

    def _check_depth(self, depth_m: float) -> None:
        if not 0.0 < depth_m <= self.depth_m + 1e-9:
            raise SoilDataError(
                f"root depth {depth_m} m outside the described profile (0, {self.depth_m}] m"
            )

    def taw_mm(self, root_depth_m: float) -> float:
        """Total available water in the root zone, mm (FAO-56 eq. 82, summed over layers)."""
        self._check_depth(root_depth_m)
        return sum(
            layer.available_water_mm_per_m * layer.overlap_m(0.0, root_depth_m)
            for layer in self.layers
        )

    def raw_mm(self, root_depth_m: float, p: float) -> float:
        """Readily available water, mm: RAW = p · TAW (FAO-56 eq. 83)."""
        if not 0.0 <= p <= 1.0:
            raise SoilDataError(f"depletion fraction p {p} outside [0, 1]")
        return p * self.taw_mm(root_depth_m)

    def tew_mm(self) -> float:
        """Total evaporable water, mm: 1000 Σ (θfc − 0.5 θwp) Δz over Ze (FAO-56 eq. 73)."""
        return sum(
            1000.0 * (layer.theta_fc - 0.5 * layer.theta_wp) * layer.overlap_m(0.0, self.ze_m)
            for layer in self.layers
        )

    def field_capacity_mm(self, top_m: float, bottom_m: float) -> float:
        """Water held at field capacity between two depths, mm."""
        return sum(
            1000.0 * layer.theta_fc * layer.overlap_m(top_m, bottom_m) for layer in self.layers
        )
