"""Soils: FAO-56 Table 19 textures and layered profiles (TAW eq. 82, RAW eq. 83, TEW eq. 73)."""

from models.soils.profile import Layer, SoilProfile
from models.soils.textures import (
    SoilDataError,
    Texture,
    saturation_from_bulk_density,
    texture,
    texture_keys,
)

__all__ = [
    "Layer",
    "SoilDataError",
    "SoilProfile",
    "Texture",
    "saturation_from_bulk_density",
    "texture",
    "texture_keys",
]
