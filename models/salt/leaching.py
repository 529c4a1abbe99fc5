"""The leaching requirement (FAO-29) and the leaching water a season's salt needs.

FAO-29 (Ayers & Westcot 1985, § 2.4.2, eq. 7, after Rhoades 1974):

    LR = ECw / (5 ECe − ECw)

the share of the applied water that must drain below the roots so the root zone stays at the
crop's threshold ECe (FAO-29 Table 4, Maas & Hoffman 1977). It rests on the steady state
LR = ECw / ECdw with a drainage water of ECdw = 5 ECe − ECw.

FAO-29 also gives a high-frequency form (its eq. 8, LR = ECw / (2 max ECe), with max ECe where
the yield falls to zero). It is not used: it assumes an upper root zone kept near ECw by daily
water, which a mulched drip line watered every 5-10 days, as the planner waters, does not
hold; it needs the crop's zero-yield ECe, which the library does not carry; and eq. 7 is the
rule the referee charges every strategy with. Eq. 7 is the larger (more water, safer) of the two.
"""

from __future__ import annotations

import math

from models.salt.balance import TDS_G_PER_L_PER_DS_M
from models.salt.errors import SaltInputError

__all__ = ["SPRING_ECE_PER_ECW", "leaching_requirement", "leaching_water_mm", "spring_ece_ds_m"]

# FAO-29 Table 1 note: its guidelines assume a leaching fraction of 15-20 %, under which the
# root zone settles at ECe ≈ 1.5 ECw.
SPRING_ECE_PER_ECW = 1.5


def leaching_requirement(ec_water_ds_m: float, ece_threshold_ds_m: float) -> float:
    """FAO-29 eq. 7: LR = ECw / (5 ECe − ECw), a fraction (0.6 dS/m water, maize ECe 1.7
    dS/m: 0.076). :class:`SaltInputError` unless 0 ≤ ECw < 5 ECe and ECe > 0."""
    denominator = 5.0 * ece_threshold_ds_m - ec_water_ds_m
    if not (
        math.isfinite(ec_water_ds_m)
        and math.isfinite(ece_threshold_ds_m)
        and ec_water_ds_m >= 0
        and ece_threshold_ds_m > 0
        and denominator > 0
    ):
        raise SaltInputError(
            f"leaching: need 0 <= ECw < 5 ECe, got ECw {ec_water_ds_m}, ECe {ece_threshold_ds_m}",
            element="ec_water_ds_m",
        )
    return ec_water_ds_m / denominator


def leaching_water_mm(salt_gain_g_m2: float, ec_water_ds_m: float, lr: float) -> float:
    """Water (mm) to drain below the roots to carry out the salt a season left,
    ``salt_gain_g_m2`` (in − out), at the drainage-water EC that eq. 7 assumes,
    ECdw = ECw / LR: D = gain / (0.64 · ECdw) = gain · LR / (0.64 · ECw); 0 when nothing
    was gained or the water carries no salt.

    With no drainage in the season (gain = 0.64 · I · ECw) this is LR · I, the FAO-29
    leaching water of I mm of irrigation; drainage in the season counts for the salt it
    carried out. Like LR · I, it leaves out the leaching water's own salt.
    """
    if not math.isfinite(salt_gain_g_m2):
        raise SaltInputError(f"salt_gain_g_m2: {salt_gain_g_m2} is not finite", element="salt")
    if not (math.isfinite(lr) and 0.0 <= lr < 1.0):
        raise SaltInputError(f"lr: need 0 <= LR < 1, got {lr}", element="lr")
    if not (math.isfinite(ec_water_ds_m) and ec_water_ds_m >= 0):
        raise SaltInputError(f"ec_water_ds_m: need >= 0, got {ec_water_ds_m}", element="ecw")
    if salt_gain_g_m2 <= 0 or ec_water_ds_m == 0 or lr == 0:
        return 0.0
    return salt_gain_g_m2 * lr / (TDS_G_PER_L_PER_DS_M * ec_water_ds_m)


def spring_ece_ds_m(ec_water_ds_m: float) -> float:
    """The root zone's ECe at the start of a season when no soil test says otherwise: the
    steady state of FAO-29's guidelines, ECe ≈ 1.5 ECw (dS/m)."""
    if not (math.isfinite(ec_water_ds_m) and ec_water_ds_m >= 0):
        raise SaltInputError(f"ec_water_ds_m: need >= 0, got {ec_water_ds_m}", element="ecw")
    return SPRING_ECE_PER_ECW * ec_water_ds_m
