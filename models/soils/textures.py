"""Soil textures of FAO-56 Table 19, loaded from ``data/textures.toml`` and validated."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from models.errors import ModelDataError

__all__ = ["SoilDataError", "Texture", "saturation_from_bulk_density", "texture", "texture_keys"]

PARTICLE_DENSITY_G_CM3 = 2.65  # mineral soil particle density


class SoilDataError(ModelDataError):
    """Soil data is missing, malformed or physically implausible (names the culprit)."""


@dataclass(frozen=True)
class Texture:
    """Typical water characteristics of one texture class (FAO-56 Table 19).

    Ranges are (low, high); the single values are the middle of the published range.
    Volumetric contents in m³/m³, depths in mm (TEW for an evaporation layer Ze = 0.10 m).
    """

    key: str
    name: str
    theta_fc_range: tuple[float, float]
    theta_wp_range: tuple[float, float]
    rew_range_mm: tuple[float, float]
    tew_range_mm: tuple[float, float]
    theta_sat: float

    def __post_init__(self) -> None:
        for field in ("theta_fc_range", "theta_wp_range", "rew_range_mm", "tew_range_mm"):
            low, high = getattr(self, field)
            if not (math.isfinite(low) and math.isfinite(high) and 0.0 <= low <= high):
                raise SoilDataError(f"{self.key}.{field}: invalid range ({low}, {high})")
        if not self.theta_wp < self.theta_fc < self.theta_sat <= 1.0:
            raise SoilDataError(
                f"{self.key}: need theta_wp < theta_fc < theta_sat ≤ 1, got "
                f"{self.theta_wp:.3f}, {self.theta_fc:.3f}, {self.theta_sat:.3f}"
            )
        if self.rew_range_mm[1] > self.tew_range_mm[1]:
            raise SoilDataError(f"{self.key}.rew_mm: REW above TEW")

    @property
    def theta_fc(self) -> float:
        """Field capacity, m³/m³ (middle of the Table 19 range)."""
        return sum(self.theta_fc_range) / 2.0

    @property
    def theta_wp(self) -> float:
        """Wilting point, m³/m³ (middle of the Table 19 range)."""
        return sum(self.theta_wp_range) / 2.0

    @property
    def rew_mm(self) -> float:
        """Readily evaporable water, mm (middle of the Table 19 range)."""
        return sum(self.rew_range_mm) / 2.0


def saturation_from_bulk_density(bulk_density_g_cm3: float) -> float:
    """Saturated water content as total porosity, 1 − ρb/ρs (ρs = 2.65 g/cm³), m³/m³."""
    if not 0.5 <= bulk_density_g_cm3 < PARTICLE_DENSITY_G_CM3:
        raise SoilDataError(f"bulk_density: {bulk_density_g_cm3} g/cm³ outside [0.5, 2.65)")
    return 1.0 - bulk_density_g_cm3 / PARTICLE_DENSITY_G_CM3


def _pair(key: str, table: dict[str, Any], name: str) -> tuple[float, float]:
    value = table.get(name)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) for v in value)
    ):
        raise SoilDataError(f"{key}.{name}: expected [low, high], got {value!r}")
    return float(value[0]), float(value[1])


def _texture_from_table(key: str, table: dict[str, Any]) -> Texture:
    sat = table.get("theta_sat")
    if not isinstance(sat, int | float):
        raise SoilDataError(f"{key}.theta_sat: expected a number, got {sat!r}")
    return Texture(
        key=key,
        name=str(table.get("name", key)),
        theta_fc_range=_pair(key, table, "theta_fc"),
        theta_wp_range=_pair(key, table, "theta_wp"),
        rew_range_mm=_pair(key, table, "rew_mm"),
        tew_range_mm=_pair(key, table, "tew_mm"),
        theta_sat=float(sat),
    )


@cache
def _library() -> dict[str, Texture]:
    origin = "models/soils/data/textures.toml"
    text = resources.files("models.soils").joinpath("data/textures.toml").read_text("utf-8")
    textures: dict[str, Texture] = {}
    for key, table in tomllib.loads(text).items():
        try:
            textures[key] = _texture_from_table(key, table)
        except SoilDataError as exc:
            raise SoilDataError(f"{origin}: {exc}") from exc
    return textures


def texture_keys() -> tuple[str, ...]:
    """Keys of the FAO-56 Table 19 textures (e.g. 'loam')."""
    return tuple(_library())


def texture(key: str) -> Texture:
    """One texture class by key; SoilDataError if unknown."""
    try:
        return _library()[key]
    except KeyError:
        known = ", ".join(_library())
        raise SoilDataError(f"unknown soil texture {key!r}; known: {known}") from None
