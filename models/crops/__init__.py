"""Crop library (FAO-56 Tables 11, 12, 17, 22), crop coefficients through the season and Kcb
from ground cover (eq. 97-99)."""

from models.crops.coefficients import (
    adjust_for_climate,
    climate_adjustment,
    depletion_fraction,
    height_m,
    kc_on_day,
    root_depth_m,
)
from models.crops.cover import density_coefficient, kcb_from_cover, kcb_full
from models.crops.library import (
    STAGE_MAD_RANGE,
    TUNING_MESSAGES,
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
    "TUNING_MESSAGES",
    "Crop",
    "CropDataError",
    "Stage",
    "adjust_for_climate",
    "climate_adjustment",
    "crop",
    "crop_keys",
    "density_coefficient",
    "depletion_fraction",
    "height_m",
    "kc_on_day",
    "kcb_from_cover",
    "kcb_full",
    "load_crops",
    "root_depth_m",
    "with_stage_mad",
]
