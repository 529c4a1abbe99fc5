"""The savings ledger: water saved to date against the configured conventional practice."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from controller.agronomy.savings import SavingsReport
from web.deps import ServiceDep, ViewerToken

__all__ = ["SavingsPublic", "ZoneSavingsPublic", "router"]

router = APIRouter(tags=["savings"])


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


@router.get("/savings", response_model=SavingsPublic)
def savings(service: ServiceDep, _: ViewerToken) -> SavingsReport:
    """What conventional practice would have applied this season, and the saving to date."""
    return service.savings()
