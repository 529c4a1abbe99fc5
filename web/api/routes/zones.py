"""Zones: their state, water balance, and starting and stopping them by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from controller.daemon.protocol import WaterBalanceInfo, ZoneStatus
from web.api.models import RunCreate, RunStarted, WaterBalanceDayPublic, ZonePublic
from web.deps import ServiceDep, TechnicianToken, ViewerToken
from web.params import NameInPath

router = APIRouter(prefix="/zones", tags=["zones"])


@router.get("", response_model=list[ZonePublic])
def zones(service: ServiceDep, _: ViewerToken) -> list[ZoneStatus]:
    return service.zones()


@router.get("/{zone}", response_model=ZonePublic)
def zone(zone: NameInPath, service: ServiceDep, _: ViewerToken) -> ZoneStatus:
    return service.zone(zone)


@router.get("/{zone}/water-balance", response_model=list[WaterBalanceDayPublic])
def water_balance(
    zone: NameInPath,
    service: ServiceDep,
    _: ViewerToken,
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
) -> list[WaterBalanceInfo]:
    """The daily soil water balance of the last ``days`` days."""
    return service.water_balance(zone, days)


@router.post("/{zone}/start", response_model=RunStarted, status_code=status.HTTP_201_CREATED)
def start(
    zone: NameInPath, body: RunCreate, service: ServiceDep, token: TechnicianToken
) -> dict[str, int]:
    """Irrigate ``zone`` for ``minutes`` now (held to the zone's maximum run time), or until
    ``volume_m3`` / ``volume_mm`` was metered with ``minutes`` as the time cap."""
    if body.volume_m3 is None and body.volume_mm is None:
        return {"run_id": service.start_zone(zone, body.minutes, actor=token.name)}
    run_id = service.start_zone(
        zone, body.minutes, actor=token.name, volume_m3=body.volume_m3, volume_mm=body.volume_mm
    )
    return {"run_id": run_id}


@router.post("/{zone}/stop", status_code=status.HTTP_204_NO_CONTENT)
def stop(zone: NameInPath, service: ServiceDep, token: TechnicianToken) -> None:
    service.stop_zone(zone, actor=token.name)
