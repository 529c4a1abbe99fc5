"""Crop library (FAO-56 Tables 11, 12, 17, 22) and crop coefficients through the season."""

from models.crops.coefficients import (
    adjust_for_climate,
    climate_adjustment,
    depletion_fraction,
    height_m,
    kc_on_day,
    root_depth_m,
)
from models.crops.library import (
    STAGE_MAD_RANGE,
    Crop,
    CropDataError,
    Stage,
    crop,
    crop_keys,
    load_crops,
    with_stage_mad,
)

__all__ = [
    "STAGE_MAD_RANGE",
    "Crop",
    "CropDataError",
    "Stage",
    "adjust_for_climate",
    "climate_adjustment",
    "crop",
    "crop_keys",
    "depletion_fraction",
    "height_m",
    "kc_on_day",
    "load_crops",
    "root_depth_m",
    "with_stage_mad",
]
