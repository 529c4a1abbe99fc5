"""Root-zone salt: the daily salt mass balance of a zone and the FAO-29 leaching requirement.

Plain functions over a season of days (a few hundred steps per zone: numba would not pay).
"""

from models.salt.balance import (
    ECE_PER_ECSW_AT_FC,
    TDS_G_PER_L_PER_DS_M,
    SaltDay,
    SaltSeason,
    ece_from_salt,
    salt_day,
    salt_from_ece,
    salt_in_g_m2,
    salt_season,
    solution_ec_ds_m,
)
from models.salt.errors import SaltInputError
from models.salt.leaching import (
    SPRING_ECE_PER_ECW,
    leaching_requirement,
    leaching_water_mm,
    spring_ece_ds_m,
)

__all__ = [
    "ECE_PER_ECSW_AT_FC",
    "SPRING_ECE_PER_ECW",
    "TDS_G_PER_L_PER_DS_M",
    "SaltDay",
    "SaltInputError",
    "SaltSeason",
    "ece_from_salt",
    "leaching_requirement",
    "leaching_water_mm",
    "salt_day",
    "salt_from_ece",
    "salt_in_g_m2",
    "salt_season",
    "solution_ec_ds_m",
    "spring_ece_ds_m",
]
