"""The daily salt mass balance of a zone's root zone.

The root zone holds a salt mass S (g/m²). Each day (FAO-29, Ayers & Westcot 1985, ch. 2;
FAO-56, Allen et al. 1998, ch. 8 "soil water salinity"):

* salt in  = I · ECw · 0.64            (g/m²; I mm = I L/m² of irrigation water; rain ≈ 0);
* the water that drains below the roots, D mm (the water balance's deep percolation, FAO-56
  eq. 88), leaves with the root-zone solution. The FAO-56 bucket drains only what is above
  field capacity, so the solution it leaves with is the day's salt mixed into the water held
  at field capacity plus the drainage: salt out = (S + salt in) · D / (Wfc + D), with Wfc the
  root zone's water at field capacity (mm). A well-mixed root zone: never more out than is in;
* root-zone salinity from the salt over the water at field capacity:
  ECsw = S / (0.64 · Wfc) (dS/m), and ECe = ECsw / 2 (FAO-29 § 2.4 and FAO-56 ch. 8:
  "ECsw ≈ 2 ECe" at field capacity, the saturation extract holding about twice the water).

0.64 g/L per dS/m converts EC to dissolved salt (FAO-29 § 1.4: TDS mg/L ≈ 640 · EC dS/m).
Units: EC in dS/m (= mS/cm), depths in mm, salt in g/m².
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from models.salt.errors import SaltInputError

__all__ = [
    "ECE_PER_ECSW_AT_FC",
    "TDS_G_PER_L_PER_DS_M",
    "SaltDay",
    "SaltSeason",
    "ece_from_salt",
    "salt_day",
    "salt_from_ece",
    "salt_in_g_m2",
    "salt_season",
    "solution_ec_ds_m",
]

TDS_G_PER_L_PER_DS_M = 0.64  # FAO-29 § 1.4: TDS (mg/L) ≈ 640 · EC (dS/m)
ECE_PER_ECSW_AT_FC = 0.5  # FAO-29 § 2.4, FAO-56 ch. 8: ECsw ≈ 2 ECe at field capacity


def _check(element: str, value: float, *, positive: bool = False) -> None:
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        need = "> 0" if positive else ">= 0"
        raise SaltInputError(f"{element}: need a finite value {need}, got {value}", element=element)


def salt_in_g_m2(irrigation_mm: float, ec_water_ds_m: float) -> float:
    """Salt carried in by ``irrigation_mm`` of water of EC ``ec_water_ds_m``, g/m²:
    I (L/m²) · ECw (dS/m) · 0.64 (g/L per dS/m)."""
    _check("irrigation_mm", irrigation_mm)
    _check("ec_water_ds_m", ec_water_ds_m)
    return irrigation_mm * ec_water_ds_m * TDS_G_PER_L_PER_DS_M


def solution_ec_ds_m(salt_g_m2: float, water_mm: float) -> float:
    """EC of ``salt_g_m2`` dissolved in ``water_mm`` of soil water, dS/m: S / (0.64 · W)."""
    _check("salt_g_m2", salt_g_m2)
    _check("water_mm", water_mm, positive=True)
    return salt_g_m2 / (TDS_G_PER_L_PER_DS_M * water_mm)


def ece_from_salt(salt_g_m2: float, fc_water_mm: float) -> float:
    """Root-zone ECe (saturation extract, dS/m) of a salt mass at field capacity:
    ECe = ECsw / 2 with ECsw = S / (0.64 · Wfc) (FAO-29 § 2.4; FAO-56 ch. 8)."""
    return ECE_PER_ECSW_AT_FC * solution_ec_ds_m(salt_g_m2, fc_water_mm)


def salt_from_ece(ece_ds_m: float, fc_water_mm: float) -> float:
    """The salt mass (g/m²) that gives the root zone an ECe of ``ece_ds_m`` (the inverse of
    :func:`ece_from_salt`): S = 0.64 · (ECe / 0.5) · Wfc."""
    _check("ece_ds_m", ece_ds_m)
    _check("fc_water_mm", fc_water_mm, positive=True)
    return TDS_G_PER_L_PER_DS_M * (ece_ds_m / ECE_PER_ECSW_AT_FC) * fc_water_mm


@dataclass(frozen=True, slots=True)
class SaltDay:
    """One day of the balance: salt at its end, in and out (g/m²), root-zone ECe at its end."""

    salt_end_g_m2: float
    salt_in_g_m2: float
    salt_out_g_m2: float
    ece_ds_m: float


def salt_day(
    salt_g_m2: float,
    irrigation_mm: float,
    ec_water_ds_m: float,
    drainage_mm: float,
    fc_water_mm: float,
) -> SaltDay:
    """Advance the root zone's salt by one day (module docstring):
    S_end = S + I·ECw·0.64 − (S + I·ECw·0.64) · D / (Wfc + D)."""
    _check("salt_g_m2", salt_g_m2)
    _check("drainage_mm", drainage_mm)
    _check("fc_water_mm", fc_water_mm, positive=True)
    salt_in = salt_in_g_m2(irrigation_mm, ec_water_ds_m)
    mixed = salt_g_m2 + salt_in
    salt_out = mixed * drainage_mm / (fc_water_mm + drainage_mm)
    end = mixed - salt_out
    return SaltDay(end, salt_in, salt_out, ece_from_salt(end, fc_water_mm))


@dataclass(frozen=True, slots=True)
class SaltSeason:
    """A season of :func:`salt_day`: salt (g/m²) at the start, in, out and at the end, the
    root-zone ECe (dS/m) at the start, the end and its highest end of day, and the water
    (mm) that carried it in and out."""

    salt_start_g_m2: float
    salt_in_g_m2: float
    salt_out_g_m2: float
    salt_end_g_m2: float
    ece_start_ds_m: float
    ece_end_ds_m: float
    ece_max_ds_m: float
    irrigation_mm: float
    drainage_mm: float
    days: int

    @property
    def salt_gain_g_m2(self) -> float:
        """Net salt the season left in the root zone (in − out), g/m²; negative when the
        drainage carried out more than the water brought."""
        return self.salt_in_g_m2 - self.salt_out_g_m2


def salt_season(
    irrigation_mm: Sequence[float],
    drainage_mm: Sequence[float],
    ec_water_ds_m: float,
    fc_water_mm: float,
    ece_start_ds_m: float,
) -> SaltSeason:
    """The balance over consecutive days: ``irrigation_mm[k]`` and ``drainage_mm[k]`` of day
    k, water of EC ``ec_water_ds_m`` throughout, a root zone holding ``fc_water_mm`` at field
    capacity that starts the season at ECe ``ece_start_ds_m``."""
    if len(irrigation_mm) != len(drainage_mm):
        raise SaltInputError(
            f"drainage_mm: {len(drainage_mm)} days, irrigation_mm {len(irrigation_mm)}",
            element="drainage_mm",
        )
    start = salt_from_ece(ece_start_ds_m, fc_water_mm)
    salt, total_in, total_out = start, 0.0, 0.0
    ece_max = ece_from_salt(start, fc_water_mm)
    for k, (water, drained) in enumerate(zip(irrigation_mm, drainage_mm, strict=True)):
        try:
            day = salt_day(salt, water, ec_water_ds_m, drained, fc_water_mm)
        except SaltInputError as exc:
            raise SaltInputError(f"day {k}: {exc}", element=exc.element, index=(k,)) from exc
        salt = day.salt_end_g_m2
        total_in += day.salt_in_g_m2
        total_out += day.salt_out_g_m2
        ece_max = max(ece_max, day.ece_ds_m)
    return SaltSeason(
        salt_start_g_m2=start,
        salt_in_g_m2=total_in,
        salt_out_g_m2=total_out,
        salt_end_g_m2=salt,
        ece_start_ds_m=ece_from_salt(start, fc_water_mm),
        ece_end_ds_m=ece_from_salt(salt, fc_water_mm),
        ece_max_ds_m=ece_max,
        irrigation_mm=float(sum(irrigation_mm)),
        drainage_mm=float(sum(drainage_mm)),
        days=len(irrigation_mm),
    )
