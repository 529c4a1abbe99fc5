"""The site as a whole: status, devices, and the site-wide control verbs."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, status

from controller.daemon.protocol import DeviceStatus, SiteStatus
from controller.store import StoreError
from web.api.models import (
    DevicePublic,
    ForecastCreate,
    ForecastStored,
    PauseCreate,
    PausedPublic,
    SitePublic,
)
from web.deps import ServiceDep, TechnicianToken, ViewerToken

router = APIRouter(tags=["site"])

# A stop whose runs' ends the box's database refused: the water is off all the same.
STOPPED_NOT_RECORDED = (
    "every run stopped and every output switched off, but the box's database did not record "
    "the runs' ends (see the daemon's log)"
)


@router.get("/status", response_model=SitePublic)
def site_status(service: ServiceDep, _: ViewerToken) -> SiteStatus:
    return service.status()


@router.get("/devices", response_model=list[DevicePublic])
def devices(service: ServiceDep, _: ViewerToken) -> list[DeviceStatus]:
    return service.devices()


@router.post("/stop-all", status_code=status.HTTP_204_NO_CONTENT)
def stop_all(service: ServiceDep, token: TechnicianToken) -> None:
    """Close every valve and stop every pump and injector now. 503 when the box's database
    refused to record a run's end: everything is stopped and off all the same."""
    try:
        service.stop_all(actor=token.name)
    except StoreError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, STOPPED_NOT_RECORDED) from exc


@router.post("/pause", response_model=PausedPublic)
def pause(body: PauseCreate, service: ServiceDep, token: TechnicianToken) -> dict[str, datetime]:
    """Stop automatic irrigation for ``hours``; manual runs stay possible."""
    return {"paused_until": service.pause(body.hours, actor=token.name)}


@router.post("/resume", status_code=status.HTTP_204_NO_CONTENT)
def resume(service: ServiceDep, token: TechnicianToken) -> None:
    service.resume(actor=token.name)


@router.post("/forecast", response_model=ForecastStored)
def post_forecast(
    body: ForecastCreate, service: ServiceDep, token: TechnicianToken
) -> dict[str, int]:
    """Store a weather forecast the planner uses (ET0 and rain per day)."""
    days = [day.model_dump(exclude_none=True) for day in body.days]
    return {"stored": service.post_forecast(days, actor=token.name)}
