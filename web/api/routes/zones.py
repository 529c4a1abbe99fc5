"""Zones: their state, water balance, and starting and stopping them by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from controller.canopy.errors import CameraError
from controller.canopy.records import PHOTO_NAME
from controller.daemon.protocol import (
    CanopyPoint,
    CanopyView,
    ControlRefused,
    WaterBalanceInfo,
    ZoneStatus,
)
from web.api.models import (
    CanopyPointPublic,
    CanopyPublic,
    RunCreate,
    RunStarted,
    WaterBalanceDayPublic,
    ZonePublic,
)
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


@router.get("/{zone}/canopy", response_model=CanopyPublic)
def canopy(
    zone: NameInPath,
    service: ServiceDep,
    _: ViewerToken,
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
) -> CanopyView:
    """The zone's canopy cover from its camera over the last ``days`` days, oldest first."""
    return service.canopy(zone, days)


PhotoName = Annotated[str | None, Query(max_length=32, pattern=PHOTO_NAME)]


@router.get("/{zone}/canopy/photo", response_class=FileResponse)
def canopy_photo(
    zone: NameInPath, service: ServiceDep, _: ViewerToken, name: PhotoName = None
) -> FileResponse:
    """One of the zone's kept camera photos by file name; the newest without one."""
    path = service.canopy_photo(zone, name)
    media = "image/png" if path.suffix == ".png" else "image/jpeg"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=60"})


@router.post(
    "/{zone}/canopy/photo",
    response_model=CanopyPointPublic,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def add_canopy_photo(
    zone: NameInPath, request: Request, service: ServiceDep, token: TechnicianToken
) -> CanopyPoint:
    """Estimate the canopy cover of a photo of the zone (the body: a JPEG or PNG of at most
    the API's body limit, 1 MiB) and keep it with the zone's series (audited)."""
    photo = await request.body()
    try:
        return await run_in_threadpool(service.add_canopy_photo, zone, photo, token.name)
    except CameraError as exc:  # NotAnImage, ImageTooLarge
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["body"], "msg": str(exc), "type": exc.status}],
        ) from None


@router.post("/{zone}/start", response_model=RunStarted, status_code=status.HTTP_201_CREATED)
def start(
    zone: NameInPath, body: RunCreate, service: ServiceDep, token: TechnicianToken
) -> dict[str, int]:
    """Irrigate ``zone`` for ``minutes`` now (held to the zone's maximum run time), or until
    ``volume_m3`` / ``volume_mm`` was metered with ``minutes`` as the time cap; with
    ``recipe``, a fertigation run by that recipe of the site (422 naming ``recipe`` when the
    site has no such recipe; 409 without dosing channels, with a volume, or when ``minutes``
    leave less than ``min_inject_min`` between prewet and flush)."""
    if body.volume_m3 is None and body.volume_mm is None and body.recipe is None:
        return {"run_id": service.start_zone(zone, body.minutes, actor=token.name)}
    try:
        run_id = service.start_zone(
            zone,
            body.minutes,
            actor=token.name,
            volume_m3=body.volume_m3,
            volume_mm=body.volume_mm,
            recipe=body.recipe,
        )
    except ControlRefused as exc:
        if exc.code != "unknown_recipe":
            raise
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["body", "recipe"], "msg": exc.reason, "type": exc.code}],
        ) from None
    return {"run_id": run_id}


@router.post("/{zone}/stop", status_code=status.HTTP_204_NO_CONTENT)
def stop(zone: NameInPath, service: ServiceDep, token: TechnicianToken) -> None:
    service.stop_zone(zone, actor=token.name)
