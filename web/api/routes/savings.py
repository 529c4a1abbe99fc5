"""The savings ledger: water saved to date against the configured conventional practice."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from controller.agronomy.savings import SavingsReport
from web.deps import ServiceDep, ViewerToken

__all__ = ["SavingsPublic", "ZoneSaltPublic", "ZoneSavingsPublic", "router"]

router = APIRouter(tags=["savings"])


class ZoneSaltPublic(BaseModel):
    """The zone's root-zone salt since planting and the leaching water it needs (FAO-29):
    EC in dS/m, depths in mm, salt in g/m², ``problem`` when no figure could be made."""

    model_config = ConfigDict(from_attributes=True)

    ec_water_ds_m: float
    ec_water_source: str
    ec_meter_ds_m: float | None
    ece_threshold_ds_m: float
    leaching_requirement: float
    season_water_mm: float
    drainage_mm: float
    ece_start_ds_m: float
    ece_now_ds_m: float
    salt_in_g_m2: float
    salt_out_g_m2: float
    leaching_mm: float
    leaching_m3_per_mu: float
    problem: str


class ZoneSavingsPublic(BaseModel):
    """One zone since planting: m³ and m³/mu; measured rain and crop ET in mm."""

    model_config = ConfigDict(from_attributes=True)

    zone: str
    area_mu: float
    since: date
    applied_m3: float
    applied_m3_per_mu: float
    baseline_m3_per_mu: float
    saving_m3_per_mu: float
    events_counted: list[str]
    events_skipped: list[str]
    rain_mm: float
    etc_mm: float
    leaching_m3_per_mu: float
    salt: ZoneSaltPublic | None


class SavingsPublic(BaseModel):
    """The site, area-weighted (m³/mu), with the practice compared against and the assumptions."""

    model_config = ConfigDict(from_attributes=True)

    as_of: date
    baseline: str
    zones: list[ZoneSavingsPublic]
    applied_m3_per_mu: float
    baseline_m3_per_mu: float
    saving_m3_per_mu: float
    assumptions: list[str]
    baseline_name: str
    quota_m3_per_mu: float | None
    applied_m3: float
    leaching_m3_per_mu: float


@router.get("/savings", response_model=SavingsPublic)
def savings(service: ServiceDep, _: ViewerToken) -> SavingsReport:
    """What conventional practice would have applied this season, and the saving to date."""
    return service.savings()
